"""Promise reminders: once per application, kind and day; derived from the database, so a broker
outage delays them but loses none; each notification sent by exactly one worker."""

from __future__ import annotations

import contextlib
import socket
import threading
from datetime import date

import pytest
from django.db import connection

from applications.models import Application, InboxMessage, Notification, PromiseStatus
from applications.services import material_receive, reminders_sweep
from audit.models import AuditEvent
from tests.applications import backends
from tests.factories import make_application

RECORDING = "tests.applications.backends.RecordingBackend"


@pytest.fixture(autouse=True)
def recording(settings):
    settings.NOTIFICATION_BACKEND = RECORDING
    backends.SENT.clear()
    return backends.SENT


@pytest.fixture
def promised(world, applicant, accept, time_machine):
    """Accepted on Monday 16 November 2026 with two materials missing: due Monday 23rd."""
    time_machine.move_to("2026-11-16 09:00 +0800")
    app = make_application(
        applicant,
        world.users["clerk"],
        agent_name="张书记",
        agent_id_number="150121196001010022",
        agent_phone="13700000000",
    )
    app = accept(app, missing=["invoice", "diagnosis"])
    assert str(app.promise_due_on) == "2026-11-23"
    reminders_sweep(today=date(2026, 11, 16))  # sends the acceptance message; no reminder yet
    backends.SENT.clear()
    return app


def test_nothing_is_due_yet_on_the_day_of_acceptance(promised):
    result = reminders_sweep(today=date(2026, 11, 16))
    assert (result.due_soon, result.overdue, result.sent) == (0, 0, 0)
    assert not InboxMessage.objects.exists()


def test_two_days_before_the_due_date_the_clerk_and_the_applicant_are_reminded_once(
    world, promised, recording
):
    first = reminders_sweep(today=date(2026, 11, 21))
    again = reminders_sweep(today=date(2026, 11, 21))  # beat fired twice, or a retry
    assert (first.due_soon, first.inbox_created, first.sent) == (1, 1, 2)
    assert (again.due_soon, again.sent) == (0, 0)
    message = InboxMessage.objects.get()
    assert message.recipient == world.users["clerk"]
    assert (
        message.text
        == f"{promised.number} 乌兰：承诺补交材料 2 天后到期（2026-11-23）：医疗费用发票（原件）、诊断证明"
    )
    assert sorted(phone for phone, _ in recording) == [
        "13700000000",
        "13800138000",
    ]  # applicant and agent
    assert recording[0][1].startswith(
        f"提醒：您的医疗救助申请（编号{promised.number}）尚缺医疗费用发票（原件）、诊断证明，请于2026-11-23前交到察素齐镇社会救助窗口"
    )
    assert Notification.objects.filter(kind="due_soon", state="sent").count() == 2


def test_one_reminder_a_day_while_due_and_then_overdue(promised):
    for day in (20, 21, 22, 23, 24, 24, 25):
        reminders_sweep(today=date(2026, 11, day))
    kinds = list(
        InboxMessage.objects.order_by("created_at", "id").values_list("kind", "dedupe_key")
    )
    assert [k for k, _ in kinds] == [
        "due_soon",
        "due_soon",
        "due_soon",
        "overdue",
        "overdue",
    ]  # 21, 22, 23, 24, 25
    promised.refresh_from_db()
    assert promised.promise_status == PromiseStatus.OVERDUE
    overdue = InboxMessage.objects.filter(kind="overdue").order_by("for_day").first()
    assert "已逾期 1 天（期限 2026-11-23）" in overdue.text
    # the state change has its case event and its audit row, once (not again on the 25th)
    events = promised.events.filter(action="promise_overdue")
    assert list(events.values_list("label", "actor")) == [
        ("承诺补交材料逾期（期限 2026-11-23）", None)
    ]
    audit = AuditEvent.objects.filter(target_id=str(promised.pk), event="promise.overdue")
    assert list(audit.values_list("actor_username", "target_repr", "township", "county")) == [
        ("system", promised.number, promised.township_id, promised.county_id)
    ]


def test_a_fulfilled_promise_or_a_closed_case_gets_no_reminder(world, promised):
    clerk = world.users["clerk"]
    material_receive(application=promised, code="invoice", actor=clerk)
    material_receive(application=promised, code="diagnosis", actor=clerk)
    result = reminders_sweep(today=date(2026, 11, 24))
    assert (result.due_soon, result.overdue, result.marked_overdue) == (0, 0, 0)
    Application.objects.filter(pk=promised.pk).update(promise_status="pending", status="withdrawn")
    assert reminders_sweep(today=date(2026, 11, 24)).overdue == 0


def test_a_failing_gateway_is_tried_again_on_the_next_sweep(
    promised, settings, recording, time_machine
):
    settings.NOTIFICATION_BACKEND = "tests.applications.backends.DownBackend"
    result = reminders_sweep(today=date(2026, 11, 21))
    assert (result.sent, result.failed) == (0, 2)
    failed = Notification.objects.filter(kind="due_soon")
    assert {(n.state, n.attempts, n.last_error) for n in failed} == {
        ("failed", 1, "短信网关返回 503")
    }
    settings.NOTIFICATION_BACKEND = RECORDING
    result = reminders_sweep(today=date(2026, 11, 21))  # too soon: failures wait 5 minutes
    assert (result.sent, result.failed, result.notifications_created) == (0, 0, 0)
    time_machine.shift(6 * 60)
    result = reminders_sweep(today=date(2026, 11, 21))
    assert (result.sent, result.failed, result.notifications_created) == (2, 0, 0)
    assert {(n.state, n.attempts) for n in failed.all()} == {("sent", 2)}


@contextlib.contextmanager
def broker(url: str):
    """Point the Celery app at another broker for a while (as if Redis went away)."""
    from config.celery import app

    saved = (
        app.conf.broker_url,
        app.conf.broker_transport_options,
        app.conf.broker_connection_timeout,
    )
    app.conf.broker_url = url
    app.conf.broker_transport_options = {"socket_timeout": 1.0, "socket_connect_timeout": 1.0}
    app.conf.broker_connection_timeout = 1.0
    app._after_fork()  # drop pooled connections to the old broker
    try:
        yield
    finally:
        (
            app.conf.broker_url,
            app.conf.broker_transport_options,
            app.conf.broker_connection_timeout,
        ) = saved
        app._after_fork()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_intake_succeeds_while_the_broker_is_down_and_the_sweep_sends_later(
    world, applicant, accept, recording, django_capture_on_commit_callbacks
):
    draft = make_application(applicant, world.users["clerk"])
    with (
        broker(f"redis://127.0.0.1:{free_port()}/0"),
        django_capture_on_commit_callbacks(execute=True),
    ):
        app = accept(draft, missing=["invoice"])  # nothing listens on that port
    assert Application.objects.get(pk=app.pk).status == "accepted"
    note = Notification.objects.get(application=app)
    assert note.state == "pending" and recording == []
    reminders_sweep()
    note.refresh_from_db()
    assert note.state == "sent" and recording == [("13800138000", note.text)]


def test_a_broker_that_accepts_but_never_answers_does_not_hold_intake(
    world, applicant, accept, django_capture_on_commit_callbacks
):
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen(16)  # the kernel accepts connections; nobody ever reads or answers
    port = silent.getsockname()[1]
    draft = make_application(applicant, world.users["clerk"])
    try:
        with (
            broker(f"redis://127.0.0.1:{port}/0"),
            django_capture_on_commit_callbacks(execute=True),
        ):
            app = accept(draft)
    finally:
        silent.close()
    assert Application.objects.get(pk=app.pk).status == "accepted"
    assert Notification.objects.get(application=app).state == "pending"


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    "connection.vendor != 'postgresql'", reason="concurrent workers need PostgreSQL"
)
def test_two_workers_sweeping_at_once_send_each_message_once(
    world, applicant, accept, recording, time_machine
):
    time_machine.move_to("2026-11-16 09:00 +0800")
    for _ in range(30):
        accept(make_application(applicant, world.users["clerk"]), missing=["invoice"])
    barrier = threading.Barrier(4)
    errors: list[BaseException] = []

    def sweep() -> None:
        try:
            barrier.wait()
            reminders_sweep(today=date(2026, 11, 21))
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    workers = [threading.Thread(target=sweep) for _ in range(4)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    assert errors == []
    texts = [text for _, text in recording]
    assert len(texts) == len(set(texts)) == 60  # 30 acceptance messages + 30 reminders, once each
    assert InboxMessage.objects.count() == 30
    assert Notification.objects.exclude(state="sent").count() == 0
