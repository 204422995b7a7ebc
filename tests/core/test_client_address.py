"""The client's address behind a proxy (core.clientaddr), and the status page's limits shared by
every process while Redis is away (core.cache.SharedFallbackCache).

Before: gunicorn took the socket's address (the proxy's) for everyone, so after 20 lookups by
others the owner's right answer got 429; and with Redis down each gunicorn process kept its own
counts (12 wrong tries drew no 429)."""

from __future__ import annotations

import pytest
from django.test import RequestFactory, override_settings

from audit.models import AuditEvent
from core.cache import ResilientRedisCache
from core.clientaddr import client_ip
from tests.applications.test_status import case as case  # the fixture: a case under review

factory = RequestFactory()


def request(remote: str, forwarded: str | None = None):
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return factory.get("/", REMOTE_ADDR=remote, **extra)


@pytest.mark.parametrize(
    ("trusted", "remote", "forwarded", "client"),
    [
        ([], "127.0.0.1", "203.0.113.7", "127.0.0.1"),  # no proxy trusted: the header is ignored
        (["127.0.0.1"], "198.51.100.9", "203.0.113.7", "198.51.100.9"),  # not from the proxy
        (["127.0.0.1"], "127.0.0.1", "203.0.113.7", "203.0.113.7"),
        (["127.0.0.1"], "127.0.0.1", "10.6.6.6, 203.0.113.7", "203.0.113.7"),  # left: written by the client
        (["127.0.0.1", "10.0.0.0/8"], "127.0.0.1", "203.0.113.7, 10.1.2.3", "203.0.113.7"),  # two proxies
        (["127.0.0.1"], "127.0.0.1", "not-an-address", "127.0.0.1"),
        (["127.0.0.1"], "127.0.0.1", "", "127.0.0.1"),
        (["::1"], "::1", "2001:db8::5", "2001:db8::5"),
        (["127.0.0.1"], "127.0.0.1", "2001:db8::5", "2001:db8::5"),
    ],
)  # fmt: skip
def test_the_header_is_believed_only_from_a_trusted_proxy(trusted, remote, forwarded, client):
    with override_settings(TRUSTED_PROXIES=trusted):
        assert client_ip(request(remote, forwarded)) == client


def test_a_malformed_list_of_proxies_stops_the_checks(settings):
    from core.apps import proxies_check
    from core.clientaddr import networks

    networks.cache_clear()
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/33"]
    (error,) = proxies_check()
    assert error.id == "core.E002" and "10.0.0.0/33" in error.msg


@pytest.fixture
def status_limits():
    """The status page's limits start from nothing."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


def lookup(client, case, tail: str, address: str):
    return client.post(
        "/status/", {"number": case.number, "id_tail": tail},
        REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=address,
    )  # fmt: skip


def test_behind_the_proxy_strangers_lookups_do_not_lock_the_owner_out(
    client, case, status_limits, settings
):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    tail = case.person.id_number[-6:]
    for n in range(20):  # twenty others look up their own cases (here: this one, by number)
        assert lookup(client, case, tail, f"203.0.113.{n + 1}").status_code == 200
    owner = lookup(client, case, tail, "198.51.100.77")
    assert owner.status_code == 200 and case.number in owner.content.decode()
    row = AuditEvent.objects.filter(summary="申请人查询办理进度").order_by("-id").first()
    assert row.ip == "198.51.100.77"  # the audit trail records the applicant, not the proxy
    # one address that looks too often is still stopped
    for _ in range(20):
        lookup(client, case, tail, "203.0.113.200")
    assert lookup(client, case, tail, "203.0.113.200").status_code == 429


def test_without_a_trusted_proxy_a_forged_header_changes_nothing(
    client, case, status_limits, settings
):
    settings.TRUSTED_PROXIES = []
    tail = case.person.id_number[-6:]
    for n in range(20):
        lookup(client, case, tail, f"203.0.113.{n + 1}")
    assert lookup(client, case, tail, "198.51.100.77").status_code == 429  # all one address


@pytest.mark.django_db(transaction=True)
def test_with_redis_away_every_process_counts_in_one_table():
    """Two caches as two gunicorn processes see Redis (nothing listens on port 9): each falls back
    to the database, and a count made by one is seen and added to by the other."""
    one, two = (
        ResilientRedisCache("redis://127.0.0.1:9/0", {"OPTIONS": {"socket_connect_timeout": 0.2}})
        for _ in range(2)
    )
    assert one.add("status-number:150121-20261127-0001", 1, 600) is True
    assert two.add("status-number:150121-20261127-0001", 1, 600) is False  # already there
    assert [two.incr("status-number:150121-20261127-0001") for _ in range(4)] == [2, 3, 4, 5]
    assert one.incr("status-number:150121-20261127-0001") == 6
    assert one.get("status-number:150121-20261127-0001") == 6
    from core.models import CacheEntry

    assert CacheEntry.objects.count() == 1
