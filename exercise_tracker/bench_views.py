"""The benchmark's yardstick: the lightest Django JSON view, mounted only when benchmarking."""

from django.http import HttpRequest, JsonResponse


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"id": 1, "username": "bench", "role": "member"})
