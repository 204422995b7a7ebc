"""A Redis cache that degrades instead of failing: when Redis is down or hangs, every process
falls back to the database for ``CACHE_RETRY_AFTER`` seconds, logs it, and tries Redis again.

The status page's rate limits live in this cache (django-ratelimit): with Redis gone they still
hold, and across every gunicorn worker, because the fallback is the table ``core_cache`` that all of
them share (``SharedFallbackCache``: Django's database cache with an increment under the row's
lock). Before, each process fell back to its own memory and 12 wrong tries drew no 429. Only if the
database refuses too does a process use its own memory. ``/healthz`` reports the cache as
unreachable meanwhile (``cache_ok``).
"""

from __future__ import annotations

import base64
import logging
import pickle
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache.backends.db import DatabaseCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from django.db import DatabaseError, connections, router, transaction
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


FALLBACK_TABLE = "core_cache"  # core.models.CacheEntry


class SharedFallbackCache(DatabaseCache):
    """Django's database cache, with ``incr`` done under the row's lock (``SELECT … FOR UPDATE`` on
    PostgreSQL; SQLite's write transactions are serial): a rate-limit counter shared by every
    process counts every try, and keeps the expiry ``add`` gave it."""

    def incr(self, key: Any, delta: int = 1, version: int | None = None) -> Any:
        made = self.make_and_validate_key(key, version=version)
        db = router.db_for_write(self.cache_model_class)
        connection = connections[db]
        q = connection.ops.quote_name
        table = q(self._table)  # type: ignore[attr-defined]
        lock = " FOR UPDATE" if connection.features.has_select_for_update else ""
        with transaction.atomic(using=db):
            with connection.cursor() as cursor:
                cursor.execute(
                    f"SELECT {q('cache_key')} FROM {table} WHERE {q('cache_key')} = %s{lock}",  # noqa: S608
                    [made],
                )
                held = cursor.fetchone() is not None
            value = self.get(key, version=version) if held else None
            if value is None:
                raise ValueError(f"Key '{key}' not found")
            value += delta
            encoded = base64.b64encode(pickle.dumps(value, self.pickle_protocol)).decode("latin1")
            with connection.cursor() as cursor:
                cursor.execute(
                    f"UPDATE {table} SET {q('value')} = %s WHERE {q('cache_key')} = %s",  # noqa: S608
                    [encoded, made],
                )
        return value


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        timeout = params.get("TIMEOUT", 300)
        self._fallback = SharedFallbackCache(FALLBACK_TABLE, {"TIMEOUT": timeout})
        self._last_resort = LocMemCache(f"fallback-{id(self)}", {"TIMEOUT": timeout})
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _fall_back(self, name: str, *args: Any, **kwargs: Any) -> Any:
        """The shared table; this process's memory only if the database refuses too."""
        try:
            return getattr(self._fallback, name)(*args, **kwargs)
        except DatabaseError as exc:
            logger.warning("cache fallback table unusable, this process uses its memory: %s", exc)
            return getattr(self._last_resort, name)(*args, **kwargs)

    def _guard(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self._down_until:
            return self._fall_back(name, *args, **kwargs)
        try:
            return getattr(super(), name)(*args, **kwargs)
        except RedisError as exc:
            with self._lock:
                self._down_until = time.monotonic() + getattr(settings, "CACHE_RETRY_AFTER", 30)
            logger.warning("cache unreachable, every process uses the database for now: %s", exc)
            return self._fall_back(name, *args, **kwargs)

    def ping(self, timeout: float = 0.5) -> bool:
        """Reach Redis itself, whatever the fallback state (``/healthz``), within ``timeout``."""
        return redis_state(self._servers[0], timeout, write=False) == "ok"  # type: ignore[attr-defined]


def redis_state(url: str, timeout: float, *, write: bool) -> str:
    """``ok``, ``unreachable`` or (with ``write``) ``unwritable``: one bounded try, no retry, on a
    client of its own (``/healthz``'s checks of the cache and of a Redis broker)."""
    client = Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout, retry=None)
    try:
        if write:
            client.set("medassist:healthz", "ok", ex=60)
        else:
            client.ping()
    except (RedisConnectionError, RedisTimeoutError):
        return "unreachable"
    except RedisError:  # READONLY, MISCONF, OOM: reached, but refuses writes
        return "unwritable"
    finally:
        client.close()
    return "ok"


def _guarded(name: str) -> Callable[..., Any]:
    def method(self: ResilientRedisCache, *args: Any, **kwargs: Any) -> Any:
        return self._guard(name, *args, **kwargs)

    method.__name__ = name
    return method


for _name in ("add", "get", "set", "touch", "delete", "get_many", "has_key", "incr", "set_many",
              "delete_many", "clear"):  # fmt: skip
    setattr(ResilientRedisCache, _name, _guarded(_name))
