"""The API's shared parts: one error format, capped pagination, the v1 router."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import date
from typing import Any

from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import QuerySet
from django.http import Http404
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, serializers, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from .integers import MAX_ID, parse_int

MAX_PAGE_SIZE = 100
NO_MEMBER = "No member you can see has this id."
WHOLE_NUMBER = "Give a whole number."

__all__ = ["MAX_ID", "StrictIntegerField", "parse_int", "query_int"]


def only_roles(request: Any, *roles: str) -> None:
    """An operation other roles do not have: to them it does not exist (404)."""
    if getattr(request.user, "role", None) not in roles:
        raise exceptions.NotFound


def query_date(params: Mapping[str, Any], name: str) -> date | None:
    """A date query parameter, absent as None; anything but YYYY-MM-DD (empty too) is a 400
    naming it."""
    raw = params.get(name)
    if raw is None:
        return None
    try:
        return date.fromisoformat(str(raw))
    except ValueError:
        raise exceptions.ValidationError({name: ["Give a date as YYYY-MM-DD."]}) from None


def query_choice(params: Mapping[str, Any], name: str, choices: Sequence[str]) -> str | None:
    """A query parameter that takes one of `choices`, absent as None; anything else is a 400
    naming it and listing them."""
    raw = params.get(name)
    if raw is None:
        return None
    if raw not in choices:
        raise exceptions.ValidationError({name: [f"Choose one of: {', '.join(choices)}."]})
    return str(raw)


def query_int(
    params: Mapping[str, Any],
    name: str,
    *,
    low: int = 1,
    high: int = MAX_ID,
    message: str = WHOLE_NUMBER,
) -> int | None:
    """A whole-number query parameter (ASCII digits, in [low, high]), absent as None; anything
    else (empty, "²", "٣", " 1", 5,000 digits) is a 400 naming it."""
    raw = params.get(name)
    if raw is None:
        return None
    number = parse_int(str(raw), low=low, high=high)
    if number is None:
        raise exceptions.ValidationError({name: [message]})
    return number


class StrictIntegerField(serializers.IntegerField):
    """An integer in a request body: a JSON number or a string of ASCII digits, never a bool,
    a float, "٣" or "²" (which DRF's IntegerField takes or trips on). Ids by default: 1 to
    MAX_ID unless min_value/max_value say otherwise."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("min_value", 1)
        kwargs.setdefault("max_value", MAX_ID)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> int:
        signed = self.min_value is None or self.min_value < 0
        number = parse_int(data, low=-MAX_ID if signed else 0, high=MAX_ID)
        if number is None:
            self.fail("invalid")
        return int(number)  # min_value/max_value validators give their own messages


def query_object(
    queryset: QuerySet[Any], params: Mapping[str, Any], name: str, message: str
) -> Any:
    """The object a query parameter names by id, looked up in a scoped queryset; absent as
    None; an id the user may not see (or not an id) is a 400 on that parameter."""
    raw = params.get(name)
    if raw is None:
        return None
    pk = parse_int(str(raw))
    found = queryset.filter(pk=pk).first() if pk is not None else None
    if found is None:
        raise exceptions.ValidationError({name: [message]})
    return found


def records_of_member(request: Any, queryset: QuerySet[Any]) -> tuple[QuerySet[Any], Any]:
    """A list of members' records narrowed by the `member` parameter (one member the user may
    see, else a 400 on it) and by `from` and `to` on their local date. Returns the queryset
    and the member named, if any (the audit row names them)."""
    from . import access  # access imports the models; this module is imported before them

    params = request.query_params
    member = query_object(access.visible_members(request.user), params, "member", NO_MEMBER)
    if member is not None:
        queryset = queryset.filter(member=member)
    start, end = query_date(params, "from"), query_date(params, "to")
    if start is not None:
        queryset = queryset.filter(local_date__gte=start)
    if end is not None:
        queryset = queryset.filter(local_date__lte=end)
    return queryset, member


def audited_page(
    view: Any,
    request: Any,
    queryset: QuerySet[Any],
    *,
    member: Any,
    object_type: str,
    render: Callable[[Any], Any],
) -> Response:
    """A list endpoint's page of member records: the page's rows rendered, and the read audited
    when staff made it (one row for the page, naming the member when the list was of one)."""
    from . import audit  # audit imports the models: not at this module's import

    page = view.paginate_queryset(queryset)
    rows = page if page is not None else list(queryset)
    data = [render(row) for row in rows]
    audit.record_read_by_staff(
        request=request,
        member_id=member.pk if member is not None else None,
        object_type=object_type,
    )
    return view.get_paginated_response(data)


class Pagination(PageNumberPagination):
    page_size = 20
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE

    def get_page_size(self, request: Any) -> int:
        # DRF quietly falls back to 20 for `?page_size=abc` or `=0`; say what is wrong instead.
        # Sizes above the cap are still cut to MAX_PAGE_SIZE (a client asking for "all").
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        size = parse_int(str(raw), low=1, high=MAX_ID)
        if size is None:
            raise exceptions.ValidationError(
                {self.page_size_query_param: [f"A whole number from 1 to {MAX_PAGE_SIZE}."]}
            )
        return min(size, MAX_PAGE_SIZE)

    def check_params(self, request: Any) -> None:
        """`page` and `page_size` checked as a paged answer checks them, for an answer that
        pages nothing (a CSV export of every row): a bad value is still a 400 naming it."""
        self.get_page_size(request)
        query_int(request.query_params, self.page_query_param)


class StrictFilterBackend(DjangoFilterBackend):
    """django-filter, except that a filter given with no value (`?category=`) is a 400 naming
    it: an API client that sends an empty filter has a bug, and quietly listing everything
    would hide it. (HTML forms on the pages submit empty values; they use the FilterSet
    directly, not this backend.)"""

    def get_filterset_kwargs(self, request: Any, queryset: Any, view: Any) -> dict[str, Any]:
        kwargs: dict[str, Any] = super().get_filterset_kwargs(request, queryset, view)
        filterset_class = self.get_filterset_class(view, queryset)
        if filterset_class is not None:
            blank = {
                name: ["Give a value or leave the parameter out."]
                for name in filterset_class.base_filters
                if name in request.query_params and request.query_params.get(name) == ""
            }
            if blank:
                raise exceptions.ValidationError(blank)
        return kwargs


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


class Conflict(exceptions.APIException):
    status_code = status.HTTP_409_CONFLICT
    default_detail = "The request conflicts with the current state."
    default_code = "conflict"

    def __init__(self, detail: Any = None, *, field: str | None = None) -> None:
        super().__init__(detail)
        # The field whose value clashes (a duplicate email): named in "errors" too.
        self.errors: dict[str, list[str]] = {field: [str(self.detail)]} if field else {}


def _flatten(detail: Any) -> list[str]:
    if isinstance(detail, dict):
        return [msg for value in detail.values() for msg in _flatten(value)]
    if isinstance(detail, list):
        return [msg for item in detail for msg in _flatten(item)]
    return [str(detail)]


def _field_errors(detail: Any) -> dict[str, Any]:
    if isinstance(detail, dict):
        return {str(key): value for key, value in detail.items()}
    if isinstance(detail, list):
        return {"non_field_errors": detail}
    return {"non_field_errors": [detail]}


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """Every error answers {"detail": str, "errors": {field: [messages]}}."""
    if isinstance(exc, DjangoValidationError):
        exc = exceptions.ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    elif isinstance(exc, RequestDataTooBig):
        exc = PayloadTooLarge()
    elif isinstance(exc, TooManyFieldsSent):
        exc = exceptions.ValidationError({"non_field_errors": ["Too many fields."]})
    elif isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied()

    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        errors = _field_errors(exc.detail)
        messages = _flatten(exc.detail)
        detail = messages[0] if len(messages) == 1 else "Invalid input."
        response.data = {"detail": detail, "errors": errors}
    else:
        data = response.data if isinstance(response.data, dict) else {}
        detail = data.get("detail", _flatten(response.data)[0] if response.data else "")
        response.data = {"detail": str(detail), "errors": getattr(exc, "errors", None) or {}}
    return response
