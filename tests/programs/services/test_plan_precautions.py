"""The plan builder's and the API's precaution warnings: both names, a PT may keep the item, and
the warning stays with the revision."""

from __future__ import annotations

from datetime import date

from programs.models import PlanRevision
from programs.services import plans as services
from tests.conftest import World, bearer_client
from tests.programs.factories_plans import PlanExerciseFactory, item, make_plan

START = date(2025, 3, 3)


def test_a_kept_warned_item_is_saved_and_the_warning_recorded_in_the_revision(
    world: World,
) -> None:
    world.member.condition = "hip"
    world.member.precautions = ["hip_replacement_posterior"]
    world.member.save()
    figure_4 = PlanExerciseFactory.create(
        name="Figure-4 piriformis stretch", precaution_tags=["hip_flexion_past_90_adduction"]
    )
    clam = PlanExerciseFactory.create(name="Clamshell")
    result = make_plan(
        pt=world.pt, member=world.member, items=[item(clam), item(figure_4)], start=START
    )
    assert result.plan.items.count() == 2  # kept: a warning never blocks
    (warning,) = result.warnings
    assert warning["code"] == "precaution_conflict"
    assert warning["field"] == "items[1].exercise"
    assert (warning["precaution"], warning["exercise_precaution"]) == (
        "hip_replacement_posterior",
        "hip_flexion_past_90_adduction",
    )
    assert "Figure-4 piriformis stretch" in warning["message"]
    assert "hip replacement" in warning["message"]
    revision = PlanRevision.objects.get(plan=result.plan, number=1)
    assert revision.warnings == [warning]

    # A later revision records what was in force then; one without conflicts records none.
    current = {v.exercise_id: v for v in result.plan.items.all()}
    revised = services.revise_plan(
        user=world.pt.user,
        plan=result.plan,
        reason="Swap the stretch out",
        items=[{"id": current[clam.pk].pk}],
    )
    assert revised.warnings == []
    assert PlanRevision.objects.get(plan=result.plan, number=2).warnings == []


def test_the_api_names_both_and_shows_the_revision_warnings(world: World) -> None:
    world.member.condition = "low_back_pain"
    world.member.precautions = ["osteoporosis"]
    world.member.save()
    flexion = PlanExerciseFactory.create(
        name="Seated lumbar flexion", precaution_tags=["loaded_spinal_flexion"]
    )
    client = bearer_client(world.pt.user)
    preview = client.post(
        "/api/v1/plans/preview/",
        {"member": world.member.pk, "items": [item(flexion)]},
        format="json",
    )
    assert preview.status_code == 200, preview.content
    (warning,) = preview.json()["warnings"]
    assert warning["precaution"] == "osteoporosis"
    assert warning["exercise_precaution"] == "loaded_spinal_flexion"
    assert warning["message"].startswith("Seated lumbar flexion")

    plan = make_plan(pt=world.pt, member=world.member, items=[item(flexion)], start=START).plan
    response = client.get(f"/api/v1/plans/{plan.pk}/revisions/")
    assert response.status_code == 200, response.content
    rows = response.json()
    rows = rows["results"] if isinstance(rows, dict) else rows
    assert rows[0]["warnings"][0]["precaution"] == "osteoporosis"
    detail = client.get(f"/api/v1/plans/{plan.pk}/").json()
    assert detail["items"][0]["exercise"]["precaution_tags"] == ["loaded_spinal_flexion"]
    assert detail["warnings"][0]["code"] == "precaution_conflict"
