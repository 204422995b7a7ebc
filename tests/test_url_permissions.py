"""Every URL of the URL conf × every role (anonymous included).

The table below says who may use each named URL. A URL added to the URL conf without a row here
fails ``test_every_url_has_a_row``; a view whose permission check is missing or wrong fails
``test_url_answers_allowed_roles_and_refuses_the_others``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

import pytest
from django.contrib import admin
from django.contrib.contenttypes.models import ContentType
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from beneficiaries.models import Household, IdentityImport
from tests.conftest import ROLES
from tests.relief.data import URL_RECORDS, URL_ROWS, relief_records
from tests.url_files import scans

ALL = frozenset(ROLES)
STAFF = ALL - {"anonymous"}


@dataclass(frozen=True)
class Row:
    allowed: frozenset[str]
    method: str = "get"
    data: dict = field(default_factory=dict)


EXPECTED: dict[str, Row] = {
    "healthz": Row(ALL),
    # The public status page: anyone (the check is the number and the ID number's last 6).
    "status": Row(ALL),
    "portal:help_index": Row(ALL),
    "portal:help": Row(ALL),
    # A letter downloads only after that check in the same session: nobody here has made it (404).
    "status_letter": Row(frozenset()),
    # 网上补交 likewise: only after that check (403, with the way to the status page)
    "status_online": Row(frozenset()),
    "favicon": Row(ALL),
    "accounts:login": Row(ALL),
    # Anonymous users who log out are simply sent to the login page.
    "accounts:logout": Row(STAFF, method="post"),
    "accounts:password_change": Row(STAFF),
    "portal:home": Row(STAFF),
    "portal:jobs": Row(frozenset({"admin"})),
    "portal:jobs_relay": Row(frozenset({"admin"}), method="post"),
    "areas:overview": Row(frozenset({"admin"})),
    "areas:township": Row(STAFF),
    "areas:county": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "beneficiaries:person_list": Row(frozenset({"clerk", "reviewer", "approver", "admin"})),
    "beneficiaries:person_detail": Row(frozenset({"clerk", "reviewer", "approver", "admin"})),
    "beneficiaries:change_list": Row(frozenset({"clerk", "reviewer", "approver", "admin"})),
    # the person's township confirms or refuses (county roles read the list only)
    "beneficiaries:change_decide": Row(frozenset({"clerk", "admin"}), method="post"),
    "applications:index": Row(frozenset({"clerk", "reviewer", "approver", "finance", "admin"})),
    "applications:detail": Row(frozenset({"clerk", "reviewer", "approver", "finance", "admin"})),
    "applications:attachment": Row(
        frozenset({"clerk", "reviewer", "approver", "finance", "admin"})
    ),
    # The view lets case workers in; the workflow then refuses with a message (and a redirect).
    "applications:transition": Row(
        frozenset({"clerk", "reviewer", "approver", "admin"}), method="post"
    ),
    "applications:recommend": Row(
        frozenset({"clerk", "reviewer", "approver", "admin"}), method="post"
    ),
    "applications:approve": Row(
        frozenset({"clerk", "reviewer", "approver", "admin"}), method="post"
    ),
    "applications:reject": Row(
        frozenset({"clerk", "reviewer", "approver", "admin"}), method="post"
    ),
    "applications:expense_correct": Row(
        frozenset({"clerk", "reviewer", "approver", "admin"}), method="post"
    ),
    "applications:letter": Row(frozenset({"clerk", "reviewer", "approver", "finance", "admin"})),
    "applications:new": Row(frozenset({"clerk"})),
    "applications:edit": Row(frozenset({"clerk"})),
    "applications:accept": Row(frozenset({"clerk"})),
    "applications:told": Row(frozenset({"clerk"}), method="post"),
    "applications:receive": Row(frozenset({"clerk"}), method="post"),
    "applications:upload": Row(frozenset({"clerk"}), method="post"),
    "applications:online_accept": Row(frozenset({"clerk"}), method="post"),
    "applications:online_refuse": Row(frozenset({"clerk"}), method="post"),
    "applications:online_file": Row(
        frozenset({"clerk", "reviewer", "approver", "finance", "admin"})
    ),
    "applications:inbox": Row(frozenset({"clerk"})),
    "applications:notices": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "applications:inbox_read": Row(frozenset({"clerk"}), method="post"),
    # issue 19: the county reviewer verifies a certificate and sends the 因病致贫 list; the window
    # records the pre-check, which every role reading the case may read
    "applications:identity_decide": Row(frozenset({"reviewer"}), method="post"),
    "applications:certificate_record": Row(frozenset({"clerk"}), method="post"),
    "applications:illness_check": Row(
        frozenset({"clerk", "reviewer", "approver", "finance", "admin"})
    ),
    "applications:illness_list": Row(frozenset({"reviewer"})),
    "applications:illness_list_pdf": Row(frozenset({"reviewer"}), method="post"),
    # issue 36: 倾斜救助主动发现 (the county's list; opening refused with a message but for reviewers)
    "applications:tilted_list": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "applications:tilted_open": Row(
        frozenset({"reviewer", "approver", "finance", "admin"}), method="post"
    ),
    "payments:index": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "payments:batch_detail": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "payments:batch_create": Row(frozenset({"finance"}), method="post"),
    "payments:batch_export": Row(frozenset({"finance"})),
    "payments:batch_pdf": Row(frozenset({"finance"})),
    "payments:batch_return_template": Row(frozenset({"finance"})),
    "payments:batch_return": Row(frozenset({"finance"}), method="post"),
    "payments:payment_record": Row(frozenset({"finance"}), method="post"),
    # the window or finance proposes an account; the service then checks the case's state
    "applications:new_for_person": Row(frozenset({"clerk"})),
    "applications:revoke": Row(
        frozenset({"clerk", "reviewer", "approver", "admin"}), method="post"
    ),
    "applications:promise_extend": Row(
        frozenset({"clerk", "reviewer", "approver", "admin"}), method="post"
    ),
    "payments:payee_correct": Row(frozenset({"clerk", "finance"}), method="post"),
    "payments:account_change_decide": Row(
        frozenset({"reviewer", "approver", "finance", "admin"}), method="post"
    ),
    "payments:recovery_propose": Row(
        frozenset({"reviewer", "approver", "finance", "admin"}), method="post"
    ),
    "payments:recovery_decide": Row(
        frozenset({"reviewer", "approver", "finance", "admin"}), method="post"
    ),
    "payments:recovery_refund": Row(frozenset({"finance"}), method="post"),
    "audit:search": Row(frozenset({"approver", "admin"})),
    "settlements:policy_list": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "settlements:policy_detail": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "settlements:policy_readiness": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "settlements:policy_version_new": Row(frozenset({"admin"})),
    # issue 20: the county reads its participation-subsidy roster; finance builds and exports it
    "settlements:roster": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "settlements:roster_build": Row(frozenset({"finance"}), method="post"),
    "settlements:roster_export": Row(frozenset({"finance"})),
    "settlements:roster_result": Row(frozenset({"finance"}), method="post"),
    "settlements:roster_followup": Row(frozenset({"clerk", "reviewer", "approver", "admin"})),
    # 医疗救助统计月报: read, made and downloaded by those who read the overview
    "monitoring:monthly_list": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "monitoring:monthly_generate": Row(
        frozenset({"reviewer", "approver", "finance", "admin"}), method="post"
    ),
    "monitoring:monthly_detail": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "monitoring:monthly_download": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    # the fund's books; the subsidy transfers (four eyes among finance), read by the county
    "settlements:books": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "settlements:books_pdf": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "payments:transfers": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "payments:transfer_prepare": Row(frozenset({"finance"}), method="post"),
    "payments:transfer_decide": Row(frozenset({"finance"}), method="post"),
    "payments:transfer_pdf": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    # 死亡减员 on a person's record: the township (and the administrator)
    "beneficiaries:person_death": Row(frozenset({"clerk", "admin"}), method="post"),
    "beneficiaries:import_list": Row(frozenset({"admin"})),
    # the referral register: on a person's record (those who see it), the platform's file (admin)
    "beneficiaries:referral_add": Row(
        frozenset({"clerk", "reviewer", "approver", "admin"}), method="post"
    ),
    "beneficiaries:referral_cancel": Row(
        frozenset({"clerk", "reviewer", "approver", "admin"}), method="post"
    ),
    "beneficiaries:referral_import": Row(frozenset({"admin"})),
    "beneficiaries:import_detail": Row(frozenset({"admin"})),
    "beneficiaries:import_progress": Row(frozenset({"admin"})),
    "beneficiaries:import_apply": Row(frozenset({"admin"}), method="post"),
    "beneficiaries:import_retry": Row(frozenset({"admin"}), method="post"),
    "beneficiaries:import_sample": Row(frozenset({"admin"})),
    "monitoring:warning_list": Row(frozenset({"clerk", "reviewer", "approver", "admin"})),
    "monitoring:warning_detail": Row(frozenset({"clerk", "reviewer", "approver", "admin"})),
    # An empty form comes back with its errors (400), which is an answer, not a refusal.
    "monitoring:warning_apply": Row(frozenset({"clerk"})),
    "monitoring:warning_contact": Row(frozenset({"clerk"}), method="post"),
    "monitoring:warning_close": Row(frozenset({"clerk"}), method="post"),
    "monitoring:overview": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "monitoring:overview_download": Row(frozenset({"reviewer", "approver", "finance", "admin"})),
    "monitoring:overview_recompute": Row(frozenset({"admin"}), method="post"),
    # Department systems push with a token, never with a session: every role is refused (401).
    "api_identity_push": Row(frozenset(), method="post"),
    "api_platform_push": Row(frozenset(), method="post"),
    "api_platform_status": Row(frozenset()),
}
# 梯次减负 (tests/relief/data.py): the county refers and answers; the township follows reports
EXPECTED.update(
    {name: Row(frozenset(allowed), method) for name, (allowed, method) in URL_ROWS.items()}
)
ADMIN_ONLY = Row(frozenset({"admin"}))
NOBODY = Row(frozenset())
# Admin URLs default to ADMIN_ONLY; these differ on purpose.
EXPECTED.update(
    {
        "admin:login": Row(ALL),
        "admin:logout": Row(ALL, method="post"),
        # Records referenced by people, cases and the audit trail are deactivated, never deleted.
        "admin:accounts_user_delete": NOBODY,
        "admin:areas_city_delete": NOBODY,
        "admin:areas_county_delete": NOBODY,
        "admin:areas_township_delete": NOBODY,
        "admin:areas_institution_delete": NOBODY,
        "admin:beneficiaries_person_delete": NOBODY,
        "admin:settlements_fundsource_delete": NOBODY,
        # The audit trail is append-only: nobody adds or deletes rows by hand.
        "admin:audit_auditevent_add": NOBODY,
        "admin:audit_auditevent_delete": NOBODY,
        # Imports are made on the import page and kept with their results; push keys come from
        # `manage.py create_department_token` (shown once) and are switched off, never deleted.
        "admin:beneficiaries_identityimport_add": NOBODY,
        "admin:beneficiaries_identityimport_delete": NOBODY,
        "admin:beneficiaries_personchange_add": NOBODY,
        "admin:beneficiaries_personchange_delete": NOBODY,
        "admin:beneficiaries_departmenttoken_add": NOBODY,
        "admin:beneficiaries_departmenttoken_delete": NOBODY,
        # Monitoring records come from imports, the recompute and the follow-up services only.
        **{
            f"admin:monitoring_{model}_{action}": NOBODY
            for model in (
                "hospitalsettlement",
                "burdenyear",
                "burdenwarning",
                "followup",
                "monitoringrun",
            )
            for action in ("add", "delete")
        },
        # 梯次减负: bodies are kept (switched off, never deleted); hand-offs, help, 一事一议 and early
        # reports are made on their pages with their audit rows; keys by `create_relief_key`.
        "admin:relief_body_delete": NOBODY,
        **{
            f"admin:relief_{model}_{action}": NOBODY
            for model in ("handoff", "help", "deliberation", "earlyreport", "stationkey")
            for action in ("add", "delete")
        },
        # Sign-in attempts are recorded by django-axes itself, never typed in.
        "admin:axes_accessattempt_add": NOBODY,
        "admin:axes_accessfailurelog_add": NOBODY,
        "admin:axes_accesslog_add": NOBODY,
        # No autocomplete fields are configured, so the endpoint refuses every query.
        "admin:autocomplete": NOBODY,
    }
)


def _walk(patterns, prefix="", namespace=""):
    for p in patterns:
        if isinstance(p, URLResolver):
            ns = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from _walk(p.url_patterns, prefix + str(p.pattern), ns)
        elif isinstance(p, URLPattern) and p.name:
            yield f"{namespace}{p.name}", prefix + str(p.pattern)


def all_urls() -> list[tuple[str, str]]:
    seen: dict[str, str] = {}
    for name, route in _walk(get_resolver().url_patterns):
        seen.setdefault(name, route)
    return sorted(seen.items())


def expected_for(name: str) -> Row | None:
    if name in EXPECTED:
        return EXPECTED[name]
    return ADMIN_ONLY if name.startswith("admin:") else None


def test_every_url_has_a_row():
    missing = [name for name, _ in all_urls() if expected_for(name) is None]
    assert missing == [], f"add these URLs to EXPECTED with the roles allowed: {missing}"


def _admin_model(name: str):
    for model in admin.site._registry:
        if name.startswith(f"admin:{model._meta.app_label}_{model._meta.model_name}_"):
            return model
    return None


def _reverse(name: str, route: str, world, person, batch, case=None) -> str:
    """The URL of a route, with arguments pointing at records of the clerk's own township/county."""
    model = _admin_model(name)
    instance = model._default_manager.order_by("pk").first() if model is not None else None
    if name.endswith("_simple_history"):  # regex route with two positional groups
        return reverse(name, args=[instance.pk, instance.history.order_by("pk").first().pk])
    values: dict = {}
    for p in re.findall(r"<(?:\w+:)?(\w+)>", route):
        if p == "pk":
            values[p] = {
                "areas:township": world.town_a1.pk,
                "areas:county": world.county_a.pk,
                "beneficiaries:person_detail": person.pk,
                "applications:new_for_person": person.pk,
                "beneficiaries:import_detail": batch.pk,
                "beneficiaries:import_progress": batch.pk,
                "beneficiaries:import_apply": batch.pk,
                "beneficiaries:import_retry": batch.pk,
                "api_platform_status": batch.pk,
                "applications:attachment": case and case["attachment"].pk,
                "applications:online_file": case and case["online"].pk,
                "applications:inbox_read": case and case["message"].pk,
                "payments:batch_detail": case and case["batch"].pk,
                "applications:expense_correct": case and case["application"].expenses.first().pk,
                "payments:batch_export": case and case["batch"].pk,
                "payments:batch_pdf": case and case["batch"].pk,
                "payments:batch_return_template": case and case["batch"].pk,
                "payments:batch_return": case and case["batch"].pk,
                "payments:payment_record": case and case["payment"].pk,
                "payments:account_change_decide": case and case["account_change"].pk,
                "payments:recovery_decide": case and case["recovery"].pk,
                "payments:recovery_refund": case and case["recovery"].pk,
                "monitoring:warning_detail": case and case["warning"].pk,
                "monitoring:warning_apply": case and case["warning"].pk,
                "monitoring:warning_contact": case and case["warning"].pk,
                "monitoring:warning_close": case and case["warning"].pk,
                "beneficiaries:change_decide": case and case["change"].pk,
                "beneficiaries:person_death": person.pk,
                "beneficiaries:referral_add": person.pk,
                "beneficiaries:referral_cancel": case and case["referral"].pk,
                "applications:tilted_open": person.pk,
                "payments:transfer_decide": case and case["transfer"].pk,
                "payments:transfer_pdf": case and case["transfer"].pk,
                "monitoring:monthly_detail": case and case["report"].pk,
                **{n: case and case[record].pk for n, record in URL_RECORDS.items()},
                "monitoring:monthly_download": case and case["report"].pk,
            }[name]
        elif p == "key":
            values[p] = "rates"
        elif p == "path":  # a page of the user guide
            values[p] = "clerk.html"
        elif p == "number":
            values[p] = case["application"].number
        elif p == "action":
            values[p] = "forward"
        elif p == "kind":
            values[p] = "receipt"
        elif p == "fmt":
            values[p] = "xlsx" if name == "monitoring:monthly_download" else "csv"
        elif p == "code" and name.startswith("settlements:"):
            values[p] = "hohhot-2023"
        elif p == "code":
            values[p] = "invoice"
        elif name == "admin:view_on_site":
            ct = ContentType.objects.get_for_model(world.town_a1)
            values.update(content_type_id=ct.pk, object_id=world.town_a1.pk)
        elif p == "object_id":
            values[p] = instance.pk if instance is not None else 999999
        elif p == "id":  # the admin's password form for a user
            values[p] = world.users["clerk"].pk
        elif p == "app_label":
            values[p] = "areas"
        else:
            raise AssertionError(f"no argument for {name} <{p}>")
    return reverse(name, kwargs=values)


def _case(world, person) -> dict:
    """A draft application of the clerk's township, a scan of it and a reminder for the clerk."""

    from applications.models import CalendarDay, InboxMessage
    from tests.factories import make_application

    app = make_application(person, world.users["clerk"])
    attachment, online = scans(world, app)
    message = InboxMessage.objects.create(
        recipient=world.users["clerk"], application=app, kind="due_soon", text="t", dedupe_key="k"
    )
    CalendarDay.objects.create(day="2026-12-31", working=False)  # for the admin's change URLs
    from payments.models import Payment, PaymentBatch

    batch = PaymentBatch.objects.create(
        number="B1", county=world.county_a, created_by=world.users["finance"]
    )
    payment = Payment.objects.create(
        batch=batch,
        application=app,
        amount=1,
        payee_name="x",
        bank_name="y",
        account_number="1",
    )
    from payments.models import AccountChange, Recovery

    account_change = AccountChange.objects.create(
        application=app, bank_name="b", holder="h", account_number="622200000000", reason="r",
        proposed_by=world.users["clerk"],
    )  # fmt: skip
    recovery = Recovery.objects.create(application=app, amount=1, reason="other", note="n")
    from beneficiaries.models import PersonChange

    change = PersonChange.objects.create(
        person=person,
        department="民政",
        township=person.township,
        changes={"phone": ["", "13900000000"]},
    )
    from monitoring.models import BurdenYear, FollowUp, MonitoringRun
    from monitoring.recompute import monitoring_recompute
    from settlements.services import policy_version_create
    from tests.monitoring.data import hospital_record

    policy_version_create(
        policy_code="hohhot-2023", effective_from=date(2023, 1, 1), values={"rural_income": "20000"},
        source="测试", actor=world.users["admin"],
    )  # fmt: skip
    hospital_record(person, burden="25000.00")
    monitoring_recompute()
    warning = person.warnings.get()
    FollowUp.objects.create(warning=warning, action="contact", note="t")
    assert BurdenYear.objects.exists() and MonitoringRun.objects.exists()
    from payments.models import SubsidyTransfer
    from settlements.models import SubsidyRoster

    roster = SubsidyRoster.objects.create(
        county=world.county_a, year=2026, policy_code="hohhot-2023", policy_version=1,
        built_at=timezone.now(),
    )  # fmt: skip
    transfer = SubsidyTransfer.objects.create(
        number="ZZ1", roster=roster, county=world.county_a, people=1, total=1,
        prepared_by=world.users["finance"],
    )  # fmt: skip
    from monitoring.models import MonthlyReport

    report = MonthlyReport.objects.create(
        city=world.county_a.city, county=world.county_a, year=2026, month=1,
        figures={"month": {}, "ytd": {}, "last_month": {}, "last_ytd": {}},
        generated_at=timezone.now(),
    )  # fmt: skip
    from beneficiaries.models import Referral

    return {
        **relief_records(world, person, app),
        "referral": Referral.objects.filter(person=person).first(),  # make_application's
        "report": report,
        "transfer": transfer,
        "warning": warning,
        "application": app,
        "attachment": attachment,
        "online": online,
        "message": message,
        "batch": batch,
        "payment": payment,
        "account_change": account_change,
        "recovery": recovery,
        "change": change,
    }


def _refused(response, role: str) -> bool:
    if role == "anonymous":
        if response.status_code in (401, 403, 404):  # token-only endpoints; pages behind a check
            return True
        return response.status_code == 302 and "login" in response["Location"]
    if response.status_code in (401, 403, 404):
        return True
    # The Django admin sends signed-in non-staff users to its own login page.
    return response.status_code == 302 and "/admin/login/" in response["Location"]


@pytest.mark.parametrize("role", ROLES)
def test_url_answers_allowed_roles_and_refuses_the_others(role, world, person_a1, client):
    batch = IdentityImport.objects.create(
        department="民政", original_name="a.csv", status="applied"
    )
    Household.objects.create(township=world.town_a1)  # so that every admin history URL has a record
    case = _case(world, person_a1)
    user = world.users.get(role)
    if user is not None:
        client.force_login(user)
    failures = []
    for name, route in all_urls():
        row = expected_for(name)
        url = _reverse(name, route, world, person_a1, batch, case)
        response = getattr(client, row.method)(url, row.data)
        if user is not None and name.endswith("logout"):
            client.force_login(user)  # logout ended the session; sign in again for the next URL
        refused = _refused(response, role)
        if role in row.allowed:
            if refused or response.status_code >= 500:
                failures.append(
                    f"{name} {url}: {role} should be allowed, got {response.status_code}"
                )
        elif not refused:
            failures.append(f"{name} {url}: {role} should be refused, got {response.status_code}")
    assert not failures, "\n".join(failures)
