"""Programs models; a module per aggregate, re-exported here."""

from .lessons import Lesson, LessonRead, PlanLesson
from .library import (
    BodyRegion,
    Category,
    Dosing,
    Equipment,
    Exercise,
    ExerciseImage,
    ImageKind,
    MovementBias,
    Position,
    PrecautionTag,
    Region,
    Side,
)
from .plans import Plan, PlanItem, PlanRevision, PlanStatus
from .suggestions import (
    PendingEvaluation,
    ProgressionSuggestion,
    SuggestionRule,
    SuggestionStatus,
)
from .templates import PlanTemplate, TemplateItem

__all__ = [
    "BodyRegion",
    "Category",
    "Dosing",
    "Equipment",
    "Exercise",
    "ExerciseImage",
    "ImageKind",
    "Lesson",
    "LessonRead",
    "MovementBias",
    "PendingEvaluation",
    "Plan",
    "PlanItem",
    "PlanLesson",
    "PlanRevision",
    "PlanStatus",
    "PlanTemplate",
    "Position",
    "PrecautionTag",
    "ProgressionSuggestion",
    "Region",
    "Side",
    "SuggestionRule",
    "SuggestionStatus",
    "TemplateItem",
]
