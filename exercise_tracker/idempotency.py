"""The `Idempotency-Key` header: the first response to a POST is stored and replayed on retries.

A phone on a poor signal retries a POST whose response it never received; the retry must get
the first answer, not a second write. The record is inserted *before* the work, so the database's
unique constraint (user, key) decides which of two racing requests runs: the other one answers
409 (still in flight) and, once the first finished, a replay. Same key with another body: 409.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from functools import wraps
from typing import Any, TypeVar

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from .api import Conflict
from .models import IdempotencyRecord

HEADER = "Idempotency-Key"
REPLAYED_HEADER = "Idempotent-Replayed"
MAX_KEY_LENGTH = 255
# Phones can stay offline for days; a retry after a week still finds its first answer.
KEEP_FOR = timedelta(days=7)
# A record still "in flight" this long after it was made belongs to a request that died.
ABANDONED_AFTER = timedelta(minutes=2)

ViewMethod = TypeVar("ViewMethod", bound=Callable[..., Response])


def _file_digest(file: UploadedFile) -> str:
    digest = hashlib.sha256()
    for chunk in file.chunks():
        digest.update(chunk)
    file.seek(0)
    return f"file:{file.size}:{digest.hexdigest()}"


def _hashable_body(data: Any) -> Any:
    """A form or multipart body (a QueryDict: repeated keys, uploaded files) as plain JSON: a
    file by its size and digest, so that a picture sent twice is the same request."""
    if not hasattr(data, "lists"):
        return data
    return {
        key: [_file_digest(v) if isinstance(v, UploadedFile) else v for v in values]
        for key, values in data.lists()
    }


def request_fingerprint(request: Request) -> str:
    """A hash of what the request asks for: method, path and the parsed body (key order aside;
    uploaded files by their content)."""
    body = json.dumps(
        _hashable_body(request.data), sort_keys=True, separators=(",", ":"), cls=JSONEncoder
    )
    raw = f"{request.method}\n{request.path}\n{body}".encode()
    return hashlib.sha256(raw).hexdigest()


def _replay(record: IdempotencyRecord) -> Response:
    response = Response(record.response_body, status=record.status_code)
    response[REPLAYED_HEADER] = "true"
    return response


def _claim(
    *, user_id: int, key: str, request: Request, fingerprint: str
) -> tuple[IdempotencyRecord, bool]:
    """Inserts the in-flight record (True), or returns the one an earlier request made (False)."""
    now = timezone.now()
    for _attempt in range(3):
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    user_id=user_id,
                    key=key,
                    method=request.method or "",
                    path=request.path[:300],
                    request_hash=fingerprint,
                    created_at=now,
                    expires_at=now + KEEP_FOR,
                )
            return record, True
        except IntegrityError:
            existing = IdempotencyRecord.objects.filter(user_id=user_id, key=key).first()
            if existing is None:
                continue  # deleted in between (a failed first attempt): try the insert again
            stale = existing.expires_at <= now or (
                existing.status_code == IdempotencyRecord.IN_FLIGHT
                and existing.created_at <= now - ABANDONED_AFTER
            )
            if not stale:
                return existing, False
            # Only the request that deletes this exact row takes the key over.
            IdempotencyRecord.objects.filter(
                pk=existing.pk, status_code=existing.status_code
            ).delete()
    raise Conflict(f"A request with this {HEADER} is still being processed; retry shortly.")


def idempotent(view_method: ViewMethod) -> ViewMethod:
    """Wraps an APIView's `post`: honours the Idempotency-Key header when the client sends one."""

    @wraps(view_method)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH:
            raise ValidationError(
                {HEADER: [f"Send 1 to {MAX_KEY_LENGTH} characters, for example a UUID."]}
            )
        fingerprint = request_fingerprint(request)
        record, created = _claim(
            user_id=int(request.user.pk or 0), key=key, request=request, fingerprint=fingerprint
        )
        if created:
            return _run(self, request, record, view_method, args, kwargs)
        if record.request_hash != fingerprint:
            raise Conflict(
                f"This {HEADER} was already used with a different request; "
                "use a new key for a new request."
            )
        if record.status_code == IdempotencyRecord.IN_FLIGHT:
            raise Conflict(f"A request with this {HEADER} is still being processed; retry shortly.")
        return _replay(record)

    return wrapper  # type: ignore[return-value]


def _run(
    view: Any,
    request: Request,
    record: IdempotencyRecord,
    view_method: Callable[..., Response],
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
) -> Response:
    try:
        response = view_method(view, request, *args, **kwargs)
    except BaseException:
        # Nothing was stored for this key: a retry may run the request again.
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
        raise
    if status.is_success(response.status_code):
        body = json.loads(json.dumps(response.data, cls=JSONEncoder))
        IdempotencyRecord.objects.filter(pk=record.pk).update(
            status_code=response.status_code, response_body=body
        )
    else:
        # Refusals are not stored: the same body is refused the same way, and a fixed body
        # must be able to reuse the key the client generated for this log.
        IdempotencyRecord.objects.filter(pk=record.pk).delete()
    return response


def purge_expired(*, now: Any = None) -> int:
    """Deletes records past their keep-until time; returns how many."""
    deleted, _ = IdempotencyRecord.objects.filter(expires_at__lte=now or timezone.now()).delete()
    return deleted
