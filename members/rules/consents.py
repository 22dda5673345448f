"""The texts a person agrees to when they accept an invitation, each with a version: a consent
row names the version that was shown. Change a text, change its version."""

from __future__ import annotations

from dataclasses import dataclass

from members.rules import safety


@dataclass(frozen=True)
class ConsentText:
    kind: str
    version: str
    title: str
    paragraphs: tuple[str, ...]


TERMS = ConsentText(
    kind="terms",
    version="2026-12-02",
    title="Terms of use",
    paragraphs=(
        "Move Daily helps you follow the home exercise program your clinic gives you. It does "
        "not replace your physical therapist's advice or an emergency service.",
        "Your clinic's staff can see what you record here. Keep your password to yourself.",
        "If an exercise makes your symptoms worse and they stay worse, stop it and tell your "
        "clinic.",
        safety.red_flag_text(),
    ),
)

MONITORING = ConsentText(
    kind="monitoring",
    version="2026-12",
    title="Remote monitoring",
    paragraphs=(
        "With your agreement, your physical therapist reviews the sessions and pain scores you "
        "record here between visits and may contact you about them.",
        "This review can be billed to your insurer as remote therapeutic monitoring, and a "
        "co-payment may apply. You can use the app without it, and you can stop it at any time "
        "by telling your clinic.",
    ),
)

TEXTS = {TERMS.kind: TERMS, MONITORING.kind: MONITORING}
