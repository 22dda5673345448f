"""Questionnaire and history pages: what a member and their PT see, and who sees nothing."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from exercise_tracker.models import AuditEvent
from members.models import Assessment
from members.services.outcomes import record_assessment, schedule_assessment
from tests import factories
from tests.conftest import World
from tests.instrument_wording import load_fake_wording

ODI_FIELDS = {f"odi-{n}": v for n, v in enumerate([2, 2, 2, 2, 2, 1, 1, 1, 1, 2], start=1)}


@pytest.fixture(autouse=True)
def _worded(db: None) -> None:
    # ODI and ZCQ are asked only with their (licensed) words: made-up ones for these tests.
    load_fake_wording("odi", "zcq")


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_odi_page_has_ten_numbered_sections_with_skip(world: World) -> None:
    html = _client(world.member.user).get("/questionnaires/odi/").content.decode()
    assert html.count('class="q-item"') == 10
    for n in range(1, 11):
        assert f'name="odi-{n}" value="5"' in html
        assert f'name="odi-{n}" value="skip"' in html
    assert 'name="client_id"' in html


@pytest.mark.django_db
def test_member_fills_in_odi_and_sees_the_score(world: World) -> None:
    client = _client(world.member.user)
    form = client.get("/questionnaires/odi/").content.decode()
    found = re.search(r'name="client_id" value="([^"]+)"', form)
    assert found is not None
    client_id = found.group(1)
    response = client.post("/questionnaires/odi/", {**ODI_FIELDS, "client_id": client_id})
    assert response.status_code == 302
    result = client.get(response["Location"]).content.decode()
    assert "32.0%" in result
    # Neutral for the member: the ODI's bands are for the PT.
    assert "moderate disability" not in result.lower() and "badge" not in result
    assert "on a scale from 0 to 100" in result
    # The same form sent twice (a double tap) stores one questionnaire.
    again = client.post("/questionnaires/odi/", {**ODI_FIELDS, "client_id": client_id})
    assert again["Location"] == response["Location"]
    assert Assessment.objects.count() == 1


@pytest.mark.django_db
def test_too_many_skipped_sections_show_the_reason_and_keep_answers(world: World) -> None:
    fields = ODI_FIELDS | {"odi-8": "skip", "odi-9": "skip", "odi-10": "skip"}
    response = _client(world.member.user).post("/questionnaires/odi/", fields)
    assert response.status_code == 400
    html = response.content.decode()
    assert "3 sections are unanswered" in html
    assert 'name="odi-1" value="2" checked' in html
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_zcq_and_psfs_forms_score(world: World) -> None:
    client = _client(world.member.user)
    zcq = {f"severity-{n}": "3" for n in range(1, 8)} | {f"function-{n}": "2" for n in range(1, 6)}
    response = client.post("/questionnaires/zcq/", zcq)
    assert response.status_code == 302
    assert Assessment.objects.get(instrument="zcq").score["satisfaction"] is None
    refused = client.post("/questionnaires/zcq/", zcq | {"severity-7": "2"})
    assert refused.status_code == 400
    assert "balance" in refused.content.decode()
    psfs = {
        "psfs-activity-1": "Walk to the shop",
        "psfs-score-1": "4",
        "psfs-activity-2": "Garden",
        "psfs-score-2": "5",
        "psfs-activity-3": "Stairs",
        "psfs-score-3": "6",
    }
    assert client.post("/questionnaires/psfs/", psfs).status_code == 302
    assert Assessment.objects.get(instrument="psfs").score == 5.0


@pytest.mark.django_db
def test_due_questionnaires_are_listed_for_the_member(world: World) -> None:
    schedule_assessment(member=world.member, instrument="odi", every_n_days=14, therapist=world.pt)
    html = _client(world.member.user).get("/questionnaires/").content.decode()
    assert 'data-testid="due-questionnaires"' in html
    assert 'href="/questionnaires/odi/"' in html


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/questionnaires/odi/", "/history/", "/questionnaires/"])
def test_member_pages_do_not_exist_for_other_roles(world: World, path: str) -> None:
    assert _client(world.pt.user).get(path).status_code == 404
    assert Client().get(path).status_code == 302  # to the login page


@pytest.mark.django_db
def test_unknown_instrument_is_404(world: World) -> None:
    assert _client(world.member.user).get("/questionnaires/sf36/").status_code == 404


@pytest.mark.django_db
def test_member_history_shows_calendar_charts_and_scores(world: World) -> None:
    today = timezone.localtime(timezone.now(), world.member.tz).date()
    record_assessment(
        member=world.member,
        instrument="odi",
        answers=[3] * 10,
        local_date=today - timedelta(days=6),
    )
    record_assessment(member=world.member, instrument="odi", answers=[2] * 10)
    html = _client(world.member.user).get("/history/").content.decode()
    assert 'data-testid="history-calendar"' in html
    assert html.count('<tr><th scope="row">') == 12  # weeks
    assert 'class="score-chart" data-instrument="odi"' in html
    assert "vendor/chart.umd.min.js" in html
    # Baseline 60%: the meaningful-improvement line at 50.
    assert "the dashed line at 50" in html
    assert 'id="history-data"' in html


@pytest.mark.django_db
def test_pt_reads_their_members_history_audited_and_nobody_else(world: World) -> None:
    path = f"/members/{world.member.pk}/history/"
    client = _client(world.pt.user)
    before = AuditEvent.objects.count()
    response = client.get(path)
    assert response.status_code == 200
    assert world.member.user.display_name in response.content.decode()
    assert AuditEvent.objects.count() == before + 1
    for user in (
        world.pt_other.user,
        world.coordinator,
        world.foreign_pt.user,
        world.other_member.user,
    ):
        assert _client(user).get(path).status_code == 404


@pytest.mark.django_db
def test_result_page_of_someone_else_is_404(world: World) -> None:
    theirs, _ = record_assessment(member=world.other_member, instrument="nprs", answers=[4])
    client = _client(world.member.user)
    assert client.get(f"/questionnaires/results/{theirs.pk}/").status_code == 404


@pytest.mark.django_db
def test_calendar_tells_done_partial_and_skipped_apart_without_colour(world: World) -> None:
    today = timezone.localtime(timezone.now(), world.member.tz).date()
    days = {
        today - timedelta(days=1): ("completed", 6, 4),
        today - timedelta(days=2): ("partial", 5, 5),
        today - timedelta(days=3): ("skipped", None, None),
    }
    for day, (status, before, after) in days.items():
        factories.SessionLogFactory.create(
            member=world.member,
            local_date=day,
            status=status,
            pain_before=before,
            pain_after=after,
        )
    # A second, completed sitting makes the partial day a done day, with mean pain.
    factories.SessionLogFactory.create(
        member=world.member,
        local_date=today - timedelta(days=2),
        status="completed",
        pain_before=3,
        pain_after=2,
    )
    response = _client(world.member.user).get("/history/")
    html = response.content.decode()
    cells = dict(re.findall(r'data-date="(\d{4}-\d\d-\d\d)" data-status="(\w+)"', html))
    assert cells[(today - timedelta(days=1)).isoformat()] == "completed"
    assert cells[(today - timedelta(days=2)).isoformat()] == "completed"
    assert cells[(today - timedelta(days=3)).isoformat()] == "skipped"
    assert cells[(today - timedelta(days=4)).isoformat()] == "none"
    # Words and symbols, not colour alone.
    assert ": Done</span>" in html
    assert ": Skipped</span>" in html
    assert "✕" in html
    pain = response.context["pain"]
    assert {"date": (today - timedelta(days=2)).isoformat(), "before": 4.0, "after": 3.5} in pain
    assert all(p["date"] != (today - timedelta(days=3)).isoformat() for p in pain)
    assert 'id="pain-chart"' in html


@pytest.mark.django_db
def test_history_chart_data_has_the_band_for_the_pt_not_the_member(world: World) -> None:
    # 40 of 50 = 80%: "crippling back pain" is the PT's band, never the member's.
    record_assessment(member=world.member, instrument="odi", answers=[4] * 10)
    mine = _client(world.member.user).get("/history/")
    assert [p["band"] for p in mine.context["series"][0]["points"]] == [None]
    assert "crippling" not in mine.content.decode().lower()
    theirs = _client(world.pt.user).get(f"/members/{world.member.pk}/history/")
    assert [p["band"] for p in theirs.context["series"][0]["points"]] == ["crippling back pain"]
    assert "crippling back pain" in theirs.content.decode()
