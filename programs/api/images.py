"""`/api/v1/exercises/{id}/images/`: an exercise's pictures (GET) and uploads (POST multipart)."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler
from django.db.models import QuerySet
from django.http import HttpRequest
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import extend_schema
from rest_framework import generics, serializers, status
from rest_framework.exceptions import PermissionDenied
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access
from exercise_tracker.api import PayloadTooLarge
from programs.models import Exercise, ExerciseImage, ImageKind
from programs.services.images import add_exercise_image

# Room for the form's other fields and the multipart boundaries on top of the file itself.
FORM_OVERHEAD = 64 * 1024
MEGABYTE = 1024 * 1024


def _too_large() -> PayloadTooLarge:
    limit = settings.IMAGE_UPLOAD_MAX_BYTES / MEGABYTE
    return PayloadTooLarge(f"The image is larger than {limit:.0f} MB; images may be at most that.")


class ImageSizeLimitHandler(FileUploadHandler):
    """Stops reading an upload once it passes the limit: a 413 without spooling it all to disk."""

    def handle_raw_input(
        self,
        input_data: Any,
        META: dict[str, Any],
        content_length: int,
        boundary: str,
        encoding: str | None = None,
    ) -> None:
        if content_length and content_length > settings.IMAGE_UPLOAD_MAX_BYTES + FORM_OVERHEAD:
            raise _too_large()

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        # A chunked body has no length up front: count what arrives.
        if start + len(raw_data) > settings.IMAGE_UPLOAD_MAX_BYTES:
            raise _too_large()
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


class ExerciseImageSerializer(serializers.ModelSerializer[ExerciseImage]):
    """A picture as lists show it: `thumbnail` (160 px) is what a list page loads."""

    thumbnail = serializers.ImageField(source="thumbnail_small", read_only=True, allow_null=True)
    thumbnail_large = serializers.ImageField(read_only=True, allow_null=True)

    class Meta:
        model = ExerciseImage
        fields = (
            "id",
            "image",
            "thumbnail",
            "thumbnail_large",
            "alt_text",
            "kind",
            "order",
            "is_main",
            "width",
            "height",
            "created_at",
        )
        read_only_fields = fields

    def to_representation(self, instance: ExerciseImage) -> dict[str, Any]:
        data = super().to_representation(instance)
        # Until the thumbnail task has run, these are empty rather than a broken URL.
        for key in ("thumbnail", "thumbnail_large"):
            data[key] = data[key] or None
        return data


class ExerciseImageUploadSerializer(serializers.Serializer[Any]):
    # A plain file field: the image checks are programs.media's, by decoding, not DRF's.
    image = serializers.FileField(
        help_text="A PNG, JPEG or WebP image, at most 10 MB and 40 megapixels."
    )
    alt_text = serializers.CharField(
        max_length=300, help_text="What the picture shows, for people who cannot see it."
    )
    kind = serializers.ChoiceField(
        choices=[ImageKind.PHOTO, ImageKind.DRAWING], default=ImageKind.PHOTO, required=False
    )
    is_main = serializers.BooleanField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Make this the exercise's main picture (the first picture is by default).",
    )


class ExerciseImageListView(generics.ListCreateAPIView[ExerciseImage]):
    """An exercise's pictures in order. Anyone who sees the exercise may list them; PTs add
    pictures to their organization's own exercises, staff to any (the global library too)."""

    serializer_class = ExerciseImageSerializer
    parser_classes = (MultiPartParser, FormParser, JSONParser)

    def initialize_request(self, request: HttpRequest, *args: Any, **kwargs: Any) -> Request:
        # Before anything (a CSRF check) may read the body.
        request.upload_handlers.insert(0, ImageSizeLimitHandler(request))
        return super().initialize_request(request, *args, **kwargs)

    def exercise(self) -> Exercise:
        return get_object_or_404(
            access.visible_exercises(self.request.user), pk=self.kwargs["exercise_id"]
        )

    def get_queryset(self) -> QuerySet[ExerciseImage]:
        if getattr(self, "swagger_fake_view", False):  # schema generation: no URL kwargs
            return ExerciseImage.objects.none()
        return ExerciseImage.objects.filter(exercise=self.exercise()).order_by("order", "id")

    @extend_schema(
        request={"multipart/form-data": ExerciseImageUploadSerializer},
        responses={201: ExerciseImageSerializer},
        description=(
            "Upload a picture (multipart `image`, `alt_text`). PNG, JPEG or WebP only, checked by "
            "decoding; at most 10 MB (413 above) and 40 megapixels (400). EXIF and GPS data are "
            "removed and the orientation fixed. Thumbnails follow a moment later."
        ),
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        exercise = self.exercise()
        if not access.editable_exercises(request.user).filter(pk=exercise.pk).exists():
            raise PermissionDenied(
                "Only a physical therapist of the exercise's organization may add pictures to "
                "it; pictures of the global library are added by staff."
            )
        serializer = ExerciseImageUploadSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        image = add_exercise_image(
            exercise=exercise,
            file=serializer.validated_data["image"],
            alt_text=serializer.validated_data["alt_text"],
            uploaded_by=request.user,
            kind=serializer.validated_data["kind"],
            make_main=serializer.validated_data["is_main"],
        )
        data = ExerciseImageSerializer(image, context=self.get_serializer_context()).data
        return Response(data, status=status.HTTP_201_CREATED)
