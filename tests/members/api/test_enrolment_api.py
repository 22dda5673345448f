"""POST and PATCH /api/v1/members/: the contract's fields, 409 naming the field, owner fields
ignored, unknown fields refused."""

from __future__ import annotations

import pytest

from members.models import Invitation, Member

from ...conftest import World, bearer_client

BODY = {
    "first_name": "Rosa",
    "last_name": "Diaz",
    "email": "rosa@example.org",
    "phone": "+15551234567",
    "date_of_birth": "1951-04-02",
    "conditions": ["lumbar_spinal_stenosis"],
    "precautions": ["osteoporosis", "recent_spinal_surgery"],
    "timezone": "America/Chicago",
    "language": "es",
    "external_id": "MRN-1",
}


@pytest.mark.django_db
def test_a_pt_enrolls_and_the_answer_carries_the_invitation_link_once(world: World) -> None:
    client = bearer_client(world.pt.user)
    response = client.post("/api/v1/members/", BODY, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    for key in (
        "first_name",
        "last_name",
        "email",
        "phone",
        "date_of_birth",
        "conditions",
        "precautions",
        "timezone",
        "language",
        "external_id",
    ):
        assert body[key] == BODY[key], key
    assert body["primary_therapist"] == world.pt.pk
    assert body["organization"] == world.org.pk
    invitation = body["invitation"]
    assert invitation["status"] == "pending"
    assert invitation["kind"] == "member" and invitation["role"] == "member"
    assert invitation["member"] == body["id"]
    assert "/invite/" in invitation["accept_url"]
    # The PT sees the new member in their caseload; the link is never shown again.
    listed = client.get("/api/v1/members/").json()["results"]
    assert body["id"] in {row["id"] for row in listed}
    detail = client.get(f"/api/v1/invitations/{invitation['id']}/").json()
    assert "accept_url" not in detail and "token" not in detail and "token_hash" not in detail
    assert detail["status"] == "pending"


@pytest.mark.django_db
def test_duplicates_answer_409_naming_the_field(world: World) -> None:
    client = bearer_client(world.coordinator)
    assert client.post("/api/v1/members/", BODY, format="json").status_code == 201
    again = client.post("/api/v1/members/", {**BODY, "external_id": "MRN-2"}, format="json")
    assert again.status_code == 409
    assert list(again.json()["errors"]) == ["email"]
    again = client.post("/api/v1/members/", {**BODY, "email": "b@example.org"}, format="json")
    assert again.status_code == 409
    assert list(again.json()["errors"]) == ["external_id"]
    assert Member.objects.filter(user__first_name="Rosa").count() == 1


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "", "phone": ""}, "email"),
        ({"conditions": ["knee"]}, "conditions"),
        ({"precautions": "osteoporosis"}, "precautions"),
        ({"timezone": "Nowhere/City"}, "timezone"),
        ({"date_of_birth": "02/04/1951"}, "date_of_birth"),
        ({"primary_therapist": 10**6}, "primary_therapist"),
        ({"first_name": ""}, "first_name"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(world: World, change: dict, field: str) -> None:
    response = bearer_client(world.pt.user).post(
        "/api/v1/members/", {**BODY, **change}, format="json"
    )
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


@pytest.mark.django_db
def test_owner_fields_are_ignored_and_unknown_fields_refused(world: World) -> None:
    client = bearer_client(world.pt.user)
    response = client.post(
        "/api/v1/members/",
        {**BODY, "organization": world.other_org.pk, "role": "coordinator", "created_by": 1},
        format="json",
    )
    assert response.status_code == 201
    member = Member.objects.select_related("user").get(pk=response.json()["id"])
    assert member.user.organization_id == world.org.pk
    assert member.user.role == "member"
    refused = client.post(
        "/api/v1/members/", {**BODY, "email": "x@example.org", "is_staff": True}, format="json"
    )
    assert refused.status_code == 400
    assert "is_staff" in refused.json()["detail"]


@pytest.mark.django_db
def test_a_pt_of_another_organization_cannot_be_named(world: World) -> None:
    response = bearer_client(world.coordinator).post(
        "/api/v1/members/", {**BODY, "primary_therapist": world.foreign_pt.pk}, format="json"
    )
    assert response.status_code == 400
    assert "primary_therapist" in response.json()["errors"]


@pytest.mark.django_db
def test_patch_changes_details_and_409s_on_a_taken_email(world: World) -> None:
    client = bearer_client(world.coordinator)
    first = client.post("/api/v1/members/", BODY, format="json").json()
    second = client.post(
        "/api/v1/members/", {**BODY, "email": "b@example.org", "external_id": ""}, format="json"
    ).json()
    response = client.patch(
        f"/api/v1/members/{second['id']}/",
        {"precautions": ["pregnancy"], "primary_therapist": world.pt_other.pk, "id": 1},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["precautions"] == ["pregnancy"]
    assert response.json()["primary_therapist"] == world.pt_other.pk
    assert response.json()["id"] == second["id"]
    taken = client.patch(
        f"/api/v1/members/{second['id']}/", {"email": first["email"]}, format="json"
    )
    assert taken.status_code == 409
    assert list(taken.json()["errors"]) == ["email"]


@pytest.mark.django_db
def test_a_pt_who_hands_a_member_over_no_longer_sees_them(world: World) -> None:
    client = bearer_client(world.pt.user)
    response = client.patch(
        f"/api/v1/members/{world.member.pk}/",
        {"primary_therapist": world.pt_other.pk},
        format="json",
    )
    assert response.status_code == 200
    assert client.get(f"/api/v1/members/{world.member.pk}/").status_code == 404
    other = bearer_client(world.pt_other.user)
    assert other.get(f"/api/v1/members/{world.member.pk}/").status_code == 200


@pytest.mark.django_db
def test_enrolment_makes_exactly_one_invitation(world: World) -> None:
    bearer_client(world.pt.user).post("/api/v1/members/", BODY, format="json")
    assert Invitation.objects.count() == 1
