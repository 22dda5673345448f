"""What a member is told to keep safe: the red flags, the stop rule and the advice after a
painful session. One place for the words, used by today, My plan, the exercise pages and the
handout (shared/domain/CLINICAL.md, in our own words).

The red flags (possible cauda equina compression) need emergency care the same day, never a
message through the app or a call to the clinic.
"""

from __future__ import annotations

from dataclasses import dataclass

from members.services import alerts

# The pain-spike rule of the PT's alert; the today page hands it to its script.
PAIN_SPIKE_AFTER = alerts.PAIN_SPIKE_AFTER
PAIN_SPIKE_RISE = alerts.PAIN_SPIKE_RISE


RED_FLAG_LEAD = "Get emergency care now"
RED_FLAG_SIGNS = (
    "new trouble controlling your bladder or bowels",
    "numbness in the groin or inner thighs",
    "leg weakness that is getting worse",
)
RED_FLAG_ACTION = (
    "Call your emergency number or go to an emergency department today. "
    "Do not wait for your next appointment or send a message here."
)
STOP_RULE = (
    "Stop an exercise if it makes your symptoms worse and they stay worse. "
    "Mild discomfort that goes away soon is fine."
)


def red_flag_text() -> str:
    """The red flags as one paragraph (the handout, plain text)."""
    signs = f"{', '.join(RED_FLAG_SIGNS[:-1])}, or {RED_FLAG_SIGNS[-1]}"
    return f"{RED_FLAG_LEAD} if you have {signs}. {RED_FLAG_ACTION}"


@dataclass(frozen=True)
class PainAdvice:
    """What a member reads after a session that hurt (never "Well done!")."""

    title: str
    steps: tuple[str, ...]


PAIN_ADVICE = PainAdvice(
    title="This session was painful for you",
    steps=(
        "Stop exercising for today. Rest in a position that eases it, such as sitting or "
        "lying with your knees bent.",
        "Your physical therapist has been told.",
        "Until then, leave out any exercise that made your pain worse.",
        f"{RED_FLAG_LEAD} if you also have {RED_FLAG_SIGNS[0]}, {RED_FLAG_SIGNS[1]}, or "
        f"{RED_FLAG_SIGNS[2]}.",
    ),
)


def needs_pain_advice(*, pain_before: int | None, pain_after: int | None) -> bool:
    """The rule of the PT's pain-spike alert (members.services.alerts): pain after 7 or more,
    or 2 or more points above before. The member's advice and the PT's alert never disagree."""
    return alerts.pain_spike(pain_before=pain_before, pain_after=pain_after) is not None


# --- leg symptom check-ins (members.rules.walking) ------------------------------------------


@dataclass(frozen=True)
class EmergencyGuidance:
    """What a member reads after reporting leg weakness that is new or getting worse."""

    title: str
    reason: str
    lead: str
    signs: tuple[str, ...]
    action: str

    def as_dict(self) -> dict[str, object]:
        return {
            "title": self.title,
            "reason": self.reason,
            "lead": self.lead,
            "signs": list(self.signs),
            "action": self.action,
        }


WEAKNESS_GUIDANCE = EmergencyGuidance(
    title="Leg weakness that is new or getting worse needs care today",
    reason=(
        "Weakness that is new or getting worse can mean a nerve in your back is being pressed "
        "hard. Your physical therapist has been told, but do not wait for them."
    ),
    lead=RED_FLAG_LEAD,
    signs=RED_FLAG_SIGNS,
    action=RED_FLAG_ACTION,
)
MESSAGE_GUIDANCE = EmergencyGuidance(
    title="Your message may describe an emergency",
    reason="Your care team has been told, but they may not read it straight away.",
    lead=RED_FLAG_LEAD,
    signs=RED_FLAG_SIGNS,
    action=RED_FLAG_ACTION,
)
SYMPTOMS_PT_TOLD = (
    "Your physical therapist has been told about these changes and will look at them. "
    "Keep doing what you can comfortably."
)
