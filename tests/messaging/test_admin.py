"""Staff read conversations through the admin only, and every read there is audited."""

from __future__ import annotations

import pytest
from django.test import Client

from exercise_tracker.models import AuditAction, AuditEvent
from tests.conftest import World
from tests.messaging.helpers import send, thread_of

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("path", "object_type", "of_member"),
    [
        ("/admin/messaging/thread/", "messaging.thread_list", False),
        ("/admin/messaging/thread/{thread}/change/", "messaging.thread", True),
        ("/admin/messaging/message/", "messaging.message_list", False),
        ("/admin/messaging/message/{message}/change/", "messaging.message", True),
    ],
)
def test_staff_reads_in_the_admin_are_audited(
    world: World, path: str, object_type: str, of_member: bool
) -> None:
    message = send(world.member.user, world.member, "Private words").message
    client = Client()
    client.force_login(world.staff)
    before = AuditEvent.objects.count()
    url = path.format(thread=thread_of(world.member).pk, message=message.pk)
    response = client.get(url)
    assert response.status_code == 200
    assert AuditEvent.objects.count() == before + 1
    row = AuditEvent.objects.latest("id")
    assert (row.action, row.object_type, row.user_id) == (
        AuditAction.READ,
        object_type,
        world.staff.pk,
    )
    assert row.member_id == (world.member.pk if of_member else None)
    if not of_member:
        assert b"Private words" not in response.content


def test_messages_cannot_be_changed_in_the_admin(world: World) -> None:
    message = send(world.member.user, world.member, "Original").message
    client = Client()
    client.force_login(world.staff)
    client.post(f"/admin/messaging/message/{message.pk}/change/", {"text": "Edited"})
    message.refresh_from_db()
    assert message.text == "Original"
