"""JWT authentication that loads the user with what every request needs in one query."""

from __future__ import annotations

import logging
import time
import weakref
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.core.exceptions import ImproperlyConfigured
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.models.query import get_related_populators
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import AuthenticationFailed, InvalidToken
from rest_framework_simplejwt.settings import api_settings

from members.models import User

from . import readcache, throttling
from .tokens import STALE, version_of

logger = logging.getLogger(__name__)


class _CompiledUserQuery:
    """The user with organization and member profile: SQL built by the ORM once per connection.

    Every API request loads its user. Building that query through the ORM took about five times
    as long as running it (two joins, twenty-six columns); the SQL never changes, so it is compiled
    once and the row is turned into objects with the ORM's own converters and populators.
    """

    def __init__(self, connection: BaseDatabaseWrapper) -> None:
        queryset = User.objects.select_related("organization", "member_profile").filter(pk=0)
        compiler = queryset.query.get_compiler(connection=connection)
        self.sql, params = compiler.as_sql()
        if list(params) != [0]:
            raise ImproperlyConfigured("the user query must take the id as its only parameter")
        self.compiler = compiler
        self.alias = connection.alias
        select, klass_info = compiler.select, compiler.klass_info
        if klass_info is None:
            raise ImproperlyConfigured("the user query selects no model")
        fields = klass_info["select_fields"]
        self.start, self.end = fields[0], fields[-1] + 1
        self.init_list = [column[0].target.attname for column in select[self.start : self.end]]
        # django-stubs describe Django 6's signature (a fetch_mode argument); this is 5.2's.
        self.populators = get_related_populators(  # type: ignore[call-arg]
            klass_info, select, self.alias
        )
        self.converters = compiler.get_converters([s[0] for s in select[: compiler.col_count]])

    def load(self, user_id: object) -> User | None:
        connection = connections[self.alias]
        value = User._meta.pk.get_db_prep_value(user_id, connection)
        with connection.cursor() as cursor:
            cursor.execute(self.sql, [value])
            row = cursor.fetchone()
        if row is None:
            return None
        if self.converters:
            row = next(iter(self.compiler.apply_converters([row], self.converters)))
        user = User.from_db(self.alias, self.init_list, row[self.start : self.end])
        for populator in self.populators:
            populator.populate(row, user)
        return user


# One per connection object: each thread has its own, and the converters are bound to it.
_compiled: weakref.WeakKeyDictionary[BaseDatabaseWrapper, _CompiledUserQuery] = (
    weakref.WeakKeyDictionary()
)


def load_user(user_id: object) -> User | None:
    """The user by primary key with `organization` and `member_profile` loaded, in one query."""
    connection = connections[DEFAULT_DB_ALIAS]
    query = _compiled.get(connection)
    if query is None:
        query = _compiled[connection] = _CompiledUserQuery(connection)
    return query.load(user_id)


# The signed-in user, as `load_user` made it, kept in the cache for a minute so a request with a
# Bearer token needs no database round trip to learn who it is. Dropped at once (and again when
# the transaction commits) by every write of the user's or member's row: saves through the
# signal receivers in exercise_tracker/read_versions.py, and the two writes that bypass them,
# `accounts.end_tokens` (password change, sign-out, deactivation: token_version) and the
# discharge's is_active updates. What can lag by up to a minute: an organization's own name or
# time zone, shown in /me/ (its row is not the user's).
USER_CACHE_SECONDS = 60


def _user_key(user_id: object) -> str:
    return f"{readcache._ns()}auth:{user_id}"


def _forget_now(user_id: object) -> None:
    try:
        caches["default"].delete(_user_key(user_id))
    except Exception:
        readcache.drop_later(_user_key(user_id))
        logger.warning("cached sign-in of user %s not dropped (cache unavailable)", user_id)


def forget_user(user_id: object) -> None:
    """Drops the cached sign-in of `user_id` now and when the current transaction commits."""
    if not user_id:
        return
    _forget_now(user_id)
    if connection.in_atomic_block:
        transaction.on_commit(lambda: _forget_now(user_id))


def _fetch_and_count(key: str, user_id: int, request: Any) -> Any:
    """The cached sign-in under `key`; on Redis, in the same round trip, the hit the user rate
    limit (UserThrottle) will count, left on the request for it (throttling.PRECOUNTED)."""
    cache = caches["default"]
    window = throttling.user_window(user_id) if request is not None else None
    if window is None or not isinstance(cache, RedisCache):
        return readcache.fast_get_many([key]).get(key)
    counter, ttl = window
    counter_key = cache.make_and_validate_key(counter)
    commands: list[tuple[Any, ...]] = [
        ("GET", cache.make_and_validate_key(key)),
        ("INCR", counter_key),
        ("EXPIRE", counter_key, ttl),
    ]
    # The versions and stored answer this read needed last time (readcache: one round trip).
    read_keys = readcache.keys_to_prefetch(request, user_id)
    if read_keys:
        commands.append(("MGET", *(cache.make_and_validate_key(k) for k in read_keys)))
    raw, count, _, *fetched = throttling.execute(cache._servers[0], commands)  # type: ignore[attr-defined]
    setattr(getattr(request, "_request", request), throttling.PRECOUNTED, (counter, int(count)))
    if read_keys:
        readcache.keep_prefetched(request, read_keys, fetched[0])
    return None if raw is None else cache._cache._serializer.loads(raw)  # type: ignore[attr-defined]


# On the HttpRequest: (user id, the user) once signed in, so that DRF's authentication after a
# cached read that could not be answered before it (exercise_tracker/fast_reads.py) neither
# fetches the user again nor counts the rate limit twice.
SIGNED_IN = "_cached_sign_in"


def cached_user(user_id: object, request: Any = None) -> User | None:
    """`load_user(user_id)` through the cache (when the read cache is on)."""
    if not readcache.enabled():
        return load_user(user_id)
    uid = int(str(user_id))
    http = getattr(request, "_request", request)
    if request is not None:
        signed_in = getattr(http, SIGNED_IN, None)
        if signed_in is not None and signed_in[0] == uid:
            return signed_in[1]
        user = _cached_user(uid, request)
        setattr(http, SIGNED_IN, (uid, user))
        return user
    return _cached_user(uid, request)


def _cached_user(uid: int, request: Any) -> User | None:
    user_id = uid
    key = _user_key(uid)
    cache = caches["default"]
    try:
        if readcache._unwritten or readcache._undropped:
            readcache._catch_up()
        user = _fetch_and_count(key, uid, request)
    except Exception:
        user = None
    if isinstance(user, User):
        return user
    user = load_user(user_id)
    if user is not None:
        try:
            cache.set(key, user, USER_CACHE_SECONDS)
        except Exception:
            logger.warning("sign-in of user %s not cached (cache unavailable)", user_id)
    return user


# Access tokens this process has verified, by their exact text: checking the signature and
# decoding took about a tenth of a cached read's time, for the same token on every request of
# an app. A token's text can only verify the same way again, so only its expiry is checked on a
# hit; whether its user may still use it (active, token version) is checked on every request
# against the user (get_user). Bounded: cleared when it grows past VERIFIED_MAX.
VERIFIED_MAX = 4096
_verified: dict[bytes, tuple[Any, float]] = {}


class ScopedJWTAuthentication(JWTAuthentication):
    _request: Any = None

    def get_validated_token(self, raw_token: bytes) -> Any:
        hit = _verified.get(raw_token)
        if hit is not None and hit[1] > time.time():
            return hit[0]
        token = super().get_validated_token(raw_token)
        expires = token.payload.get("exp")
        if isinstance(expires, int | float):
            if len(_verified) >= VERIFIED_MAX:
                _verified.clear()
            _verified[bytes(raw_token)] = (token, float(expires))
        return token

    def authenticate(self, request: Any) -> Any:
        self._request = request  # one instance per request (DRF's get_authenticators)
        return super().authenticate(request)

    def get_user(self, validated_token: Any) -> User:  # type: ignore[override]
        try:
            user_id = validated_token[api_settings.USER_ID_CLAIM]
        except KeyError as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        try:
            user = cached_user(user_id, self._request)
        except (TypeError, ValueError) as exc:
            raise InvalidToken("Token contained no recognizable user identification") from exc
        if user is None or not user.is_active:
            raise AuthenticationFailed("User not found or inactive", code="user_not_found")
        # The version is a column of the row just loaded: no second query.
        if version_of(validated_token) != user.token_version:
            raise InvalidToken(STALE)
        return user


class ScopedJWTScheme(SimpleJWTScheme):
    """Documents ScopedJWTAuthentication as the Bearer scheme in the OpenAPI schema."""

    target_class = "exercise_tracker.authentication.ScopedJWTAuthentication"
    name = "jwtAuth"
