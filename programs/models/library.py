"""The exercise library: exercises (global or an organization's own), equipment, regions, images."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q


class Category(models.TextChoices):
    MOBILITY = "mobility", "Mobility"
    STRENGTH = "strength", "Strength"
    STRETCHING = "stretching", "Stretching"
    AEROBIC = "aerobic", "Aerobic"
    BALANCE = "balance", "Balance"


class Region(models.TextChoices):
    CERVICAL = "cervical", "Cervical spine (neck)"
    THORACIC = "thoracic", "Thoracic spine (upper back)"
    LUMBAR = "lumbar", "Lumbar spine (low back)"
    CORE = "core", "Core"
    PELVIS = "pelvis", "Pelvis"
    HIPS = "hips", "Hips"
    SHOULDERS = "shoulders", "Shoulders"
    KNEES = "knees", "Knees"
    ANKLES = "ankles", "Ankles"


class Position(models.TextChoices):
    SUPINE = "supine", "Lying on the back"
    PRONE = "prone", "Lying face down"
    SIDE_LYING = "side_lying", "Lying on the side"
    SEATED = "seated", "Sitting"
    STANDING = "standing", "Standing"
    KNEELING = "kneeling", "Kneeling"
    HALF_KNEELING = "half_kneeling", "Half-kneeling"
    QUADRUPED = "quadruped", "On hands and knees"
    WALKING = "walking", "Walking"


class MovementBias(models.TextChoices):
    """Which way the lumbar spine is loaded: extension may provoke stenosis symptoms."""

    FLEXION = "flexion", "Flexion-biased"
    NEUTRAL = "neutral", "Neutral spine"
    EXTENSION = "extension", "Extension-biased"


class PrecautionTag(models.TextChoices):
    """What an exercise asks of the body that some members must avoid or limit: read by the plan
    builder's conflict rules (programs.rules.precautions) beside the member's precautions."""

    EXTENSION = "extension", "Lumbar extension (bending backwards)"
    LOADED_SPINAL_FLEXION = "loaded_spinal_flexion", "Loaded or end-range spinal flexion"
    HIP_FLEXION_PAST_90_ADDUCTION = (
        "hip_flexion_past_90_adduction",
        "Hip flexion past 90 degrees or crossing the midline",
    )
    END_RANGE_ROTATION = "end_range_rotation", "End-range or loaded trunk rotation"
    PRONE_LYING = "prone_lying", "Lying face down"
    IMPACT = "impact", "High impact"


class Dosing(models.TextChoices):
    """What a dose of this exercise is counted in: a plan item must carry it."""

    REPS = "reps", "Repetitions"
    HOLD = "hold", "Timed holds"
    REPS_HOLD = "reps_hold", "Repetitions with a hold"
    DURATION = "duration", "Duration"


class Side(models.TextChoices):
    LEFT = "left", "Left"
    RIGHT = "right", "Right"
    BOTH = "both", "Both"
    ALTERNATING = "alternating", "Alternating"


class BodyRegion(models.Model):
    """One row per Region, so exercises can be filtered by region with an index on any database."""

    code = models.CharField(max_length=20, primary_key=True, choices=Region.choices)

    class Meta:
        ordering = ("code",)

    def __str__(self) -> str:
        return Region(self.code).label


class Equipment(models.Model):
    name = models.CharField(max_length=80, unique=True)
    slug = models.SlugField(max_length=80, unique=True)

    class Meta:
        ordering = ("name",)
        verbose_name_plural = "equipment"

    def __str__(self) -> str:
        return self.name


class Exercise(models.Model):
    """An exercise of the library; `organization` null means the shared global library."""

    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=120)
    organization = models.ForeignKey(
        "members.Organization",
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="exercises",
        help_text="Empty for the global library; set for an organization's own exercise.",
    )
    summary = models.CharField(max_length=240, blank=True)
    category = models.CharField(max_length=20, choices=Category.choices, db_index=True)
    regions = models.ManyToManyField(BodyRegion, related_name="exercises")
    equipment = models.ManyToManyField(Equipment, related_name="exercises", blank=True)
    position = models.CharField(max_length=20, choices=Position.choices, db_index=True)
    difficulty = models.PositiveSmallIntegerField(default=1, db_index=True)
    movement_bias = models.CharField(
        max_length=12, choices=MovementBias.choices, default=MovementBias.NEUTRAL
    )
    instructions = models.JSONField(default=list, help_text="Ordered steps, one string each.")
    cues = models.JSONField(default=list, blank=True)
    precautions = models.JSONField(default=list, blank=True)
    # PrecautionTag codes: the precautions above in a form rules can read.
    precaution_tags = models.JSONField(default=list, blank=True)
    # Default dose: a starting point the PT edits on the plan.
    dosing = models.CharField(max_length=12, choices=Dosing.choices, default=Dosing.REPS)
    default_sets = models.PositiveSmallIntegerField(null=True, blank=True)
    default_reps = models.PositiveSmallIntegerField(null=True, blank=True)
    default_hold_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    default_duration_seconds = models.PositiveIntegerField(null=True, blank=True)
    default_rest_seconds = models.PositiveSmallIntegerField(null=True, blank=True)
    default_side = models.CharField(max_length=12, choices=Side.choices, default=Side.BOTH)
    default_times_per_day = models.PositiveSmallIntegerField(default=1)
    dose_note = models.CharField(max_length=200, blank=True)
    regression = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="regression_of"
    )
    progression = models.ForeignKey(
        "self", on_delete=models.SET_NULL, null=True, blank=True, related_name="progression_of"
    )
    is_active = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("name", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["slug"], condition=Q(organization__isnull=True), name="global_slug_unique"
            ),
            models.UniqueConstraint(
                fields=["organization", "slug"],
                condition=Q(organization__isnull=False),
                name="org_slug_unique",
            ),
            models.CheckConstraint(
                condition=Q(difficulty__gte=1, difficulty__lte=3), name="difficulty_1_to_3"
            ),
        ]
        indexes = [
            models.Index(fields=["organization", "is_active", "name"], name="exercise_scope_name"),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def is_global(self) -> bool:
        return self.organization_id is None


def exercise_image_path(instance: ExerciseImage, filename: str) -> str:
    return f"exercises/{instance.exercise_id}/{filename}"


class ImageKind(models.TextChoices):
    DRAWING = "drawing", "Drawing"
    ANIMATION = "animation", "Animation"
    PHOTO = "photo", "Photo"


class ExerciseImage(models.Model):
    """An ordered picture of an exercise; thumbnails are made after commit by a Celery task."""

    exercise = models.ForeignKey(Exercise, on_delete=models.CASCADE, related_name="images")
    image = models.ImageField(
        upload_to=exercise_image_path, width_field="width", height_field="height"
    )
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    alt_text = models.CharField(max_length=300)
    kind = models.CharField(max_length=12, choices=ImageKind.choices, default=ImageKind.PHOTO)
    order = models.PositiveSmallIntegerField(default=0)
    is_main = models.BooleanField(default=False)
    thumbnail_small = models.ImageField(upload_to=exercise_image_path, blank=True)
    thumbnail_large = models.ImageField(upload_to=exercise_image_path, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ("exercise", "order", "id")
        constraints = [
            models.UniqueConstraint(
                fields=["exercise"], condition=Q(is_main=True), name="one_main_image_per_exercise"
            ),
            models.CheckConstraint(condition=~Q(alt_text=""), name="image_alt_text_required"),
        ]

    def __str__(self) -> str:
        return f"{self.exercise} #{self.order}"
