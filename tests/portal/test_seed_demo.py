from django.core.management import call_command

from accounts.models import Role, User
from areas.models import City, County, Township
from audit.models import AuditEvent

DEMO = {
    "clerk_a": (Role.CLERK, "土默特左旗", "察素齐镇"),
    "clerk_b": (Role.CLERK, "土默特左旗", "毕克齐镇"),
    "reviewer_a": (Role.REVIEWER, "土默特左旗", None),
    "approver_a": (Role.APPROVER, "土默特左旗", None),
    "finance_a": (Role.FINANCE, "土默特左旗", None),
    "finance_a2": (Role.FINANCE, "土默特左旗", None),
}


def test_seed_demo_creates_areas_and_accounts_idempotently(db):
    call_command("seed_demo")
    counts = (
        City.objects.count(),
        County.objects.count(),
        Township.objects.count(),
        User.objects.count(),
    )
    audit_rows = AuditEvent.objects.count()
    call_command("seed_demo")
    assert (
        City.objects.count(),
        County.objects.count(),
        Township.objects.count(),
        User.objects.count(),
    ) == counts
    assert AuditEvent.objects.count() == audit_rows
    assert counts[:3] == (1, 2, 6)
    # demo incomes so that the deductibles of dibao_edge / illness_poor can be computed, once
    from settlements.models import PolicyVersion

    version = PolicyVersion.objects.get()
    assert (version.number, version.values["city_income"]) == (2, "50000.00")
    for county in County.objects.all():
        assert county.townships.count() == 3


def test_demo_accounts_have_their_roles_areas_and_password(db):
    call_command("seed_demo")
    for username, (role, county, township) in DEMO.items():
        user = User.objects.get(username=username)
        assert user.check_password("demo12345"), username
        assert user.role == role
        assert user.county.name == county
        assert (user.township.name if user.township else None) == township
    assert (
        User.objects.get(username="clerk_a").township
        != User.objects.get(username="clerk_b").township
    )
    admin = User.objects.get(username="admin")
    assert admin.check_password("demo12345")
    assert admin.is_superuser and admin.is_staff and admin.role == Role.ADMIN


def test_the_demo_cases_agree_with_themselves(db):
    """Each demo case is taken on its own day: its number, its promise and every SMS say that day;
    each person's sex is the one the ID number's 17th digit gives; the clerk's inbox already holds
    the reminders of the promises due tomorrow and overdue (issue 18)."""
    from applications.models import Application, InboxMessage, Notification
    from beneficiaries.models import Person

    call_command("seed_demo")
    cases = list(Application.objects.select_related("person").order_by("accepted_on"))
    assert len(cases) == 4
    for app in cases:
        assert app.number.split("-")[1] == f"{app.accepted_on:%Y%m%d}", app.number
        if app.promise_due_on:
            assert (app.promise_due_on - app.accepted_on).days == 7
            texts = Notification.objects.filter(text__contains=app.number)
            assert texts.exists()
            for sms in texts:
                if "请于" in sms.text:
                    assert f"请于{app.promise_due_on:%Y-%m-%d}前" in sms.text
    for person in Person.objects.all():
        assert person.sex == ("M" if int(person.id_number[16]) % 2 else "F"), person.name
    assert {p.name: p.sex for p in Person.objects.filter(name__in=["韩淑珍", "赵永"])} == {
        "韩淑珍": "F",
        "赵永": "M",
    }
    inbox = sorted(m.text.split("：")[0] for m in InboxMessage.objects.all())
    overdue = next(a for a in cases if a.promise_status == "overdue")
    assert f"{overdue.number} {overdue.person.name}" in inbox and len(inbox) == 2
