"""A reason someone typed is closed with one 。, in SMS, pages and letters alike (the walk found
"撤销。。" where a reason already ended with 。)."""

from __future__ import annotations

import pytest

from applications.models import Notification, Status
from applications.public_status import timeline
from applications.services import application_revoke
from core.formats import sentence
from tests.factories import case_at


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("缺少材料", "缺少材料。"),
        ("缺少材料。", "缺少材料。"),
        (" 已去世！ ", "已去世！"),
        ("", ""),
    ],
)
def test_sentence(typed, shown):
    assert sentence(typed) == shown


@pytest.mark.django_db
def test_a_revocation_whose_reason_ends_with_a_stop_has_one(world, applicant):
    app = case_at(world, applicant, Status.APPROVED)
    app = application_revoke(application=app, actor=world.users["approver"], reason="重复报销。")
    sms = Notification.objects.get(application=app, kind="revoked").text
    assert "已撤销：重复报销。详情" in sms and "。。" not in sms
    app = type(app).objects.get(pk=app.pk)  # as the status page reads it
    steps = {s.title: s.detail for s in timeline(app, app.status_changed_at.date())}
    assert "理由：重复报销。如不服" in steps["撤销批准"]
