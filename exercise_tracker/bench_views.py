"""The benchmark's yardsticks, mounted only when benchmarking (settings.BENCH_ENDPOINTS): the
lightest Django JSON view, and the lightest Django write (one row inserted in a transaction)."""

from django.db import connection, transaction
from django.http import HttpRequest, HttpResponseNotAllowed, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

# Made by the benchmark before it runs (bench/inside.py: facts) and emptied after (cleanup): a
# table of its own, outside the app's models and migrations.
INSERT_TABLE = "bench_insert"
CREATE_INSERT_TABLE = (
    f"CREATE TABLE IF NOT EXISTS {INSERT_TABLE} "
    "(id bigserial PRIMARY KEY, at timestamptz NOT NULL, note varchar(40) NOT NULL)"
)


def bare(request: HttpRequest) -> JsonResponse:
    return JsonResponse({"id": 1, "username": "bench", "role": "member"})


@csrf_exempt
def insert(request: HttpRequest) -> JsonResponse | HttpResponseNotAllowed:
    """One row into a small table in a transaction (BEGIN, INSERT ... RETURNING, COMMIT): what
    any write costs before its own work. The write paths are measured against it."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {INSERT_TABLE} (at, note) VALUES (%s, %s) RETURNING id",  # noqa: S608
            [timezone.now(), "bench"],
        )
        (pk,) = cursor.fetchone()
    return JsonResponse({"id": pk}, status=201)
