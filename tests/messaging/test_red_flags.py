"""Red-flag words in a member's message: the emergency guidance at once, an urgent alert for
the PT (one active per member), and the one word list's positives and negations."""

from __future__ import annotations

import pytest

from members.models import Alert, AlertStatus
from members.rules import safety
from members.services.alerts import resolve_alert
from messaging.rules.red_flags import Sign, red_flag_signs
from tests.conftest import World
from tests.messaging.helpers import send

POSITIVE = [
    ("I lost control of my bladder this morning", Sign.BLADDER_BOWEL),
    ("I can't hold my pee anymore", Sign.BLADDER_BOWEL),
    ("I could not hold my bladder on the way home", Sign.BLADDER_BOWEL),
    ("Had an accident with my bowels last night", Sign.BLADDER_BOWEL),
    ("No pain today and I wet myself", Sign.BLADDER_BOWEL),
    ("I have trouble peeing since yesterday", Sign.BLADDER_BOWEL),
    ("My groin feels numb", Sign.SADDLE_NUMBNESS),
    ("numbness in my inner thighs since Sunday", Sign.SADDLE_NUMBNESS),
    ("I can\u2019t feel anything between my legs when I wipe", Sign.SADDLE_NUMBNESS),
    ("pins and needles around my bottom", Sign.SADDLE_NUMBNESS),
    ("My legs are getting weaker every day", Sign.LEG_WEAKNESS),
    ("the weakness in my left leg is worse", Sign.LEG_WEAKNESS),
    ("My leg keeps giving way on the stairs", Sign.LEG_WEAKNESS),
    ("Worsening weakness in both legs", Sign.LEG_WEAKNESS),
    ("No numbness in the groin but my legs are getting weaker", Sign.LEG_WEAKNESS),
]

NEGATIVE = [
    "No bladder problems at all",
    "I have no trouble with my bladder or bowels",
    "I don't have any numbness in my groin",
    "Never had bladder trouble",
    "I have not had any bowel problems",
    "Walked 20 minutes, my back was sore but it eased after resting",
    "My legs feel stronger this week",
    "Some tingling in my feet when I walk far, same as before",
    "Can I do the bridge on my bed instead of the floor?",
    "My thighs are sore from the squats",
]


@pytest.mark.parametrize(("text", "sign"), POSITIVE)
def test_a_red_flag_phrase_is_found(text: str, sign: str) -> None:
    assert sign in red_flag_signs(text).signs


@pytest.mark.parametrize("text", NEGATIVE)
def test_negations_and_ordinary_messages_are_not_red_flags(text: str) -> None:
    assert red_flag_signs(text).signs == ()


@pytest.mark.django_db
def test_a_members_red_flag_message_returns_the_guidance_and_raises_one_alert(
    world: World,
) -> None:
    sent = send(world.member.user, world.member, "I lost control of my bladder last night")
    assert sent.emergency_guidance is not None
    assert sent.emergency_guidance["lead"] == safety.RED_FLAG_LEAD
    assert sent.emergency_guidance["action"] == safety.RED_FLAG_ACTION
    alert = Alert.objects.get(member=world.member, kind="red_flag")
    assert alert.status == AlertStatus.OPEN
    assert alert.therapist_id == world.pt.pk
    # Ids and sign names only: never the member's words.
    assert alert.details == {"message_id": sent.message.pk, "signs": ["bladder_bowel"]}

    again = send(world.member.user, world.member, "And my groin is numb now")
    assert again.emergency_guidance is not None
    assert Alert.objects.filter(member=world.member, kind="red_flag").count() == 1
    alert.refresh_from_db()
    assert alert.details["message_id"] == again.message.pk

    resolve_alert(alert=alert, user=world.pt.user)
    send(world.member.user, world.member, "My legs are getting weaker")
    assert Alert.objects.filter(member=world.member, kind="red_flag").count() == 2
    assert Alert.objects.filter(member=world.member, kind="red_flag", status="open").count() == 1


@pytest.mark.django_db
def test_no_guidance_for_ordinary_messages_or_the_pts_words(world: World) -> None:
    assert send(world.member.user, world.member, "No bladder problems").emergency_guidance is None
    pt_words = "If you lose control of your bladder, go to the emergency department."
    assert send(world.pt.user, world.member, pt_words).emergency_guidance is None
    assert not Alert.objects.filter(kind="red_flag").exists()


@pytest.mark.django_db
def test_the_pts_alert_names_the_signs_not_the_members_words(world: World) -> None:
    from members.selectors.alerts import alert_message

    send(world.member.user, world.member, "Since Tuesday I can't hold my bladder")
    text = alert_message(Alert.objects.get(kind="red_flag"))
    assert "bladder or bowel control" in text and "Tuesday" not in text
