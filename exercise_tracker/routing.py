"""A URL resolver that tries only the patterns that can match a path's first segment: for the
v1 API's eighty-odd routes, which Django's resolver would otherwise try one by one (and note
each miss) on every request."""

# django-stubs do not declare URLResolver's helpers nor ResolverMatch's newer arguments, which
# Django 5.2 has.
# mypy: disable-error-code="attr-defined"

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django.urls import URLPattern, URLResolver
from django.urls.exceptions import Resolver404
from django.urls.resolvers import ResolverMatch, RoutePattern

# Where a pattern's literal text ends: a converter (`<int:pk>`) or a regex's first special sign.
_ROUTE_LITERAL = re.compile(r"[^<]*")
_REGEX_LITERAL = re.compile(r"[^\\.^$*+?{}\[\]|()]*")


def first_segment(pattern: Any) -> str | None:
    """The complete first path segment every match of `pattern` starts with (`"plans"` for
    `plans/<int:pk>/`), or None when it does not fix one (it may match anything)."""
    text = str(pattern.pattern)
    if isinstance(pattern.pattern, RoutePattern):
        literal = _ROUTE_LITERAL.match(text)
    else:
        literal = _REGEX_LITERAL.match(text.removeprefix("^"))
    head = literal.group(0) if literal else ""
    return head.split("/", 1)[0] if "/" in head else None


class IndexedResolver(URLResolver):
    """Django's resolver for a flat list of patterns, grouped by first segment: a path tries
    the patterns of its first segment and those that fix none, in their order in the list, so
    it resolves to the same view as Django's resolver would."""

    def __init__(self, route: str, patterns: Sequence[URLPattern | URLResolver]) -> None:
        super().__init__(RoutePattern(route, is_endpoint=False), list(patterns))
        self._by_segment: dict[str, list[URLPattern | URLResolver]] = {}
        self._anywhere: list[URLPattern | URLResolver] = []
        segments = [first_segment(p) for p in patterns]
        for segment in {s for s in segments if s is not None}:
            self._by_segment[segment] = [
                p for p, s in zip(patterns, segments, strict=True) if s in (segment, None)
            ]
        self._anywhere = [p for p, s in zip(patterns, segments, strict=True) if s is None]

    def resolve(self, path: Any) -> ResolverMatch:
        path = str(path)
        match = self.pattern.match(path)
        if not match:
            raise Resolver404({"path": path})
        new_path, args, kwargs = match
        segment = new_path.split("/", 1)[0]
        tried: list[list[Any]] = []
        for pattern in self._by_segment.get(segment, self._anywhere):
            try:
                sub_match = pattern.resolve(new_path)
            except Resolver404 as exc:
                self._extend_tried(tried, pattern, exc.args[0].get("tried"))
                continue
            if not sub_match:
                tried.append([pattern])
                continue
            sub_match_dict = {**kwargs, **self.default_kwargs, **sub_match.kwargs}
            sub_match_args = sub_match.args if sub_match_dict else args + sub_match.args
            current_route = "" if isinstance(pattern, URLPattern) else str(pattern.pattern)
            self._extend_tried(tried, pattern, sub_match.tried)
            return ResolverMatch(
                sub_match.func,
                sub_match_args,
                sub_match_dict,
                sub_match.url_name,
                [self.app_name, *sub_match.app_names],
                [self.namespace, *sub_match.namespaces],
                self._join_route(current_route, sub_match.route),
                tried,
                captured_kwargs=sub_match.captured_kwargs,
                extra_kwargs={**self.default_kwargs, **sub_match.extra_kwargs},
            )
        raise Resolver404({"tried": tried, "path": new_path})
