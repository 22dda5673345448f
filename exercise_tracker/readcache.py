"""Versioned read cache: answers that many requests share, kept in the cache (Redis in
production) under a key of who may see them and what was asked, and valid while the versions of
the data they show are unchanged; with an ETag so a client holding the answer gets a 304.

Versions are opaque tokens, one per *scope* (a string naming a set of rows: `library:global`,
`library:org:7`, `member:42`, ...). A write that changes what a scope's readers see calls
`bump(...)` (or one of the named helpers below: `library_changed`, `member_changed`) inside its
transaction; the new token is written when the transaction commits, once per scope per
transaction (before that only if the writing connection itself reads a version: a reader
elsewhere between the two would cache the old rows under the new version, which the commit's
leaves behind). A token is random, not a counter, so a version lost from the cache (eviction, a
restart) can never come back as an old value some stale answer was stored under.

A cached answer is stored under a key that does not hold the versions, with the ETag it was
built under; the read fetches the versions and the answer in one round trip (MGET) and uses the
answer only if its ETag is the one the current versions give. Nothing is shared across
organizations or users unless the key says so: each caller names its key parts (organization,
user or member, the query) explicitly.

When the cache is down the read builds the answer as usual (no ETag), and writes do not fail.
On the embedded default (LocMemCache) the versions live in one process: with several processes
(gunicorn workers) a write in one is not seen by another's cache, so there caching is off
unless `READ_CACHE` is set (the test settings set it; a single-process `manage.py serve` may).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from typing import Any

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

VERSION_PREFIX = "rv:"
BODY_PREFIX = "rb:"
# A stored answer outlives its versions at most this long (it is unreachable once they change).
BODY_SECONDS = 600
CONTENT_TYPE = "application/json"


# Keys name the database too: two deployments (or the tests and the bench) sharing one Redis
# database never read each other's answers. Tests set a fresh one per test.
namespace: str | None = None


def _ns() -> str:
    global namespace
    if namespace is None:
        name = str(settings.DATABASES["default"].get("NAME", ""))
        namespace = hashlib.blake2b(name.encode(), digest_size=4).hexdigest() + ":"
    return namespace


def enabled() -> bool:
    configured = getattr(settings, "READ_CACHE", None)
    if configured is not None:
        return bool(configured)
    return isinstance(caches["default"], RedisCache)


def _cache() -> Any:
    return caches["default"]


def fast_get_many(keys: Sequence[str]) -> dict[str, Any]:
    """`cache.get_many(keys)`, on Redis through one client per process: Django's cache builds a
    new redis client (and its response callbacks) for every call, which cost more than the round
    trip itself. Same keys and values as the cache API (prefix, version, pickling)."""
    cache = _cache()
    if not isinstance(cache, RedisCache):
        return dict(cache.get_many(keys))
    from .throttling import execute

    full = [cache.make_and_validate_key(k) for k in keys]
    (values,) = execute(cache._servers[0], [("MGET", *full)])  # type: ignore[attr-defined]
    loads = cache._cache._serializer.loads  # type: ignore[attr-defined]
    return {k: loads(v) for k, v in zip(keys, values, strict=True) if v is not None}


def fast_set_many(values: dict[str, Any]) -> None:
    """`cache.set_many(values, timeout=None)`, on Redis in one MSET through the process's client
    (as fast_get_many: Django's cache would build a client and a pipeline for every call). Same
    keys and stored values."""
    cache = _cache()
    if not isinstance(cache, RedisCache):
        cache.set_many(values, timeout=None)
        return
    from .throttling import execute

    dumps = cache._cache._serializer.dumps  # type: ignore[attr-defined]
    pairs = [part for k, v in values.items() for part in (cache.make_and_validate_key(k), dumps(v))]
    execute(cache._servers[0], [("MSET", *pairs)])  # type: ignore[attr-defined]


# --- versions ------------------------------------------------------------------------------------


def _new_token() -> str:
    return secrets.token_hex(6)


# Bumps (and cached sign-ins to drop) this process could not write while the cache was down:
# written before its next read of the cache, so an answer stored before the outage is not
# served after it. (Another process may serve one until this one reads again, at most
# BODY_SECONDS; a cached sign-in lives USER_CACHE_SECONDS.)
_unwritten: set[str] = set()
_undropped: set[str] = set()


def _write_versions(scopes: Iterable[str]) -> None:
    values = {_ns() + VERSION_PREFIX + scope: _new_token() for scope in scopes}
    if not values:
        return
    try:
        fast_set_many(values)
    except Exception:  # the cache down must not fail a write that has committed
        _unwritten.update(values)
        logger.warning("read cache: versions not bumped (cache unavailable): %s", sorted(values))


def drop_later(key: str) -> None:
    """A key to delete once the cache answers again (see _unwritten)."""
    _undropped.add(key)


def _catch_up() -> None:
    if _unwritten:
        keys = list(_unwritten)
        _cache().set_many({k: _new_token() for k in keys}, timeout=None)
        _unwritten.difference_update(keys)
    if _undropped:
        keys = list(_undropped)
        _cache().delete_many(keys)
        _undropped.difference_update(keys)


def _pending(db: Any, scope: str) -> bool:
    """Whether the transaction of `db` (a connection) already bumps `scope` when it commits."""
    for entry in db.run_on_commit:
        func = entry[1]
        if isinstance(func, partial) and func.func is _write_committed and scope in func.args[0]:
            return True
    return False


# On the connection (one per thread): scopes a write of its open transaction changed whose new
# version is not in the cache yet. Written before this connection next reads a version (so a read
# in the same transaction, or a test's, which never commits, sees its own write), or dropped by
# the write at commit. Left by a rollback, they are written at the next read: one more version.
_UNFLUSHED = "_readcache_unflushed"


def bump(*scopes: str) -> None:
    """New versions for `scopes` when the current transaction commits (at once outside one).
    Call it from every write that changes what those scopes' readers see.

    Before the commit nothing is written, unless this connection reads one of the versions first
    (`versions` writes them then, and the commit writes them again: a reader elsewhere between
    the two may store the old rows under the first new version, which the commit's version
    leaves behind). A write that reads nothing cached after it costs one round trip, at commit."""
    db = connections[DEFAULT_DB_ALIAS]
    if not db.in_atomic_block:
        _write_versions(scopes)
        return
    unflushed: set[str] = db.__dict__.setdefault(_UNFLUSHED, set())
    unflushed.update(scopes)
    fresh = tuple(scope for scope in dict.fromkeys(scopes) if not _pending(db, scope))
    if fresh:  # once per scope per transaction
        transaction.on_commit(partial(_write_committed, fresh))


def _write_committed(scopes: tuple[str, ...]) -> None:
    unflushed: set[str] | None = connections[DEFAULT_DB_ALIAS].__dict__.get(_UNFLUSHED)
    if unflushed:
        unflushed.difference_update(scopes)
    _write_versions(scopes)


# On the connection: how many times it wrote such versions before a read. What the sign-in
# prefetched for a request is used only if none was written since (it may predate the write).
_FLUSHES = "_readcache_flushes"


def _flush_unflushed(db: Any) -> None:
    """Writes the versions this connection's writes changed and did not write yet."""
    unflushed: set[str] | None = db.__dict__.get(_UNFLUSHED)
    if not unflushed:
        return
    scopes = sorted(unflushed)
    unflushed.clear()
    db.__dict__[_FLUSHES] = db.__dict__.get(_FLUSHES, 0) + 1
    _write_versions(scopes)


# --- the sign-in's round trip fetches the read's keys too -----------------------------------------
#
# A cached read needs two round trips to the cache: the sign-in (with the rate limit's count)
# and the versions with the stored answer. The keys a read of a path by a user needed are the
# same from one request to the next (they change with the user's organization, the plan's
# member, the date), so each process remembers them per (user, path, query) and the sign-in
# (exercise_tracker/authentication.py) fetches them in its own round trip. `versions` uses what
# was fetched only when it asks for exactly those keys, all present; otherwise it asks the cache
# as before and remembers the new keys. What was fetched was read during this request, after
# anything that committed before it began: a write is still seen by the next read.

PREFETCHED = "_readcache_prefetched"  # on the HttpRequest: {key: raw value or None}
PREFETCHED_AT = "_readcache_prefetched_at"  # and the connection's _FLUSHES when they were read
HINTS_MAX = 4096
_hints: dict[tuple[object, str, str], list[str]] = {}


def _http_request(request: Any) -> Any:
    return getattr(request, "_request", request)


def _hint_of(request: Any, user_id: object) -> tuple[object, str, str]:
    http = _http_request(request)
    return (user_id, http.path, http.META.get("QUERY_STRING", ""))


def keys_to_prefetch(request: Any, user_id: object) -> list[str]:
    """The keys the read of this path by `user_id` needed last time in this process."""
    if request is None or not _hints:
        return []
    return _hints.get(_hint_of(request, user_id), [])


def keep_prefetched(request: Any, keys: Sequence[str], raw: Sequence[Any]) -> None:
    """Leaves the raw values of `keys` (as the cache returned them) on the request."""
    http = _http_request(request)
    setattr(http, PREFETCHED, dict(zip(keys, raw, strict=True)))
    setattr(http, PREFETCHED_AT, connections[DEFAULT_DB_ALIAS].__dict__.get(_FLUSHES, 0))


def _from_prefetched(request: Any, keys: Sequence[str], db: Any) -> dict[str, Any] | None:
    if request is None:
        return None
    http = _http_request(request)
    fetched = getattr(http, PREFETCHED, None)
    if not fetched or len(fetched) != len(keys) or any(k not in fetched for k in keys):
        return None
    if getattr(http, PREFETCHED_AT, None) != db.__dict__.get(_FLUSHES, 0):
        return None  # read before this connection wrote versions of its own writes
    loads = _cache()._cache._serializer.loads
    return {k: loads(v) for k, v in fetched.items() if v is not None}


def _remember(request: Any, keys: list[str]) -> None:
    user_id = getattr(getattr(request, "user", None), "pk", None)
    if user_id is None:
        return
    hint = _hint_of(request, user_id)
    if _hints.get(hint) != keys:
        if len(_hints) >= HINTS_MAX:
            _hints.clear()
        _hints[hint] = keys


def versions(
    scopes: Sequence[str], extra_keys: Sequence[str] = (), *, request: Any = None
) -> tuple[list[str], dict[str, Any]]:
    """The current version of each scope (made when missing) and the values of `extra_keys`,
    in one round trip (none when the sign-in fetched them for `request`)."""
    cache = _cache()
    if _unwritten or _undropped:
        _catch_up()
    db = connections[DEFAULT_DB_ALIAS]
    _flush_unflushed(db)  # this connection's own writes first: its reads must see them
    keys = [_ns() + VERSION_PREFIX + s for s in scopes]
    wanted = [*keys, *extra_keys]
    found = _from_prefetched(request, wanted, db) if isinstance(cache, RedisCache) else None
    if found is None or any(k not in found for k in keys):
        found = fast_get_many(wanted)
        if request is not None and isinstance(cache, RedisCache):
            _remember(request, wanted)
    missing = [k for k in keys if k not in found]
    if missing:
        for key in missing:
            cache.add(key, _new_token(), timeout=None)
        found.update(cache.get_many(missing))
    return [str(found.get(k, "")) for k in keys], {k: found[k] for k in extra_keys if k in found}


# --- the scopes, and the helpers writes call ------------------------------------------------------


def library_scopes(organization_id: int | None) -> list[str]:
    """What a library list of an organization's user shows: the global exercises and their
    own organization's (staff see every organization's: `library:all`)."""
    if organization_id is None:
        return ["library:global", "library:all"]
    return ["library:global", f"library:org:{organization_id}", "library:all"]


def library_changed(organization_id: int | None) -> None:
    """An exercise, its pictures, tags, or a template of `organization_id` (None: global)
    changed: every library list, template list, plan and today showing it is rebuilt."""
    bump(f"library:org:{organization_id}" if organization_id else "library:global", "library:all")


def member_changed(member_id: int | None) -> None:
    """Something a member's per-member reads show changed: their plans (any revision, item or
    status), sessions and entries, assessments and schedules, reminders, their profile. This is
    the one function new services call when they add to today or to a plan (walks, lessons)."""
    if member_id:
        bump(f"member:{member_id}")


def people_changed(organization_id: int | None) -> None:
    """A user's or member's name or profile in `organization_id` changed (names show on plans)."""
    bump(f"people:{organization_id or 0}")


# --- cached answers -------------------------------------------------------------------------------


def _etag(name: str, parts: Sequence[object], tokens: Sequence[str]) -> str:
    digest = hashlib.blake2b(digest_size=12)
    digest.update(repr((name, tuple(parts), tuple(tokens))).encode())
    return '"' + digest.hexdigest() + '"'


def matches(request: HttpRequest, etag: str) -> bool:
    header = request.headers.get("If-None-Match", "")
    if not header:
        return False
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    return etag in wanted or "*" in wanted


def not_modified(etag: str) -> HttpResponse:
    response = HttpResponse(status=304)
    response["ETag"] = etag
    return response


def cached_json(
    request: HttpRequest,
    *,
    name: str,
    parts: Sequence[object],
    scopes: Sequence[str],
    build: Callable[[], Any],
    render: Callable[[Any], bytes] | None = None,
) -> HttpResponse:
    """The JSON answer `build()` makes, from the cache when the versions of `scopes` are those it
    was stored under; 304 when the request's If-None-Match holds its ETag.

    `parts` must name everything the answer depends on besides the scopes' rows: the
    organization or user it is for, the query, the host absolute URLs are built with, the date.
    Checks of who may read (and the audit of staff reads) happen before this is called.
    """
    from rest_framework.renderers import JSONRenderer

    renderer = render or JSONRenderer().render
    if not enabled():
        return _response(renderer(build()), etag=None)
    try:
        body_key, etag, answer = _lookup(request, name, parts, scopes)
    except Exception:
        logger.warning("read cache unavailable: %s built without it", name)
        return _response(renderer(build()), etag=None)
    if answer is not None:
        return answer
    body = renderer(build())
    try:
        _cache().set(body_key, (etag, body), timeout=BODY_SECONDS)
    except Exception:
        logger.warning("read cache: %s not stored (cache unavailable)", name)
    return _response(body, etag=etag)


def _body_key(name: str, parts: Sequence[object]) -> str:
    """Where the answer named `name` for these parts is stored (with its ETag)."""
    digest = hashlib.blake2b(repr((name, tuple(parts))).encode(), digest_size=16).hexdigest()
    return _ns() + BODY_PREFIX + digest


def stored_answer(
    request: HttpRequest, *, name: str, parts: Sequence[object], scopes: Sequence[str]
) -> HttpResponse | None:
    """What `cached_json` with the same name, parts and scopes answers when it needs no
    `build()`: the 304, or the stored answer; None otherwise (not stored, stale, the cache off
    or down), and the caller answers the long way."""
    if not enabled():
        return None
    try:
        return _lookup(request, name, parts, scopes)[2]
    except Exception:
        return None


def _lookup(
    request: HttpRequest, name: str, parts: Sequence[object], scopes: Sequence[str]
) -> tuple[str, str, HttpResponse | None]:
    """The body's key, the current ETag, and the answer without `build()` (the 304, or the
    stored body still current), or None. Raises when the cache cannot be read."""
    body_key = _body_key(name, parts)
    tokens, found = versions(scopes, [body_key], request=request)
    etag = _etag(name, parts, tokens)
    if matches(request, etag):
        return body_key, etag, not_modified(etag)
    stored = found.get(body_key)
    if isinstance(stored, tuple) and len(stored) == 2 and stored[0] == etag:
        return body_key, etag, _response(stored[1], etag=etag)
    return body_key, etag, None


def _response(body: bytes, *, etag: str | None) -> HttpResponse:
    response = HttpResponse(body, content_type=CONTENT_TYPE)
    if etag is not None:
        response["ETag"] = etag
    return response


def origin(request: HttpRequest) -> str:
    """Scheme and host absolute URLs in an answer are built with: part of its key."""
    return request.build_absolute_uri("/").rstrip("/")
