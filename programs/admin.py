"""Admin for the exercise library: exercises with their pictures, equipment, images with previews.

New pictures go through the same checks as uploads (programs.services.images): decoded, cleaned
of EXIF, re-encoded, thumbnails made after commit. An existing picture's file is never replaced
here; delete it and add another.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.db import transaction
from django.db.models import Count, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

from exercise_tracker import readcache
from programs import media
from programs.models import Equipment, Exercise, ExerciseImage, Lesson
from programs.selectors.library import main_image, main_image_prefetch
from programs.services.images import add_exercise_image

PREVIEW_HEIGHT = 80
LARGE_WIDTH = 480


def _preview(image: ExerciseImage | None, *, height: int = PREVIEW_HEIGHT) -> str:
    if image is None or not image.image:
        return "—"
    # Lists show the small thumbnail; until the task has made it, the original, scaled down.
    # Sizes are attributes: the content security policy drops inline styles.
    source = image.thumbnail_small or image.image
    return format_html('<img src="{}" alt="{}" height="{}">', source.url, image.alt_text, height)


class ExerciseImageInlineForm(forms.ModelForm[ExerciseImage]):
    class Meta:
        model = ExerciseImage
        fields = ("image", "alt_text", "kind", "order", "is_main")

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # The main mark moves with the "Make main picture" action (one main per exercise);
        # an existing picture's file stays as it is.
        self.fields["is_main"].disabled = True
        if self.instance.pk:
            self.fields["image"].disabled = True

    def clean_image(self) -> Any:
        file = self.cleaned_data.get("image")
        if self.instance.pk or file is None:
            return file
        try:
            media.check_size(file, max_bytes=settings.IMAGE_UPLOAD_MAX_BYTES)
            media.clean_image(file, max_pixels=settings.IMAGE_MAX_PIXELS)
        except (media.ImageRejected, media.ImageTooLarge) as exc:
            raise forms.ValidationError(str(exc)) from exc
        file.seek(0)
        return file


class ExerciseImageInline(admin.TabularInline[ExerciseImage, Exercise]):
    model = ExerciseImage
    form = ExerciseImageInlineForm
    extra = 0
    fields = ("preview", "image", "alt_text", "kind", "order", "is_main")
    readonly_fields = ("preview",)
    ordering = ("order", "id")

    @admin.display(description="Preview")
    def preview(self, obj: ExerciseImage) -> str:
        return _preview(obj) if obj.pk else "—"


@admin.register(Exercise)
class ExerciseAdmin(admin.ModelAdmin[Exercise]):
    list_display = (
        "thumbnail",
        "name",
        "category",
        "position",
        "difficulty",
        "movement_bias",
        "library",
        "is_active",
    )
    list_display_links = ("thumbnail", "name")
    list_filter = (
        "category",
        "position",
        "difficulty",
        "movement_bias",
        "is_active",
        ("organization", admin.RelatedOnlyFieldListFilter),
        "regions",
    )
    search_fields = ("name", "slug", "summary")
    list_select_related = ("organization",)
    filter_horizontal = ("regions", "equipment")
    autocomplete_fields = ("regression", "progression")
    readonly_fields = ("created_by", "created_at", "updated_at")
    inlines = (ExerciseImageInline,)
    fieldsets = (
        (None, {"fields": ("name", "slug", "organization", "summary", "is_active")}),
        (
            "Kind",
            {"fields": ("category", "regions", "position", "difficulty", "movement_bias")},
        ),
        ("Content", {"fields": ("instructions", "cues", "precautions", "equipment")}),
        (
            "Default dose",
            {
                "fields": (
                    "dosing",
                    ("default_sets", "default_reps", "default_hold_seconds"),
                    ("default_duration_seconds", "default_rest_seconds"),
                    ("default_side", "default_times_per_day"),
                    "dose_note",
                )
            },
        ),
        ("Easier and harder versions", {"fields": ("regression", "progression")}),
        ("History", {"fields": ("created_by", "created_at", "updated_at")}),
    )

    def get_queryset(self, request: HttpRequest) -> QuerySet[Exercise]:
        return super().get_queryset(request).prefetch_related(main_image_prefetch())

    @admin.display(description="Picture")
    def thumbnail(self, obj: Exercise) -> str:
        return _preview(main_image(obj), height=48)

    @admin.display(description="Library", ordering="organization__name")
    def library(self, obj: Exercise) -> str:
        return obj.organization.name if obj.organization else "Global"

    def save_formset(self, request: HttpRequest, form: Any, formset: Any, change: bool) -> None:
        if formset.model is not ExerciseImage:
            super().save_formset(request, form, formset, change)
            return
        images = formset.save(commit=False)
        for image in formset.deleted_objects:
            image.delete()
        for image in images:
            if image.pk:
                image.save()
                continue
            # New pictures take the upload path: cleaned, renamed, thumbnails queued.
            upload = image.image.file
            upload.seek(0)
            add_exercise_image(
                exercise=form.instance,
                file=upload,
                alt_text=image.alt_text,
                uploaded_by=request.user,
                kind=image.kind,
            )


@admin.register(Equipment)
class EquipmentAdmin(admin.ModelAdmin[Equipment]):
    list_display = ("name", "slug", "exercise_count")
    search_fields = ("name", "slug")
    prepopulated_fields = {"slug": ("name",)}

    def get_queryset(self, request: HttpRequest) -> QuerySet[Equipment]:
        return super().get_queryset(request).annotate(exercise_count=Count("exercises"))

    @admin.display(description="Exercises", ordering="exercise_count")
    def exercise_count(self, obj: Equipment) -> int:
        return int(getattr(obj, "exercise_count", 0))


@admin.register(ExerciseImage)
class ExerciseImageAdmin(admin.ModelAdmin[ExerciseImage]):
    list_display = ("preview", "exercise", "kind", "order", "is_main", "alt_text", "size")
    list_filter = ("kind", "is_main", ("exercise__organization", admin.RelatedOnlyFieldListFilter))
    search_fields = ("exercise__name", "alt_text")
    list_select_related = ("exercise",)
    fields = (
        "large_preview",
        "exercise",
        "alt_text",
        "kind",
        "order",
        "is_main",
        "image",
        "thumbnail_small",
        "thumbnail_large",
        "width",
        "height",
        "uploaded_by",
        "created_at",
    )
    readonly_fields = (
        "large_preview",
        "exercise",
        "is_main",
        "image",
        "thumbnail_small",
        "thumbnail_large",
        "width",
        "height",
        "uploaded_by",
        "created_at",
    )
    actions = ("make_main",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        # Pictures are added on their exercise's page, through the upload checks.
        return False

    @admin.display(description="Preview")
    def preview(self, obj: ExerciseImage) -> str:
        return _preview(obj, height=48)

    @admin.display(description="Picture")
    def large_preview(self, obj: ExerciseImage) -> str:
        if not obj.image:
            return "—"
        source = obj.thumbnail_large or obj.image
        return format_html(
            '<img src="{}" alt="{}" width="{}">',
            source.url,
            obj.alt_text,
            LARGE_WIDTH,
        )

    @admin.display(description="Size")
    def size(self, obj: ExerciseImage) -> str:
        return f"{obj.width} x {obj.height}"

    @admin.action(description="Make main picture of its exercise")
    def make_main(self, request: HttpRequest, queryset: QuerySet[ExerciseImage]) -> None:
        moved = 0
        with transaction.atomic():
            chosen: dict[int, ExerciseImage] = {}
            for image in queryset.order_by("exercise_id", "order", "id"):
                chosen.setdefault(image.exercise_id, image)  # one per exercise
            for exercise_id, image in chosen.items():
                locked = Exercise.objects.select_for_update().filter(pk=exercise_id).first()
                readcache.library_changed(locked.organization_id if locked else None)
                ExerciseImage.objects.filter(exercise_id=exercise_id, is_main=True).update(
                    is_main=False
                )
                ExerciseImage.objects.filter(pk=image.pk).update(is_main=True)
                moved += 1
        self.message_user(request, f"{moved} main picture(s) set.", messages.SUCCESS)


@admin.register(Lesson)
class LessonAdmin(admin.ModelAdmin[Lesson]):
    """The shared lessons, to read only. Their words come from fixtures/lessons/lessons.json
    through `manage.py load_lessons`: the file raises a lesson's version with its words (a
    member's read keeps the version read) and the loader redraws its picture. An edit here
    would do neither, so there is none."""

    list_display = ("title", "minutes", "version", "is_active", "assigned_plans", "updated_at")
    list_filter = ("is_active",)
    search_fields = ("title", "slug", "summary")
    ordering = ("order", "id")
    fields = (
        "large_preview",
        "title",
        "slug",
        "summary",
        "minutes",
        "order",
        "version",
        "is_active",
        "picture_alt",
        "sections",
        "created_at",
        "updated_at",
    )
    readonly_fields = fields

    def get_queryset(self, request: HttpRequest) -> QuerySet[Lesson]:
        return super().get_queryset(request).annotate(plans=Count("plan_lessons"))

    @admin.display(description="Plans", ordering="plans")
    def assigned_plans(self, obj: Lesson) -> int:
        return getattr(obj, "plans", 0)

    @admin.display(description="Picture")
    def large_preview(self, obj: Lesson) -> str:
        if not obj.picture:
            return "—"
        return format_html(
            '<img src="{}" alt="{}" width="{}">', obj.picture.url, obj.picture_alt, LARGE_WIDTH
        )

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Lesson | None = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Lesson | None = None) -> bool:
        return False
