"""Red-flag symptoms in a member's message: the ONE word list (possible cauda equina
compression: bladder or bowel control, numbness in the groin or inner thighs, leg weakness
getting worse). The wording the member is shown is members.rules.safety's.

Matching is by clause (a sentence, or the part of one after "but"): a sign counts unless a
negation opens its clause before it ("no bladder problems", "I don't have any numbness in my
groin"). Phrasings such as "I can't control my bladder" are symptoms, not negations. A false
alarm costs the member one reading of the emergency advice; a missed sign costs far more, so
the list leans towards matching.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from members.rules import safety


class Sign:
    BLADDER_BOWEL = "bladder_bowel"
    SADDLE_NUMBNESS = "saddle_numbness"
    LEG_WEAKNESS = "leg_weakness"


_BLADDER = r"(?:bladder|bowels?|urine|urinat\w*|pee(?:ing)?|wee(?:ing)?|poo(?:ing)?|stools?)"
_CONTROL = (
    r"(?:control\w*|hold(?:ing)?|leak\w*|accidents?|lost|losing|lose|trouble|problems?|"
    r"difficult\w*|can'?t|cannot|couldn'?t|unable|empty\w*|wet|soil\w*|incontinen\w*|"
    r"retention|stopped|won'?t)"
)
_NUMB = r"(?:numb\w*|no feeling|can'?t feel|cannot feel|lost feeling|pins-and-needles|tingl\w*)"
_SADDLE = (
    r"(?:groin|inner thighs?|saddle|between (?:my |the )?legs|genitals?|private parts?|"
    r"back passage|bottom|buttocks)"
)
_LEG = r"(?:legs?|foot|feet|knees?|thighs?)"
_WEAK = r"(?:weak\w*|giving (?:way|out)|gave (?:way|out)|buckl\w*|dragging|collaps\w*)"
_WORSE = r"(?:worse|worsening|weaker|more and more|getting weak\w*|keeps? getting|progress\w*)"

PATTERNS: dict[str, tuple[re.Pattern[str], ...]] = {
    Sign.BLADDER_BOWEL: (
        re.compile(rf"\b{_CONTROL}\b[^.;!?]{{0,40}}\b{_BLADDER}\b"),
        re.compile(rf"\b{_BLADDER}\b[^.;!?]{{0,40}}\b{_CONTROL}\b"),
        re.compile(r"\b(?:incontinen\w*|wet (?:myself|the bed)|soiled myself)\b"),
    ),
    Sign.SADDLE_NUMBNESS: (
        re.compile(rf"\b{_NUMB}\b[^.;!?]{{0,40}}\b{_SADDLE}\b"),
        re.compile(rf"\b{_SADDLE}\b[^.;!?]{{0,40}}\b{_NUMB}\b"),
        re.compile(r"\bsaddle (?:numbness|anaesthesia|anesthesia)\b"),
    ),
    Sign.LEG_WEAKNESS: (
        re.compile(rf"\b{_WORSE}\b[^.;!?]{{0,30}}\b{_LEG}\b[^.;!?]{{0,20}}\b{_WEAK}"),
        re.compile(rf"\b{_WORSE}\b[^.;!?]{{0,10}}\b{_WEAK}[^.;!?]{{0,30}}\b{_LEG}\b"),
        re.compile(rf"\b{_LEG}\b[^.;!?]{{0,30}}\b{_WEAK}[^.;!?]{{0,25}}\b{_WORSE}\b"),
        re.compile(rf"\b{_WEAK}\w*\b[^.;!?]{{0,30}}\b{_LEG}\b[^.;!?]{{0,25}}\b{_WORSE}\b"),
        re.compile(rf"\b{_LEG}\b[^.;!?]{{0,20}}\b(?:getting|is|are|feels?|much|even) weaker\b"),
        re.compile(rf"\b{_LEG}\b[^.;!?]{{0,20}}\b(?:keeps?|kept) (?:giving|buckl)\w*"),
        re.compile(r"\bfoot drop\b|\bdropping my foot\b|\bcan'?t lift my foot\b"),
    ),
}

# A negation before a sign in its clause: "no", "without", "never", "don't have", ...
NEGATION = re.compile(
    r"\b(?:no|not any|none|nor|without|never|denies|deny|no longer|don'?t have|do not have|"
    r"didn'?t have|did not have|haven'?t (?:had|got|noticed)|have not (?:had|noticed)|"
    r"hasn'?t been|not had|not noticed)\b"
)
# Clauses: sentences, commas, and the turn an "and" or a "but" makes ("no pain today and I wet
# myself" is a sign; "no bladder and bowel problems" then reads as one for bowels: a false alarm
# rather than a miss).
CLAUSE_BREAK = re.compile(r"[.,;!?\n]+|\s\b(?:and|but|however|although|though|except)\b")
NEGATION_REACH = 40  # characters before the sign a negation still applies to


@dataclass(frozen=True)
class RedFlagFinding:
    signs: tuple[str, ...]

    def __bool__(self) -> bool:
        return bool(self.signs)


def _normal(text: str) -> str:
    text = " ".join(text.lower().replace("\u2019", "'").replace("\u2018", "'").split())
    # One phrase, not two clauses.
    return text.replace("pins and needles", "pins-and-needles")


def _negated(clause: str, start: int) -> bool:
    before = clause[max(0, start - NEGATION_REACH) : start]
    return NEGATION.search(before) is not None


def red_flag_signs(text: str) -> RedFlagFinding:
    """The red-flag signs a member's text mentions (in order of the list), none when negated."""
    found: list[str] = []
    for clause in CLAUSE_BREAK.split(_normal(text)):
        if not clause:
            continue
        for sign, patterns in PATTERNS.items():
            if sign in found:
                continue
            for pattern in patterns:
                match = pattern.search(clause)
                if match is not None and not _negated(clause, match.start()):
                    found.append(sign)
                    break
    return RedFlagFinding(signs=tuple(s for s in PATTERNS if s in found))


def emergency_guidance() -> dict[str, object]:
    """What the member is shown at once: members.rules.safety's words, in the same shape as
    the symptom check-in's guidance."""
    return safety.MESSAGE_GUIDANCE.as_dict()
