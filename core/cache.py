"""A Redis cache that degrades instead of failing: when Redis is down or hangs, each process
falls back to its own memory for ``CACHE_RETRY_AFTER`` seconds, logs it, and tries Redis again.

The status page's rate limits live in this cache (django-ratelimit): with Redis gone they still
hold, per gunicorn worker rather than across them, instead of answering 500 to every applicant.
``/healthz`` reports the cache as unreachable meanwhile (``cache_ok``).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache.backends.locmem import LocMemCache
from django.core.cache.backends.redis import RedisCache
from redis import Redis
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import RedisError
from redis.exceptions import TimeoutError as RedisTimeoutError

logger = logging.getLogger(__name__)


class ResilientRedisCache(RedisCache):
    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._fallback = LocMemCache(
            f"fallback-{id(self)}", {"TIMEOUT": params.get("TIMEOUT", 300)}
        )
        self._down_until = 0.0
        self._lock = threading.Lock()

    def _guard(self, name: str, *args: Any, **kwargs: Any) -> Any:
        if time.monotonic() < self._down_until:
            return getattr(self._fallback, name)(*args, **kwargs)
        try:
            return getattr(super(), name)(*args, **kwargs)
        except RedisError as exc:
            with self._lock:
                self._down_until = time.monotonic() + getattr(settings, "CACHE_RETRY_AFTER", 30)
            logger.warning("cache unreachable, this process uses its own memory for now: %s", exc)
            return getattr(self._fallback, name)(*args, **kwargs)

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
