import itertools
from datetime import date

import factory
from factory.django import DjangoModelFactory

from accounts.models import Role, User
from areas.models import City, County, Township
from beneficiaries.idnumber import check_digit
from beneficiaries.models import Person


class CityFactory(DjangoModelFactory):
    class Meta:
        model = City
        django_get_or_create = ("code",)

    code = "150100"
    name = "呼和浩特市"


class CountyFactory(DjangoModelFactory):
    class Meta:
        model = County

    city = factory.SubFactory(CityFactory)
    code = factory.Sequence(lambda n: f"1501{21 + n:02d}")
    name = factory.Sequence(lambda n: f"测试旗{n}")


class TownshipFactory(DjangoModelFactory):
    class Meta:
        model = Township

    county = factory.SubFactory(CountyFactory)
    code = factory.LazyAttributeSequence(lambda o, n: f"{o.county.code}{100 + n:03d}")
    name = factory.Sequence(lambda n: f"测试镇{n}")
    window_phone = "0471-8000000"


def id_number(seq: int, *, area: str = "150121", birth: str = "19600101") -> str:
    body = f"{area}{birth}{seq % 1000:03d}"
    return body + check_digit(body)


class PersonFactory(DjangoModelFactory):
    class Meta:
        model = Person

    id_number = factory.Sequence(lambda n: id_number(n))
    name = factory.Sequence(lambda n: f"测试对象{n}")
    township = factory.SubFactory(TownshipFactory)


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    password = factory.django.Password("Correct-horse-9")
    role = Role.CLERK
    township = None
    county = factory.LazyAttribute(lambda o: o.township.county if o.township else None)

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        if kwargs.get("role") == Role.ADMIN:
            kwargs.update(is_staff=True, is_superuser=True, county=None, township=None)
        return super()._create(model_class, *args, **kwargs)


_invoices = itertools.count(1)


def make_expense(**overrides):
    """An inpatient stay as on a settlement slip: 60,000 total, 50,000 in scope, 30,000 + 5,000
    paid; each one a bill of its own (its own invoice number) unless the test names one."""
    from datetime import date
    from decimal import Decimal

    from applications.models import MedicalExpense

    values = {
        "hospital": "内蒙古医科大学附属医院",
        "hospital_code": "H15010200001",
        "invoice_number": f"FP{next(_invoices):08d}",
        "hospital_level": "tier3",
        "kind": "inpatient",
        "in_region": True,
        "referred": True,
        "admitted_on": date(2026, 10, 8),
        "discharged_on": date(2026, 10, 20),
        "total": Decimal("60000.00"),
        "policy_scope": Decimal("50000.00"),
        "basic_paid": Decimal("30000.00"),
        "critical_paid": Decimal("5000.00"),
    }
    values.update(overrides)
    return MedicalExpense(**values)


def default_stay(person) -> dict:
    """The default bill of a person's next application: the first stay of make_expense, and for
    each later case of the same person a stay 20 days earlier (another bill: not a likely
    duplicate, which the approver would have to confirm)."""
    from datetime import timedelta

    from applications.models import Application

    n = Application.objects.filter(person=person).count()
    if not n:
        return {}
    shift = timedelta(days=20 * n)
    return {"admitted_on": date(2026, 10, 8) - shift, "discharged_on": date(2026, 10, 20) - shift}


def make_application(person, clerk, *, category="dibao", expenses=None, **intake):
    """A draft application through the intake service (identity taken from the registry if held)."""
    from applications.services import Intake, application_save_draft

    identity = person.identities.filter(category=category).first()
    intake.setdefault("bank_name", "内蒙古银行")
    intake.setdefault("bank_account_holder", person.name)
    intake.setdefault("bank_account_number", "6222000000051234")
    # a one-stop identity at the window says why the hospital did not settle the bill, and a second
    # case of the same person is acknowledged (issue 19; tests of those rules pass their own)
    intake.setdefault("onestop_reason", "elsewhere")
    intake.setdefault("second_case_ack", True)
    expenses = expenses or [make_expense(**default_stay(person))]
    for e in expenses:  # 规范转诊 is the register's: a bill marked referred gets its referral
        if e.referred and not e.referred_basis and e.day is not None:
            register_referral(person, e)
    return application_save_draft(
        person=person,
        intake=Intake(
            category=category,
            identity=identity,
            contact_phone=intake.pop("contact_phone", "13800138000"),
            **intake,
        ),
        expenses=expenses,
        actor=clerk,
    )


_referrals = itertools.count(1)


def register_referral(person, expense, **overrides):
    """A referral (转诊备案) covering ``expense``'s hospital and dates, as the window registers it."""
    from datetime import timedelta

    from beneficiaries.models import Referral

    day = expense.day
    values = {
        "person": person,
        "number": f"ZZ{next(_referrals):06d}",
        "from_hospital": "土默特左旗医院",
        "to_hospital": expense.hospital,
        "to_code": expense.hospital_code,
        "area_code": "150100" if expense.in_region else "110000",
        "out_of_region": not expense.in_region,
        "valid_from": day - timedelta(days=60),
        "valid_to": day + timedelta(days=30),
        "source": Referral.Source.WINDOW,
    }
    values.update(overrides)
    return Referral.objects.create(**values)


# The road a case takes to each state, through the real services (the workflow's own moves).
ROAD = ("draft", "accepted", "forwarded", "in_review", "recommended", "approved")


def walk(world, app, to, *, reject=None, recommendation=None, note="", reject_note=""):
    """Move ``app`` on from where it stands to ``to`` (a ``Status``), as the window, the reviewer
    and the approver of ``world`` would: accept (with every material), forward, start the review,
    recommend (``recommendation``, with ``note``; by default approval, or rejection when ``to`` is
    REJECTED), decide (rejected for ``reject``, a ``RejectionReason``, with ``reject_note``)."""
    from applications.models import Status
    from applications.services import (
        application_accept,
        application_approve,
        application_recommend,
        application_reject,
        application_transition,
    )

    clerk, reviewer, approver = (world.users[r] for r in ("clerk", "reviewer", "approver"))
    if recommendation is None:
        recommendation = "reject" if to == Status.REJECTED else "approve"
    while app.status != to:
        if app.status == Status.DRAFT:
            app = application_accept(
                application=app,
                actor=clerk,
                received=set(app.materials.values_list("code", flat=True)),
                promise_signed=False,
            )
        elif app.status == Status.ACCEPTED:
            app = application_transition(application=app, action="forward", actor=clerk)
        elif app.status == Status.FORWARDED:
            app = application_transition(application=app, action="start_review", actor=reviewer)
        elif app.status == Status.IN_REVIEW:
            app = application_recommend(
                application=app,
                actor=reviewer,
                recommendation=recommendation,
                note=note,
            )
        elif app.status in (Status.RECOMMENDED, Status.NOTICE) and to == Status.REJECTED:
            return application_reject(
                application=app, actor=approver, reason=reject, note=reject_note
            )
        elif app.status in (Status.RECOMMENDED, Status.NOTICE, Status.SECOND):
            app = application_approve(application=app, actor=approver)
        else:
            raise AssertionError(f"no road from {app.status} to {to}")
    return app


def case_at(world, person, to, *, missing=(), **intake):
    """A case of ``person`` taken at ``world``'s window and walked to ``to``; with ``missing``
    materials it is accepted on the applicant's promise to bring them."""
    from applications.services import application_accept

    app = make_application(person, world.users["clerk"], **intake)
    if missing:
        codes = set(app.materials.values_list("code", flat=True)) - set(missing)
        app = application_accept(
            application=app, actor=world.users["clerk"], received=codes, promise_signed=True
        )
    return walk(world, app, to)


def approve_at_once(pairs):
    """Each (case, approver) approves in its own thread, all at the same moment (a barrier);
    returns what each was told: "approved" or the refusal's first message."""
    import threading

    from django.core.exceptions import ValidationError
    from django.db import connection

    from applications.services import application_approve

    barrier = threading.Barrier(len(pairs))
    outcomes: list[str] = []

    def approve(app, approver):
        try:
            barrier.wait()
            application_approve(application=app, actor=approver)
            outcomes.append("approved")
        except ValidationError as exc:
            outcomes.append(exc.messages[0])
        finally:
            connection.close()

    threads = [threading.Thread(target=approve, args=pair) for pair in pairs]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return outcomes
