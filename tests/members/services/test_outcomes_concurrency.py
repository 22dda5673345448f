"""Retried questionnaires racing each other store one row (real threads; PostgreSQL and the
embedded SQLite default alike)."""

from __future__ import annotations

import threading
import uuid

import pytest
from django.db import connection

from members.models import Assessment
from members.services.outcomes import record_assessment
from tests import factories

THREADS = 12


@pytest.mark.django_db(transaction=True)
def test_racing_retries_with_one_client_id_store_one_assessment() -> None:
    member = factories.MemberFactory.create()
    client_id = uuid.uuid4()
    barrier = threading.Barrier(THREADS)
    ids: list[int] = []
    errors: list[BaseException] = []

    def send() -> None:
        try:
            barrier.wait()
            assessment, _ = record_assessment(
                member=member, instrument="nprs", answers=[6], client_id=client_id
            )
            ids.append(assessment.pk)
        except BaseException as exc:
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=send) for _ in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert not errors, errors
    assert Assessment.objects.filter(member=member).count() == 1
    assert len(set(ids)) == 1
    assert len(ids) == THREADS
