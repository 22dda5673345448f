"""Messaging rules through the services: who reads (transfer included), sending once, the
exercise and text rules, pictures, withdrawing within 5 minutes, read markers and "seen"."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone
from PIL import Image

from exercise_tracker import access
from members.models import CareAssignment
from messaging.models import Message, ReadMarker
from messaging.selectors import threads as selectors
from messaging.services import messages
from tests import factories
from tests.conftest import World
from tests.members.sessions_helpers import plan_with_items
from tests.messaging.helpers import jpeg_with_exif, send, thread_of

pytestmark = pytest.mark.django_db


def test_the_member_and_their_pt_read_the_thread_and_nobody_else(world: World) -> None:
    thread = thread_of(world.member)
    readers = {
        name
        for name in ("member", "other_member", "pt", "pt_other", "foreign_pt", "foreign_member")
        if access.visible_threads(getattr(world, name).user).filter(pk=thread.pk).exists()
    }
    assert readers == {"member", "pt"}
    for user in (world.coordinator, world.foreign_coordinator, world.staff):
        assert not access.visible_threads(user).filter(pk=thread.pk).exists()
        assert not access.visible_messages(user).exists()


def test_a_transferred_members_history_goes_to_the_new_pt_and_leaves_the_old(
    world: World,
) -> None:
    send(world.member.user, world.member, "My calves ache after the walk.")
    send(world.pt.user, world.member, "Thanks, shorten the walk to 10 minutes this week.")
    today = timezone.now().date()
    CareAssignment.objects.filter(member=world.member, therapist=world.pt).update(end_date=today)
    CareAssignment.objects.create(
        member=world.member, therapist=world.pt_other, is_primary=True, start_date=today
    )
    thread = thread_of(world.member)
    assert not access.visible_threads(world.pt.user).filter(pk=thread.pk).exists()
    assert access.visible_threads(world.pt_other.user).filter(pk=thread.pk).exists()
    assert access.visible_messages(world.pt_other.user).filter(thread=thread).count() == 2
    # The new PT has not read the member's message yet: it counts as unread for them.
    assert selectors.unread_count(world.pt_other.user) == 1
    assert selectors.unread_count(world.pt.user) == 0


def test_a_retry_with_the_same_client_id_answers_the_first_message(world: World) -> None:
    client_id = uuid.uuid4()
    first = send(world.member.user, world.member, "Is it fine to skip today?", client_id=client_id)
    again = send(world.member.user, world.member, "Is it fine to skip today?", client_id=client_id)
    assert first.created and not again.created
    assert again.message.pk == first.message.pk
    assert Message.objects.count() == 1
    with pytest.raises(messages.ClientIdReused):
        send(world.member.user, world.member, "Something else", client_id=client_id)


def test_text_is_required_unless_a_picture_and_at_most_4000_characters(world: World) -> None:
    with pytest.raises(ValidationError) as empty:
        send(world.member.user, world.member, "   ")
    assert "text" in empty.value.message_dict
    with pytest.raises(ValidationError) as long:
        send(world.member.user, world.member, "a" * 4001)
    assert "text" in long.value.message_dict
    assert send(world.member.user, world.member, "a" * 4000).created


def test_an_exercise_must_be_on_the_members_current_plan(world: World) -> None:
    _, items = plan_with_items(pt=world.pt, member=world.member, n=2)
    sent = send(world.member.user, world.member, "This one hurts", exercise_id=items[0].exercise_id)
    assert sent.message.exercise_id == items[0].exercise_id
    elsewhere = factories.ExerciseFactory.create(name="Not on the plan", slug="not-on-the-plan")
    with pytest.raises(ValidationError) as refused:
        send(world.pt.user, world.member, "Try this", exercise_id=elsewhere.pk)
    assert "exercise" in refused.value.message_dict


def test_a_picture_is_cleaned_of_exif_and_gets_a_thumbnail(world: World) -> None:
    sent = send(world.member.user, world.member, "", image=jpeg_with_exif())
    message = Message.objects.get(pk=sent.message.pk)
    assert message.image and message.image_width == 64
    with message.image.open("rb") as fp, Image.open(fp) as img:
        assert not dict(img.getexif())
    assert messages.make_thumbnail(message_id=message.pk)
    assert not messages.make_thumbnail(message_id=message.pk)  # done already: nothing to do
    message.refresh_from_db()
    assert message.thumbnail.name.endswith(".webp")


def test_a_picture_that_is_not_an_image_is_a_400_on_image(world: World) -> None:
    from io import BytesIO

    fake = BytesIO(b"not a picture at all" * 10)
    with pytest.raises(ValidationError) as refused:
        send(world.member.user, world.member, "see", image=fake)
    assert "image" in refused.value.message_dict
    assert not Message.objects.exists()


def test_the_sender_withdraws_within_five_minutes_and_not_after(
    world: World, django_capture_on_commit_callbacks
) -> None:
    sent = send(world.member.user, world.member, "Wrong person, sorry", image=jpeg_with_exif())
    name = sent.message.image.name
    storage = sent.message.image.storage
    with pytest.raises(messages.WithdrawRefused):
        messages.withdraw_message(message=sent.message, by=world.pt.user)
    with django_capture_on_commit_callbacks(execute=True):
        withdrawn = messages.withdraw_message(message=sent.message, by=world.member.user)
    assert withdrawn.withdrawn and withdrawn.text == "" and not withdrawn.image
    assert not storage.exists(name)

    late = send(world.member.user, world.member, "Too late to take back")
    with pytest.raises(messages.WithdrawRefused):
        messages.withdraw_message(
            message=late.message,
            by=world.member.user,
            now=late.message.created_at + messages.WITHDRAW_WINDOW + timedelta(seconds=1),
        )
    assert messages.withdraw_message(
        message=late.message,
        by=world.member.user,
        now=late.message.created_at + messages.WITHDRAW_WINDOW - timedelta(seconds=1),
    ).withdrawn


def test_read_markers_move_forward_and_make_messages_seen(world: World) -> None:
    first = send(world.member.user, world.member, "One").message
    second = send(world.member.user, world.member, "Two").message
    thread = thread_of(world.member)
    assert selectors.unread_count(world.pt.user) == 2
    assert not selectors.is_seen(first, selectors.read_up_to(thread))
    assert messages.mark_read(thread=thread, by=world.pt.user, up_to=first.pk) == first.pk
    assert selectors.unread_count(world.pt.user) == 1
    read = selectors.read_up_to(thread)
    assert selectors.is_seen(first, read) and not selectors.is_seen(second, read)
    # Never back.
    assert messages.mark_read(thread=thread, by=world.pt.user, up_to=0) == first.pk
    assert messages.mark_read(thread=thread, by=world.pt.user) == second.pk
    assert selectors.unread_count(world.pt.user) == 0
    # The sender's own marker: their messages are not unread to them.
    assert selectors.unread_count(world.member.user) == 0
    assert ReadMarker.objects.filter(thread=thread).count() == 2


def test_a_withdrawn_message_is_not_unread(world: World) -> None:
    sent = send(world.member.user, world.member, "Oops")
    assert selectors.unread_count(world.pt.user) == 1
    messages.withdraw_message(message=sent.message, by=world.member.user)
    assert selectors.unread_count(world.pt.user) == 0


def test_every_change_moves_the_threads_version(world: World) -> None:
    thread = thread_of(world.member)
    versions = [thread.version]
    sent = send(world.member.user, world.member, "Hi")
    thread.refresh_from_db()
    versions.append(thread.version)
    messages.mark_read(thread=thread, by=world.pt.user)
    thread.refresh_from_db()
    versions.append(thread.version)
    messages.withdraw_message(message=sent.message, by=world.member.user)
    thread.refresh_from_db()
    versions.append(thread.version)
    assert versions == sorted(set(versions))


def test_pt_conversations_are_ordered_unread_first(world: World) -> None:
    second = factories.MemberFactory.create(user__organization=world.org)
    factories.CareAssignmentFactory.create(member=second, therapist=world.pt)
    send(world.member.user, world.member, "Older and unread")
    send(second.user, second, "Newer")
    messages.mark_read(thread=thread_of(second), by=world.pt.user)
    ordered = list(selectors.threads_for(world.pt.user))
    assert [t.member_id for t in ordered] == [world.member.pk, second.pk]
    assert [t.unread for t in ordered] == [1, 0]
