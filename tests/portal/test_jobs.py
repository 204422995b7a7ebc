"""后台任务: what waits for the broker, with 立即重发; only the administrator sees it."""

import pytest

from audit.models import AuditEvent
from core.models import QueuedTask


@pytest.mark.django_db(transaction=True)
def test_the_administrator_sees_waiting_tasks_and_sends_them(world, client):
    QueuedTask.objects.create(task="applications.tasks.render_letters", args=[12], attempts=2,
                              last_error="Error 111 connecting to 127.0.0.1:6379")  # fmt: skip
    client.force_login(world.users["admin"])
    page = client.get("/jobs/").content.decode()
    assert 'data-testid="waiting-count">1<' in page
    assert "生成受理回执、通知书等文书" in page and "Error 111 connecting" in page
    response = client.post("/jobs/relay/", follow=True)
    assert "已重发 1 项任务。" in response.content.decode()
    # taken by the broker: it stays until a worker has run it (core.queueing)
    row = QueuedTask.objects.get()
    assert (row.sends, row.published_at is not None) == (1, True)
    assert (
        AuditEvent.objects.filter(summary="手动重发后台任务：1 / 1 项已交给任务队列").count() == 1
    )


@pytest.mark.django_db
@pytest.mark.parametrize("role", ["clerk", "reviewer", "approver", "finance"])
def test_other_roles_do_not_see_it(world, client, role):
    client.force_login(world.users[role])
    assert client.get("/jobs/").status_code == 403
    assert "后台任务" not in client.get("/").content.decode()
