"""API rate limits: a fixed-window counter per user (or per address), one cache round trip each.

DRF's own throttles keep a list of every request time in the window and read and rewrite it
whole on each request (two round trips, and a list of up to 1,200 entries at 1,200/min), and two
concurrent requests can both pass on the same count. A counter incremented atomically costs one
round trip whatever the rate and never loses a hit. A fixed window can let up to twice the rate
through across a window boundary; these limits protect capacity, they are not a security control
(logins are limited by django-axes).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from redis import Redis, RedisError
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, ScopedRateThrottle, UserRateThrottle

from .client_address import client_address

logger = logging.getLogger(__name__)


@functools.cache
def _redis_client(url: str) -> Redis:
    # One client (and connection pool) per process; Django's cache builds a client per call.
    return Redis.from_url(url)


def execute(url: str, commands: Sequence[tuple[Any, ...]]) -> list[Any]:
    """The raw replies of `commands`, sent in one round trip on a connection of the process's
    client: what a redis-py pipeline does, without its per-command machinery (reply callbacks,
    instrumentation, the pipeline object), which took more CPU than the round trip on every API
    request. A connection that fails is closed; the commands are sent once more on a new one
    when it failed before answering (as redis-py's own retry does), and an error is raised."""
    pool = _redis_client(url).connection_pool
    for attempt in (1, 2):
        conn = pool.get_connection()
        try:
            conn.send_packed_command(conn.pack_commands(commands))
            return [conn.read_response() for _ in commands]
        except (RedisConnectionError, RedisTimeoutError):
            conn.disconnect()
            if attempt == 2:
                raise
        except BaseException:
            conn.disconnect()  # replies may be left unread on it
            raise
        finally:
            pool.release(conn)
    raise AssertionError("unreachable")


def _count_hit(key: str, *, ttl: int) -> int:
    """Adds one to the window's counter and returns the new count."""
    cache = caches["default"]
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        commands = [("INCR", full_key), ("EXPIRE", full_key, ttl)]
        count, _ = execute(cache._servers[0], commands)  # type: ignore[attr-defined]
        return int(count)
    # In-process caches (the embedded default): add-then-incr is atomic enough in one process.
    cache.add(key, 0, ttl)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, ttl)
        return 1


def count_hit(key: str, *, window_seconds: int, now: float | None = None) -> int:
    """Counts one hit of `key` in the current fixed window and returns the window's count
    (0 when the cache is down: limits degrade, requests do not fail)."""
    import time

    window = int((now if now is not None else time.time()) // window_seconds)
    try:
        return _count_hit(f"{key}:{window}", ttl=window_seconds + 1)
    except RedisError:
        logger.warning("rate limit not applied: cache unavailable")
        return 0


# Set on the HttpRequest: (the user limit's key with its window, the count after this hit).
PRECOUNTED = "_user_throttle_counted"


def user_window(user_id: object, now: float | None = None) -> tuple[str, int] | None:
    """The key (with its window) UserThrottle counts `user_id`'s hits under now, and the TTL."""
    import time

    rate = api_settings.DEFAULT_THROTTLE_RATES.get("user")
    if rate is None:
        return None
    num, duration = UserRateThrottle().parse_rate(str(rate))
    if num is None or duration is None:
        return None
    window = int((now if now is not None else time.time()) // duration)
    return f"throttle_user_{user_id}:{window}", duration + 1


class _FixedWindowMixin:
    scope: str | None
    timer: Any
    duration: int
    num_requests: int
    key: str | None

    def get_rate(self) -> str | None:
        # Read at request time (not at import), so settings overrides take effect.
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return None if rate is None else str(rate)

    def allow_request(self, request: Request, view: Any) -> bool:
        self.rate = self.get_rate()
        if self.rate is None:
            return True
        self.num_requests, self.duration = self.parse_rate(self.rate)  # type: ignore[attr-defined]
        self.key = self.get_cache_key(request, view)  # type: ignore[attr-defined]
        if self.key is None:
            return True
        window = int(self.timer() // self.duration)
        self.window_ends_at = (window + 1) * self.duration
        # The Bearer authentication may have counted this hit already, in the same round trip
        # as its cached sign-in (exercise_tracker/authentication.py): used when it is this key.
        counted = getattr(getattr(request, "_request", request), PRECOUNTED, None)
        if counted is not None and counted[0] == f"{self.key}:{window}":
            return int(counted[1]) <= self.num_requests
        try:
            count = _count_hit(f"{self.key}:{window}", ttl=self.duration + 1)
        except RedisError:
            # The cache being down should not take the API down with it; say so in the logs.
            logger.warning("rate limit not applied: cache unavailable")
            return True
        return count <= self.num_requests

    def get_ident(self, request: Any) -> str:
        # The address axes and the audit log see, not DRF's own reading of X-Forwarded-For.
        return client_address(request) or "unknown"

    def wait(self) -> float:
        return max(0.0, self.window_ends_at - self.timer())


class UserThrottle(_FixedWindowMixin, UserRateThrottle):
    """Per signed-in user (per address for anonymous requests): API_THROTTLE_USER."""


class AnonThrottle(_FixedWindowMixin, AnonRateThrottle):
    """Per address for anonymous requests: API_THROTTLE_ANON."""


def over_limit(scope: str, ident: str) -> float | None:
    """Counts one hit of `ident` against the rate named `scope` in DEFAULT_THROTTLE_RATES:
    None while within it, else the seconds until the window ends. For limits keyed by something
    other than the user or address (an invitation token), and for pages as well as the API."""
    import time

    rate = api_settings.DEFAULT_THROTTLE_RATES.get(scope)
    if rate is None:
        return None
    num, duration = UserRateThrottle().parse_rate(str(rate))
    if num is None or duration is None:
        return None
    now = time.time()
    window = int(now // duration)
    try:
        count = _count_hit(f"throttle_{scope}_{ident}:{window}", ttl=duration + 1)
    except RedisError:
        logger.warning("rate limit not applied: cache unavailable")
        return None
    if count <= num:
        return None
    return max(0.0, (window + 1) * duration - now)


class ScopedThrottle(_FixedWindowMixin, ScopedRateThrottle):
    """Per user (per address when anonymous) for views with a `throttle_scope`, at the rate of
    that scope in DEFAULT_THROTTLE_RATES (e.g. "handout": API_THROTTLE_HANDOUT)."""

    def allow_request(self, request: Request, view: Any) -> bool:
        self.scope = getattr(view, self.scope_attr, None)
        if not self.scope:
            return True
        return super().allow_request(request, view)
