"""Sign-in hardening: lockout, session expiry, password rules, CSRF, CSP, landing page."""

from datetime import timedelta

import pytest
import time_machine
from axes.models import AccessAttempt
from django.conf import settings
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import services
from accounts.models import Role
from audit.models import AuditEvent
from tests.conftest import PASSWORD

LOGIN = "/accounts/login/"


def _post_login(client, username, password):
    return client.post(LOGIN, {"username": username, "password": password}, REMOTE_ADDR="10.1.2.3")


def test_clerk_lands_on_their_township_page(world, client):
    response = _post_login(client, "t_clerk", PASSWORD)
    assert response.status_code == 302
    home = client.get(response["Location"], follow=True)
    assert home.redirect_chain[-1][0] == reverse("areas:township", args=[world.town_a1.pk])
    assert "察素齐镇" in home.content.decode()
    row = AuditEvent.objects.get(event="auth.logged_in")
    assert (row.actor_username, row.actor_role, row.ip) == ("t_clerk", "clerk", "10.1.2.3")


@pytest.mark.parametrize(
    ("role", "target"),
    [
        ("reviewer", "areas:county"),
        ("approver", "areas:county"),
        ("finance", "payments:index"),
        ("admin", "areas:overview"),
    ],
)
def test_each_role_lands_on_its_own_page(world, client, role, target):
    client.force_login(world.users[role])
    response = client.get("/")
    expected = (
        reverse(target, args=[world.county_a.pk]) if target == "areas:county" else reverse(target)
    )
    assert response["Location"] == expected


def test_a_first_visitor_is_asked_to_sign_in_and_only_a_lapsed_session_is_told_it_timed_out(
    world, client
):
    first = client.get("/", follow=True).content.decode()
    assert "工作人员登录" in first and "超时" not in first and "未操作" not in first
    assert 'href="/status/"' in first  # the applicant's way out: a link, not a name
    client.force_login(world.users["clerk"])
    client.session.flush()  # the server forgets the session; the browser still sends its cookie
    client.cookies[settings.SESSION_COOKIE_NAME] = "expired-on-the-server"
    lapsed = client.get("/applications/", follow=True).content.decode()
    assert "已超过 30 分钟未操作，为保护个人信息已自动退出，请重新登录。" in lapsed


def test_wrong_password_gives_chinese_message_and_audit_row(world, client):
    response = _post_login(client, "t_clerk", "wrong-password")
    assert response.status_code == 200
    assert "用户名或密码不正确" in response.content.decode()
    row = AuditEvent.objects.get(event="auth.login_failed")
    assert row.actor is None and row.actor_username == "t_clerk"


def test_lockout_after_five_failures_even_with_the_right_password(world, client, settings):
    assert settings.AXES_FAILURE_LIMIT == 5
    for _ in range(4):
        assert _post_login(client, "t_clerk", "wrong-password").status_code == 200
    fifth = _post_login(client, "t_clerk", "wrong-password")
    assert fifth.status_code == 429
    assert "账号已临时锁定" in fifth.content.decode()
    assert "请 30 分钟后再试" in fifth.content.decode() and "PT30M" not in fifth.content.decode()
    locked = _post_login(client, "t_clerk", PASSWORD)
    assert locked.status_code == 429
    assert "_auth_user_id" not in client.session
    assert AuditEvent.objects.filter(event="auth.locked_out", actor_username="t_clerk").exists()
    # Another clerk at the same office address is not locked out.
    other = Client()
    assert _post_login(other, "t_clerk_a2", PASSWORD).status_code == 302


def test_lockout_ends_after_the_cooloff(world, client):
    for _ in range(5):
        _post_login(client, "t_clerk", "wrong-password")
    assert AccessAttempt.objects.filter(username="t_clerk").exists()
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        assert _post_login(client, "t_clerk", PASSWORD).status_code == 302


def test_session_expires_after_thirty_idle_minutes(world, client, settings):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert _post_login(client, "t_clerk", PASSWORD).status_code == 302
    # Activity at minute 29 moves the expiry on ...
    with time_machine.travel(start + timedelta(minutes=29), tick=False):
        assert client.get(reverse("applications:index")).status_code == 200
    with time_machine.travel(start + timedelta(minutes=58), tick=False):
        assert client.get(reverse("applications:index")).status_code == 200
    # ... and 31 idle minutes end the session.
    with time_machine.travel(start + timedelta(minutes=89), tick=False):
        response = client.get(reverse("applications:index"))
    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_the_session_is_saved_once_a_minute_not_on_every_page(world, client):
    """The idle timeout moves on without an UPDATE of the session on every click (issue 21)."""
    from django.contrib.sessions.models import Session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    start = timezone.now()
    with time_machine.travel(start, tick=False):
        assert _post_login(client, "t_clerk", PASSWORD).status_code == 302
    key = client.cookies["sessionid"].value
    expiry = Session.objects.get(session_key=key).expire_date

    def session_writes(at):
        with time_machine.travel(at, tick=False), CaptureQueriesContext(connection) as seen:
            assert client.get(reverse("applications:index")).status_code == 200
        return [
            q["sql"]
            for q in seen.captured_queries
            if q["sql"].startswith('UPDATE "django_session"')
        ]

    assert session_writes(start + timedelta(seconds=30)) == []
    assert Session.objects.get(session_key=key).expire_date == expiry
    assert len(session_writes(start + timedelta(seconds=61))) == 1
    assert Session.objects.get(session_key=key).expire_date == expiry + timedelta(seconds=61)
    assert session_writes(start + timedelta(seconds=90)) == []


def test_a_visitor_without_a_session_gets_none(client, db):
    from django.contrib.sessions.models import Session

    assert client.get("/healthz").status_code == 200
    assert client.get(LOGIN).status_code == 200
    assert Session.objects.count() == 0
    assert "sessionid" not in client.cookies


def test_password_validators_refuse_weak_passwords(world):
    with pytest.raises(ValidationError) as exc:
        services.staff_create(
            actor=world.users["admin"],
            username="new_clerk",
            password="12345678",
            role=Role.CLERK,
            township=world.town_a1,
        )
    codes = {e.code for e in exc.value.error_list}
    assert {"password_too_short", "password_too_common", "password_entirely_numeric"} <= codes
    assert not AuditEvent.objects.filter(target_repr__contains="new_clerk").exists()


def test_login_without_csrf_token_is_refused(world):
    client = Client(enforce_csrf_checks=True)
    response = client.post(LOGIN, {"username": "t_clerk", "password": PASSWORD})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_content_security_policy_header(client):
    csp = client.get(LOGIN)["Content-Security-Policy"]
    assert "default-src 'self'" in csp
    assert "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp


def test_inactive_account_cannot_sign_in(world, client):
    clerk = world.users["clerk"]
    clerk.is_active = False
    services.staff_save(user=clerk, actor=world.users["admin"])
    response = _post_login(client, "t_clerk", PASSWORD)
    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


@pytest.mark.parametrize("weak", ["demo123456", "abcdefghijk", "ABCDEFGH12"])
def test_a_password_of_fewer_than_three_kinds_of_character_is_refused(world, weak):
    with pytest.raises(ValidationError) as exc:
        services.staff_create(
            actor=world.users["admin"], username="new_clerk", password=weak, role=Role.CLERK,
            township=world.town_a1,
        )  # fmt: skip
    assert "密码须包含大写字母、小写字母、数字和符号中的至少 3 类。" in exc.value.messages


def test_a_password_of_three_kinds_is_accepted(world):
    user = services.staff_create(
        actor=world.users["admin"], username="new_clerk", password="Wulan-2026-window",
        role=Role.CLERK, township=world.town_a1,
    )  # fmt: skip
    assert user.check_password("Wulan-2026-window")
