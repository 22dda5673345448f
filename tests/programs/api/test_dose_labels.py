"""The API gives each dose in the one wording the member reads: `label` on plan and template
items, `labels` in the builder's preview, `dose_text` on today."""

from __future__ import annotations

from datetime import date

from tests.conftest import World, bearer_client
from tests.programs.factories_plans import TemplateItemFactory, item, make_plan, walk_and_stretch

START = date(2025, 3, 3)


def test_plan_items_carry_their_label_and_may_be_sent_back_with_it(world: World) -> None:
    walk, stretch = walk_and_stretch()
    plan = make_plan(
        pt=world.pt,
        member=world.member,
        items=[
            item(walk, sets=1, duration_seconds=900),
            item(stretch, sets=3, hold_seconds=30, side="alternating", times_per_day=2),
        ],
        start=START,
    ).plan
    client = bearer_client(world.pt.user)
    body = client.get(f"/api/v1/plans/{plan.pk}/").json()
    assert [i["label"] for i in body["items"]] == [
        "15 min",
        "3 holds of 30 s, each side, alternating, twice a day",
    ]
    # The label is computed: a client that sends it back with the dose is not refused for it.
    items = [
        {"id": i["id"], "exercise": i["exercise"]["id"], "label": i["label"], "sets": i["sets"]}
        for i in body["items"]
    ]
    items[1]["sets"] = 2
    response = client.patch(
        f"/api/v1/plans/{plan.pk}/", {"reason": "Fewer holds", "items": items}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["items"][1]["label"].startswith("2 holds of 30 s")


def test_template_items_carry_their_label(world: World) -> None:
    walk, _ = walk_and_stretch()
    TemplateItemFactory.create(exercise=walk, sets=2, reps=None, duration_seconds=600)
    body = bearer_client(world.pt.user).get("/api/v1/templates/").json()
    labels = [i["label"] for t in body["results"] for i in t["items"]]
    assert labels == ["2 bouts of 10 min"]


def test_the_preview_words_each_dose_as_the_member_will_read_it(world: World) -> None:
    walk, stretch = walk_and_stretch()
    body = {
        "member": world.member.pk,
        "items": [item(walk, sets=1, duration_seconds=1200), item(stretch, sets=2, side="left")],
    }
    response = bearer_client(world.pt.user).post("/api/v1/plans/preview/", body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["labels"] == ["20 min", "2 holds of 30 s, left side only"]
