"""Questionnaires over the API: scored on the server, bad answers named, schedules and due dates."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from exercise_tracker.models import AuditEvent
from members.models import Assessment, AssessmentSchedule
from members.selectors.outcomes import due_assessments
from members.services.outcomes import record_assessment, schedule_assessment
from tests.conftest import World, bearer_client
from tests.instrument_wording import load_fake_wording

URL = "/api/v1/assessments/"
SCHEDULES = "/api/v1/assessment-schedules/"
ODI_32 = [2, 2, 2, 2, 2, 1, 1, 1, 1, 2]  # 16 of 50


def _member_today(world: World) -> date:
    return timezone.localtime(timezone.now(), world.member.tz).date()


@pytest.fixture
def worded(db: None) -> None:
    """ODI and ZCQ are taken only once the clinic has loaded their licensed wording: made-up
    wording (tests/instrument_wording.py) for these tests."""
    load_fake_wording("odi", "zcq")


# --- POST: scored on the server -------------------------------------------------------------


@pytest.mark.django_db
def test_member_posts_odi_and_gets_a_neutral_score_and_no_change_yet(
    world: World, worded: None
) -> None:
    client = bearer_client(world.member.user)
    response = client.post(URL, {"instrument": "odi", "answers": ODI_32}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["score"] == 32.0
    # Neutral for the member: the band is the PT's.
    assert body["band"] is None
    assert "disability" not in body["interpretation"]
    assert body["interpretation"] == (
        "32% on a scale from 0 to 100, where lower means less difficulty with daily activities."
    )
    assert body["member"] == world.member.pk
    assert body["local_date"] == _member_today(world).isoformat()
    assert body["change"] is None
    assert body["meaningful_change"]["points"] == 10
    # Stored with its band, for the PT.
    assert Assessment.objects.get().band == "moderate disability"


@pytest.mark.django_db
@pytest.mark.parametrize("instrument", ["odi", "zcq"])
def test_licensed_questionnaires_are_refused_until_their_wording_is_loaded(
    world: World, instrument: str
) -> None:
    answers = {
        "odi": ODI_32,
        "zcq": {"severity": [3, 3, 3, 3, 3, 3, 3], "function": [2] * 5},
    }[instrument]
    client = bearer_client(world.member.user)
    response = client.post(URL, {"instrument": instrument, "answers": answers}, format="json")
    assert response.status_code == 400
    body = response.json()
    assert list(body["errors"]) == ["instrument"]
    assert "not offered" in body["errors"]["instrument"][0]
    assert not Assessment.objects.exists()
    # The service refuses it too (the page and the API agree).
    with pytest.raises(ValidationError) as refused:
        record_assessment(member=world.member, instrument=instrument, answers=answers)
    assert list(refused.value.message_dict) == ["instrument"]
    # Once the clinic loads the wording, the same answers are taken.
    load_fake_wording(instrument)
    again = client.post(URL, {"instrument": instrument, "answers": answers}, format="json")
    assert again.status_code == 201, again.content


@pytest.mark.django_db
def test_a_member_reads_their_odi_without_the_band_their_pt_with_it(
    world: World, worded: None
) -> None:
    # 40 of 50 = 80%: the band the PT reads is "crippling back pain".
    assessment, _ = record_assessment(member=world.member, instrument="odi", answers=[4] * 10)
    path = f"{URL}{assessment.pk}/"
    mine = bearer_client(world.member.user).get(path).json()
    listed = bearer_client(world.member.user).get(URL).json()["results"][0]
    for body in (mine, listed):
        assert body["score"] == 80.0
        assert body["band"] is None
        assert "crippling" not in body["interpretation"]
        assert "on a scale from 0 to 100" in body["interpretation"]
    for user in (world.pt.user, world.staff):
        theirs = bearer_client(user).get(path).json()
        listed = bearer_client(user).get(URL, {"member": world.member.pk}).json()["results"][0]
        for body in (theirs, listed):
            assert body["band"] == "crippling back pain"
            assert body["interpretation"] == "80.0% (40 of 50): crippling back pain."


@pytest.mark.django_db
def test_zcq_is_given_to_a_member_on_its_own_scales(world: World, worded: None) -> None:
    answers = {
        "severity": [1, 1, 1, 1, 1, 1, 1],
        "function": [1] * 5,
        "satisfaction": [2] * 6,
    }
    body = (
        bearer_client(world.member.user)
        .post(URL, {"instrument": "zcq", "answers": answers}, format="json")
        .json()
    )
    # No symptoms: 1 on a scale from 1 to 5, never "20%".
    assert body["score"] == {
        "severity": {"mean": 1.0, "answered": 7},
        "function": {"mean": 1.0, "answered": 5},
        "satisfaction": {"mean": 2.0, "answered": 6},
    }
    assert body["band"] is None
    assert "%" not in body["interpretation"]
    assert "satisfied" not in body["interpretation"]
    assert "Symptoms: 1 on a scale from 1 to 5." in body["interpretation"]
    assert "Physical function: 1 on a scale from 1 to 4." in body["interpretation"]
    # The PT reads the percentages and the satisfaction band too.
    theirs = bearer_client(world.pt.user).get(f"{URL}{body['id']}/").json()
    assert theirs["score"]["severity"] == {"mean": 1.0, "percent": 20.0, "answered": 7}
    assert theirs["band"] == "at least somewhat satisfied"


@pytest.mark.django_db
def test_second_questionnaire_reports_change_and_whether_it_is_meaningful(
    world: World, worded: None
) -> None:
    client = bearer_client(world.member.user)
    client.post(URL, {"instrument": "odi", "answers": ODI_32}, format="json")
    # 11 of 50 = 22%: 10 points better, meaningful.
    body = client.post(
        URL, {"instrument": "odi", "answers": [1, 1, 1, 1, 1, 1, 1, 1, 1, 2]}, format="json"
    ).json()
    assert body["score"] == 22.0
    assert body["change"] == {
        "previous_score": 32.0,
        "delta": -10.0,
        "threshold": 9.6,  # 30% of 32 is less than 10 points
        "direction": "better",
        "meaningful": True,
    }
    # 10 of 50 = 20%: 2 points better, not meaningful.
    body = client.post(URL, {"instrument": "odi", "answers": [1] * 10}, format="json").json()
    assert body["change"]["meaningful"] is False
    assert body["change"]["direction"] == "better"


@pytest.mark.django_db
def test_the_client_cannot_send_its_own_score(world: World) -> None:
    client = bearer_client(world.member.user)
    response = client.post(
        URL,
        {"instrument": "nprs", "answers": [7], "score": 0, "band": "no pain", "member": 999},
        format="json",
    )
    assert response.status_code == 201
    assert response.json()["score"] == 7
    stored = Assessment.objects.get()
    assert stored.score == 7
    assert stored.band == "severe pain"
    assert stored.member_id == world.member.pk


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        (
            {"instrument": "odi", "answers": [2, 2, 2, 2, 2, 1, 1, None, None, None]},
            "answers",
            "3 sections",
        ),
        ({"instrument": "odi", "answers": [2, 2, 2, 9, 2, 1, 1, 1, 1, 1]}, "answers", "Section 4"),
        (
            {
                "instrument": "zcq",
                "answers": {"severity": [3, 3, 3, 3, 3, 3, 2], "function": [2] * 5},
            },
            "answers",
            "balance",
        ),
        (
            {"instrument": "psfs", "answers": [{"activity": "walk", "score": 4}]},
            "answers",
            "3 to 5",
        ),
        ({"instrument": "nprs", "answers": [11]}, "answers", "0 to 10"),
        ({"instrument": "promis", "answers": [1]}, "instrument", ""),
        ({"answers": [1]}, "instrument", ""),
        ({"instrument": "nprs"}, "answers", ""),
        ({"instrument": "nprs", "answers": [3], "client_id": "not-a-uuid"}, "client_id", ""),
    ],
)
def test_bad_answers_are_a_400_naming_the_field(
    world: World, worded: None, payload: dict, field: str, words: str
) -> None:
    response = bearer_client(world.member.user).post(URL, payload, format="json")
    assert response.status_code == 400
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert list(body["errors"]) == [field]
    assert words in " ".join(body["errors"][field])
    assert not Assessment.objects.exists()


@pytest.mark.django_db
def test_dates_in_the_future_or_over_a_week_old_are_refused(world: World) -> None:
    client = bearer_client(world.member.user)
    today = _member_today(world)
    for day in (today + timedelta(days=1), today - timedelta(days=8)):
        response = client.post(
            URL, {"instrument": "nprs", "answers": [3], "date": day.isoformat()}, format="json"
        )
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["date"]
    ok = client.post(
        URL,
        {"instrument": "nprs", "answers": [3], "date": (today - timedelta(days=7)).isoformat()},
        format="json",
    )
    assert ok.status_code == 201


@pytest.mark.django_db
def test_a_retry_with_the_same_client_id_returns_the_first_one(world: World) -> None:
    client = bearer_client(world.member.user)
    payload = {"instrument": "nprs", "answers": [5], "client_id": str(uuid.uuid4())}
    first = client.post(URL, payload, format="json")
    again = client.post(URL, payload, format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert first.json()["id"] == again.json()["id"]
    assert Assessment.objects.count() == 1
    changed = client.post(URL, payload | {"answers": [6]}, format="json")
    assert changed.status_code == 409
    assert Assessment.objects.count() == 1


@pytest.mark.django_db
def test_the_idempotency_key_header_replays_the_first_answer(world: World, worded: None) -> None:
    client = bearer_client(world.member.user)
    key = str(uuid.uuid4())
    payload = {"instrument": "odi", "answers": ODI_32}
    first = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    again = client.post(URL, payload, format="json", HTTP_IDEMPOTENCY_KEY=key)
    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert Assessment.objects.count() == 1
    other = client.post(
        URL, {"instrument": "nprs", "answers": [2]}, format="json", HTTP_IDEMPOTENCY_KEY=key
    )
    assert other.status_code == 409
    assert Assessment.objects.count() == 1


@pytest.mark.django_db
def test_local_date_is_the_members_own_at_a_day_boundary(world: World) -> None:
    # 03:30 UTC on March 10 is still March 9 in New York.
    now = datetime(2026, 3, 10, 3, 30, tzinfo=UTC)
    assessment, _ = record_assessment(member=world.member, instrument="nprs", answers=[4], now=now)
    assert assessment.local_date == date(2026, 3, 9)


@pytest.mark.django_db
@pytest.mark.parametrize("actor", ["pt", "coordinator", "staff"])
def test_only_members_post_questionnaires(world: World, actor: str) -> None:
    user = {"pt": world.pt.user, "coordinator": world.coordinator, "staff": world.staff}[actor]
    response = bearer_client(user).post(URL, {"instrument": "nprs", "answers": [3]}, format="json")
    assert response.status_code == 404
    assert not Assessment.objects.exists()


# --- GET: scoped ----------------------------------------------------------------------------


def _fill(world: World) -> None:
    load_fake_wording("odi")
    for member in (world.member, world.other_member, world.foreign_member):
        record_assessment(member=member, instrument="nprs", answers=[6])
        record_assessment(member=member, instrument="nprs", answers=[3])
        record_assessment(member=member, instrument="odi", answers=ODI_32)


@pytest.mark.django_db
def test_member_reads_own_with_change_since_the_previous(world: World) -> None:
    _fill(world)
    body = bearer_client(world.member.user).get(URL).json()
    assert body["count"] == 3
    assert {row["member"] for row in body["results"]} == {world.member.pk}
    nprs = [row for row in body["results"] if row["instrument"] == "nprs"]
    latest, first = nprs  # newest first
    assert latest["score"] == 3
    assert latest["change"]["delta"] == -3.0
    assert latest["change"]["meaningful"] is True
    assert first["change"] is None


@pytest.mark.django_db
def test_pt_reads_their_caseload_and_filters_by_member_audited(world: World) -> None:
    _fill(world)
    client = bearer_client(world.pt.user)
    before = AuditEvent.objects.count()
    body = client.get(URL, {"member": str(world.member.pk), "instrument": "nprs"}).json()
    assert body["count"] == 2
    assert {row["member"] for row in body["results"]} == {world.member.pk}
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.latest("id").member_id == world.member.pk
    # Another PT's member, or another organization's, is a 400 on the filter.
    for other in (world.other_member, world.foreign_member):
        response = client.get(URL, {"member": other.pk})
        assert response.status_code == 400
        assert list(response.json()["errors"]) == ["member"]
    assert client.get(URL).json()["count"] == 3


@pytest.mark.django_db
def test_coordinators_do_not_read_questionnaire_scores(world: World) -> None:
    _fill(world)
    response = bearer_client(world.coordinator).get(URL)
    assert response.status_code == 404
    assessment = Assessment.objects.filter(member=world.member).earliest("id")
    assert bearer_client(world.coordinator).get(f"{URL}{assessment.pk}/").status_code == 404


@pytest.mark.django_db
def test_list_queries_stay_constant_with_more_rows(
    world: World, django_assert_max_num_queries
) -> None:
    client = bearer_client(world.pt.user)
    for n in range(12):
        record_assessment(member=world.member, instrument="nprs", answers=[n % 11])
    with django_assert_max_num_queries(8):
        body = client.get(URL, {"member": world.member.pk}).json()
    assert body["count"] == 12


@pytest.mark.django_db
def test_filters_from_to_and_bad_dates(world: World) -> None:
    today = _member_today(world)
    record_assessment(
        member=world.member, instrument="nprs", answers=[8], local_date=today - timedelta(days=5)
    )
    record_assessment(member=world.member, instrument="nprs", answers=[4], local_date=today)
    client = bearer_client(world.member.user)
    body = client.get(URL, {"from": today.isoformat()}).json()
    assert [row["score"] for row in body["results"]] == [4]
    # The change is still against the earlier one, outside the window.
    assert body["results"][0]["change"]["previous_score"] == 8.0
    response = client.get(URL, {"to": "yesterday"})
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["to"]


# --- schedules and due ----------------------------------------------------------------------


@pytest.mark.django_db
def test_pt_schedules_for_a_caseload_member_only(world: World) -> None:
    client = bearer_client(world.pt.user)
    response = client.post(
        SCHEDULES,
        {"member": world.member.pk, "instrument": "odi", "every_n_days": 14},
        format="json",
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["every_n_days"] == 14
    assert body["active"] is True
    assert body["created_by"] == world.pt.pk
    assert body["start_date"] == _member_today(world).isoformat()
    for member in (world.other_member, world.foreign_member):
        refused = client.post(
            SCHEDULES, {"member": member.pk, "instrument": "odi", "every_n_days": 14}, format="json"
        )
        assert refused.status_code == 400
        assert list(refused.json()["errors"]) == ["member"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({"instrument": "odi", "every_n_days": 0}, "every_n_days"),
        ({"instrument": "odi", "every_n_days": 400}, "every_n_days"),
        ({"instrument": "sf36", "every_n_days": 14}, "instrument"),
        ({"instrument": "odi", "every_n_days": "often"}, "every_n_days"),
    ],
)
def test_bad_schedules_name_the_field(world: World, payload: dict, field: str) -> None:
    response = bearer_client(world.pt.user).post(
        SCHEDULES, {"member": world.member.pk, **payload}, format="json"
    )
    assert response.status_code == 400
    assert list(response.json()["errors"]) == [field]


@pytest.mark.django_db
def test_a_new_schedule_replaces_the_active_one_and_pt_can_pause(world: World) -> None:
    client = bearer_client(world.pt.user)
    first = client.post(
        SCHEDULES,
        {"member": world.member.pk, "instrument": "nprs", "every_n_days": 7},
        format="json",
    ).json()
    second = client.post(
        SCHEDULES,
        {"member": world.member.pk, "instrument": "nprs", "every_n_days": 3},
        format="json",
    ).json()
    active = AssessmentSchedule.objects.filter(member=world.member, active=True)
    assert list(active.values_list("pk", flat=True)) == [second["id"]]
    paused = client.patch(f"{SCHEDULES}{second['id']}/", {"active": False}, format="json")
    assert paused.status_code == 200
    assert paused.json()["active"] is False
    # The member sees both schedules but cannot change them.
    member_client = bearer_client(world.member.user)
    assert member_client.get(SCHEDULES).json()["count"] == 2
    assert (
        member_client.patch(
            f"{SCHEDULES}{first['id']}/", {"active": True}, format="json"
        ).status_code
        == 404
    )
    assert (
        bearer_client(world.pt_other.user)
        .patch(f"{SCHEDULES}{first['id']}/", {"active": True}, format="json")
        .status_code
        == 404
    )


@pytest.mark.django_db
def test_due_follows_the_schedule_and_what_was_taken(world: World) -> None:
    load_fake_wording("odi")
    start = date(2026, 3, 2)
    schedule_assessment(
        member=world.member, instrument="odi", every_n_days=14, therapist=world.pt, start_date=start
    )

    def due_on(day: date) -> list[str]:
        return [d.instrument for d in due_assessments(member=world.member, on=day)]

    assert due_on(start - timedelta(days=1)) == []
    assert due_on(start) == ["odi"]
    assert due_on(start + timedelta(days=5)) == ["odi"]  # still due until taken
    Assessment.objects.create(
        member=world.member,
        instrument="odi",
        answers=ODI_32,
        score=32.0,
        score_value=32,
        local_date=start + timedelta(days=5),
    )
    assert due_on(start + timedelta(days=5)) == []
    assert due_on(start + timedelta(days=13)) == []
    due = due_assessments(member=world.member, on=start + timedelta(days=14))
    assert [d.instrument for d in due] == ["odi"]
    assert due[0].due_since == start + timedelta(days=14)
    assert due[0].url == "/questionnaires/odi/"
    # Taken a day before it fell due does not count for the new period.
    Assessment.objects.create(
        member=world.member,
        instrument="odi",
        answers=ODI_32,
        score=32.0,
        score_value=32,
        local_date=start + timedelta(days=27),
    )
    assert due_on(start + timedelta(days=28)) == ["odi"]
    AssessmentSchedule.objects.update(active=False)
    assert due_on(start + timedelta(days=28)) == []


@pytest.mark.django_db
def test_due_uses_three_queries_whatever_the_schedules(
    world: World, django_assert_num_queries
) -> None:
    load_fake_wording("odi", "zcq")
    for instrument in ("nprs", "odi", "psfs", "zcq"):
        schedule_assessment(
            member=world.member,
            instrument=instrument,
            every_n_days=7,
            therapist=world.pt,
            start_date=date(2026, 1, 5),
        )
    # The schedules, the loaded wordings (what is offered) and what was taken.
    with django_assert_num_queries(3):
        due = due_assessments(member=world.member, on=date(2026, 2, 1))
    assert [d.instrument for d in due] == ["nprs", "odi", "psfs", "zcq"]
