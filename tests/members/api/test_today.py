"""GET /api/v1/today/ and the /today/ page: the items in force on the member's local date with
their picture and dose, done counts, due questionnaires, the streak; the page logs without
its script too."""

from __future__ import annotations

import re
import uuid
from datetime import datetime, time, timedelta

import pytest
from django.core.files.base import ContentFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from members.models import SessionEntry, SessionLog
from members.selectors.sessions import current_streak
from members.services.outcomes import schedule_assessment
from programs.selectors.schedule import prescribed_sessions
from programs.services.plans import revise_plan
from tests import factories
from tests.conftest import World, bearer_client
from tests.instrument_wording import load_fake_wording
from tests.members.sessions_helpers import local_today, plan_with_items, session_body

pytestmark = pytest.mark.django_db


def _page_client(world: World) -> Client:
    client = Client()
    client.force_login(world.member.user)
    return client


def test_today_lists_the_items_in_force_with_dose_picture_and_counts(world: World) -> None:
    plan, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=2,
        doses=[{"sets": 3, "reps": 12, "times_per_day": 2}, {"sets": 1, "reps": 10}],
    )
    factories.ExerciseImageFactory.create(
        exercise=items[0].exercise,
        thumbnail_small=ContentFile(b"x", name="bridge-160.webp"),
        alt_text="Lying on the back, hips lifted",
        is_main=True,
    )
    body = session_body(world.member, items[:1])
    assert (
        bearer_client(world.member.user).post("/api/v1/sessions/", body, format="json").status_code
        == 201
    )
    data = bearer_client(world.member.user).get("/api/v1/today/").json()
    assert data["date"] == local_today(world.member).isoformat()
    assert data["timezone"] == world.member.timezone
    assert data["plan"]["id"] == plan.pk
    first, second = data["items"]
    assert first["plan_item"] == items[0].pk
    assert first["exercise"]["name"] == items[0].exercise.name
    assert first["exercise"]["thumbnail"].startswith("http://testserver/")
    assert first["exercise"]["thumbnail"].endswith(".webp")
    assert first["exercise"]["thumbnail_alt_text"] == "Lying on the back, hips lifted"
    assert first["dose"]["sets"] == 3 and first["dose"]["reps"] == 12
    assert first["dose_text"] == "3 sets of 12 reps, twice a day"
    assert (first["times_due"], first["times_done"]) == (2, 1)
    assert (second["times_due"], second["times_done"]) == (1, 0)
    assert second["exercise"]["thumbnail"] is None
    assert data["sessions_today"] == 1
    assert data["streak"] == 1


def test_today_follows_a_revision_made_today(world: World) -> None:
    today = local_today(world.member)
    plan, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=1,
        start=today - timedelta(days=5),
        at=datetime.combine(today - timedelta(days=5), time(12), tzinfo=world.member.tz),
    )
    client = bearer_client(world.member.user)
    assert (
        client.post(
            "/api/v1/sessions/", session_body(world.member, items), format="json"
        ).status_code
        == 201
    )
    revise_plan(
        user=world.pt.user, plan=plan, reason="More", items=[{"id": items[0].pk, "reps": 12}]
    )
    data = client.get("/api/v1/today/").json()
    (item,) = data["items"]
    assert item["plan_item"] != items[0].pk
    assert item["dose"]["reps"] == 12
    # Done counts follow the item, not one version of it.
    assert item["times_done"] == 1


def test_due_questionnaires_show_on_today(world: World) -> None:
    load_fake_wording("odi")
    plan_with_items(pt=world.pt, member=world.member, n=1)
    schedule_assessment(member=world.member, instrument="odi", every_n_days=14, therapist=world.pt)
    data = bearer_client(world.member.user).get("/api/v1/today/").json()
    assert [d["instrument"] for d in data["due_questionnaires"]] == ["odi"]
    page = _page_client(world).get("/today/").content.decode()
    assert 'data-testid="due-questionnaires"' in page


def test_today_is_for_members_only(world: World) -> None:
    for user in (world.pt.user, world.coordinator, world.staff):
        assert bearer_client(user).get("/api/v1/today/").status_code == 404
    assert bearer_client(None).get("/api/v1/today/").status_code == 401


def test_without_a_plan_today_says_so(world: World) -> None:
    data = bearer_client(world.member.user).get("/api/v1/today/").json()
    assert data["items"] == [] and data["plan"] is None and data["streak"] == 0
    page = _page_client(world).get("/today/").content.decode()
    assert "has not given you a plan yet" in page


def test_today_costs_the_same_queries_for_2_or_10_items(world: World) -> None:
    plan_with_items(pt=world.pt, member=world.member, n=10)
    plan_with_items(pt=world.pt_other, member=world.other_member, n=2)
    counts = []
    for member, n in ((world.member, 10), (world.other_member, 2)):
        client = bearer_client(member.user)
        with CaptureQueriesContext(connection) as queries:
            assert len(client.get("/api/v1/today/").json()["items"]) == n
        counts.append(len(queries))
    assert counts[0] == counts[1] <= 12, counts


# --- the streak -----------------------------------------------------------------------------


def test_the_streak_skips_rest_days_and_does_not_break_on_an_unfinished_today(
    world: World,
) -> None:
    today = local_today(world.member)
    # Every other weekday: rest days neither count nor break the run.
    weekdays = sorted({(today - timedelta(days=d)).weekday() for d in (0, 2, 4, 6)})
    _, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=1,
        start=today - timedelta(days=20),
        doses=[{"sets": 2, "reps": 10, "days_of_week": weekdays}],
    )
    schedule = prescribed_sessions(member=world.member, start=today - timedelta(days=20), end=today)
    done = {today - timedelta(days=2), today - timedelta(days=4), today - timedelta(days=6)}
    assert current_streak(today=today, prescribed=schedule, done_days=done) == 3
    assert current_streak(today=today, prescribed=schedule, done_days=done | {today}) == 4
    assert (
        current_streak(
            today=today, prescribed=schedule, done_days=done - {today - timedelta(days=4)}
        )
        == 1
    )
    assert items


# --- the page --------------------------------------------------------------------------------


def test_the_page_starts_with_nothing_done_rated_or_answered(world: World) -> None:
    _, items = plan_with_items(
        pt=world.pt,
        member=world.member,
        n=2,
        doses=[{"sets": 3, "reps": 12}, {"sets": 2, "reps": 8, "hold_seconds": 5}],
    )
    # Last time's answers are not this time's: nothing carries over.
    body = session_body(world.member, items, pain_before=6, pain_after=6, rpe=7)
    assert bearer_client(world.member.user).post("/api/v1/sessions/", body, format="json")
    page = _page_client(world).get("/today/")
    html = page.content.decode()
    assert page.status_code == 200
    assert html.count('data-testid="exercise-card"') == 2
    assert " checked" not in html  # no exercise done, no feedback, no pain, no effort
    # The dose waits on each field until the member marks the exercise done.
    assert f'name="sets-{items[0].pk}" value="" data-field="sets_done" data-dose="3"' in html
    assert f'name="reps-{items[0].pk}" value="" data-field="reps_done" data-dose="12"' in html
    assert (
        f'name="hold-{items[1].pk}" value="" data-field="hold_seconds_done" data-dose="5"' in html
    )
    assert 'max="24"' in html  # twice the 12 reps
    for choice in ("done", "partial", "skipped"):
        assert f'name="status-{items[0].pk}" value="{choice}"' in html
    assert '<input type="radio" name="pain_before" value="0"> 0 · No pain' in html
    assert 'data-testid="all-done"' in html
    assert 'data-api="/api/v1/sessions/"' in html
    assert "<script>" not in html and "<script " not in html.replace('<script src="', "")


def test_the_page_gives_the_red_flags_and_the_stop_rule(world: World) -> None:
    plan_with_items(pt=world.pt, member=world.member, n=1)
    html = _page_client(world).get("/today/").content.decode()
    flag = html[html.index('data-testid="red-flag"') :]
    flag = flag[: flag.index("</aside>")]
    assert "Get emergency care now" in flag
    assert "bladder or bowels" in flag and "groin or inner thighs" in flag
    assert "leg weakness that is getting worse" in flag
    assert "clinician" not in flag and "call your clinic" not in flag.lower()
    assert 'data-testid="stop-rule"' in html
    assert "makes your symptoms worse and they stay worse" in html
    # The advice after a painful session is on the page, hidden, with the alert's rule.
    assert re.search(r'id="pain-advice"[^>]*data-spike-after="7" data-spike-rise="2" hidden', html)


def test_each_card_shows_the_precautions_the_steps_behind_a_tap_and_a_link(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=1)
    exercise = items[0].exercise
    exercise.precautions = ["Keep the low back flat; do not arch."]
    exercise.instructions = ["Lie on your back.", "Lift the hips."]
    exercise.save()
    html = _page_client(world).get("/today/").content.decode()
    card = html[html.index('data-testid="exercise-card"') :]
    assert 'data-testid="precautions"' in card
    assert "<li>Keep the low back flat; do not arch.</li>" in card
    steps = card[card.index('<details class="steps"') : card.index("</details>")]
    assert "<li>Lie on your back.</li><li>Lift the hips.</li>" in steps
    assert f'href="http://testserver/plan/exercises/{exercise.pk}/"' in card


def test_today_items_carry_their_precautions(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    items[0].exercise.precautions = ["No arching.", "Stop if the legs tingle."]
    items[0].exercise.save()
    data = bearer_client(world.member.user).get("/api/v1/today/").json()
    first, second = data["items"]
    assert first["precautions"] == ["No arching.", "Stop if the legs tingle."]
    assert second["precautions"] == []
    assert first["exercise"]["url"].endswith(f"/plan/exercises/{items[0].exercise_id}/")
    assert isinstance(first["exercise"]["instructions"], list)


def _form(world: World, client: Client, **fields: str) -> dict[str, str]:
    client_id = client.get("/today/").context["client_id"]
    return {
        "client_id": str(client_id),
        "date": local_today(world.member).isoformat(),
        **fields,
    }


def test_the_page_logs_without_its_script_and_a_resent_form_stores_one(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    client = _page_client(world)
    form = _form(
        world,
        client,
        **{
            f"status-{items[0].pk}": "partial",
            f"sets-{items[0].pk}": "2",
            f"reps-{items[0].pk}": "9",
            f"feedback-{items[0].pk}": "too_hard",
            f"status-{items[1].pk}": "skipped",
            "pain_before": "5",
            "pain_after": "4",
            "rpe": "6",
            "notes": "Knees fine.",
        },
    )
    response = client.post("/today/", form)
    assert response.status_code == 302
    again = client.post("/today/", form)
    assert again.status_code == 302
    session = SessionLog.objects.get(member=world.member)
    assert session.status == "partial"
    assert (session.pain_before, session.pain_after, session.rpe) == (5, 4, 6)
    logged = list(SessionEntry.objects.filter(session=session).order_by("id"))
    assert [(e.plan_item_id, e.status, e.done) for e in logged] == [
        (items[0].pk, "partial", True),
        (items[1].pk, "skipped", False),
    ]
    assert (logged[0].reps_done, logged[0].feedback) == (9, "too_hard")
    assert (logged[1].sets_done, logged[1].feedback) == (None, "")
    follow = client.get("/today/").content.decode()
    assert "You logged 1 session today." in follow
    assert "Session logged. Well done!" in follow
    assert 'id="pain-advice"' in follow and 'data-spike-rise="2" hidden' in follow


def test_the_page_refuses_a_log_that_does_not_say_what_was_done(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    client = _page_client(world)
    # One exercise answered, the other not; no pain given.
    form = _form(world, client, **{f"status-{items[0].pk}": "done"})
    response = client.post("/today/", form)
    assert response.status_code == 400
    html = response.content.decode()
    assert f"{items[1].exercise.name}: choose Done, Partly or Skipped." in html
    assert "Pain before: choose a number" in html and "Pain after: choose a number" in html
    # What was chosen stays chosen.
    assert f'name="status-{items[0].pk}" value="done" data-role="status" checked' in html
    assert not SessionLog.objects.exists()


def test_a_done_exercise_is_logged_with_its_dose_and_no_feedback(world: World) -> None:
    _, items = plan_with_items(
        pt=world.pt, member=world.member, n=1, doses=[{"sets": 3, "reps": 12}]
    )
    client = _page_client(world)
    form = _form(
        world, client, **{f"status-{items[0].pk}": "done", "pain_before": "0", "pain_after": "0"}
    )
    assert client.post("/today/", form).status_code == 302
    session = SessionLog.objects.get()
    assert (session.status, session.pain_before, session.pain_after, session.rpe) == (
        "completed",
        0,
        0,
        None,
    )
    entry = session.entries.get()
    assert (entry.status, entry.sets_done, entry.reps_done, entry.feedback) == (
        "done",
        3,
        12,
        "",
    )


def test_did_everything_as_prescribed_marks_every_exercise_done(world: World) -> None:
    plan_with_items(pt=world.pt, member=world.member, n=3)
    client = _page_client(world)
    form = _form(world, client, all_done="1", pain_before="2", pain_after="2")
    assert client.post("/today/", form).status_code == 302
    session = SessionLog.objects.get()
    assert session.status == "completed"
    assert sorted(session.entries.values_list("status", flat=True)) == ["done"] * 3
    # Without the pain answers it is refused, with every exercise then shown as done.
    client = _page_client(world)
    response = client.post("/today/", _form(world, client, all_done="1"))
    assert response.status_code == 400
    html = response.content.decode()
    assert "Pain before: choose a number" in html
    assert html.count('value="done" data-role="status" checked') == 3


def test_every_exercise_skipped_is_a_skipped_session(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    client = _page_client(world)
    form = _form(
        world,
        client,
        pain_before="6",
        **{f"status-{item.pk}": "skipped" for item in items},
    )
    assert client.post("/today/", form).status_code == 302
    session = SessionLog.objects.get()
    assert (session.status, session.pain_before) == ("skipped", 6)
    assert set(session.entries.values_list("done", flat=True)) == {False}


@pytest.mark.parametrize(("before", "after"), [("3", "7"), ("2", "4"), ("8", "9")])
def test_after_a_painful_session_the_member_reads_what_to_do_not_well_done(
    world: World, before: str, after: str
) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=1)
    client = _page_client(world)
    form = _form(
        world,
        client,
        pain_before=before,
        pain_after=after,
        **{f"status-{items[0].pk}": "done"},
    )
    assert client.post("/today/", form).status_code == 302
    html = client.get("/today/").content.decode()
    assert "Well done" not in html
    advice = html[
        html.index('id="pain-advice"') : html.index("</section>", html.index('id="pain-advice"'))
    ]
    assert " hidden" not in advice.split(">")[0]
    assert "Stop exercising for today" in advice
    assert "Your physical therapist has been told." in advice
    assert "Get emergency care now" in advice
    # The PT was told: the alert is there.
    from members.models import Alert

    assert Alert.objects.filter(member=world.member, kind="pain_spike").exists()
    # Shown once: the next visit is a fresh page.
    again = client.get("/today/").content.decode()
    assert 'data-spike-rise="2" hidden' in again


def test_the_page_shows_what_the_service_refused(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=1)
    response = _page_client(world).post(
        "/today/",
        {
            "client_id": str(uuid.uuid4()),
            f"status-{items[0].pk}": "done",
            f"reps-{items[0].pk}": "99",
            "pain_before": "3",
            "pain_after": "3",
        },
    )
    assert response.status_code == 400
    assert "entries[0].reps_done" in response.content.decode()
    assert not SessionLog.objects.exists()


def test_skipping_from_the_page(world: World) -> None:
    plan_with_items(pt=world.pt, member=world.member, n=1)
    response = _page_client(world).post(
        "/today/", {"client_id": str(uuid.uuid4()), "status": "skipped", "pain_before": "2"}
    )
    assert response.status_code == 302
    session = SessionLog.objects.get()
    assert session.status == "skipped" and session.pain_before is None


def test_the_page_is_for_members(world: World) -> None:
    client = Client()
    client.force_login(world.pt.user)
    assert client.get("/today/").status_code == 404
    assert Client().get("/today/").status_code == 302
