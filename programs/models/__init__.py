"""Programs models; a module per aggregate, re-exported here."""

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
    Region,
    Side,
)

__all__ = [
    "BodyRegion",
    "Category",
    "Dosing",
    "Equipment",
    "Exercise",
    "ExerciseImage",
    "ImageKind",
    "MovementBias",
    "Position",
    "Region",
    "Side",
]
