"""The image pipeline: uploads are decoded, cleaned and stored, or refused leaving nothing."""

from __future__ import annotations

import struct
import tracemalloc
import zlib
from io import BytesIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import ExifTags, Image

from exercise_tracker.api import PayloadTooLarge
from programs import tasks
from programs.models import Exercise, ExerciseImage, ImageKind
from programs.services.images import add_exercise_image, make_thumbnails
from tests.conftest import World, bearer_client

pytestmark = pytest.mark.django_db


# --- helpers ------------------------------------------------------------------------------------


def make_exercise(organization=None, slug: str = "test-bridge") -> Exercise:
    return Exercise.objects.create(
        name="Test bridge",
        slug=slug,
        organization=organization,
        category="strength",
        position="supine",
        instructions=["Lie on the back.", "Lift the hips."],
    )


def encode(img: Image.Image, fmt: str, **kwargs: object) -> bytes:
    buf = BytesIO()
    img.save(buf, fmt, **kwargs)
    return buf.getvalue()


def png(size: tuple[int, int] = (800, 600), colour=(40, 120, 200)) -> bytes:
    return encode(Image.new("RGB", size, colour), "PNG")


def upload(data: bytes, name: str = "picture.png", content_type: str = "image/png"):
    return SimpleUploadedFile(name, data, content_type=content_type)


def bomb_png(width: int = 20_000, height: int = 20_000) -> bytes:
    """A valid-looking PNG whose header claims width x height grey pixels (a few hundred bytes)."""

    def chunk(kind: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(kind + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + kind + payload + struct.pack(">I", crc)

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    # Zeros compress to almost nothing: this is what would inflate to width*height bytes.
    rows = zlib.compress(b"\x00" * (width + 1) * 50, 9)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", rows) + chunk(b"IEND", b"")


def media_files() -> set[Path]:
    root = Path(settings.MEDIA_ROOT)
    return {p for p in root.rglob("*") if p.is_file()}


def post_image(
    client, exercise: Exercise, data: bytes, *, name: str = "picture.png", **fields: object
):
    body: dict[str, object] = {"image": upload(data, name), "alt_text": "A person bridging"}
    body.update(fields)
    return client.post(f"/api/v1/exercises/{exercise.pk}/images/", body, format="multipart")


def pixel(img: Image.Image, xy: tuple[int, int]) -> tuple[int, ...]:
    value = img.getpixel(xy)
    assert isinstance(value, tuple)
    return value


def stored(image: ExerciseImage) -> Image.Image:
    with image.image.open("rb") as fp:
        img = Image.open(BytesIO(fp.read()))
        img.load()
    return img


# --- upload through the API --------------------------------------------------------------------


def test_pt_uploads_a_png_and_gets_thumbnails_after_commit(
    world: World, django_capture_on_commit_callbacks
) -> None:
    exercise = make_exercise(world.org)
    client = bearer_client(world.pt.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_image(client, exercise, png((800, 600)))
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["alt_text"] == "A person bridging"
    assert (body["width"], body["height"], body["is_main"], body["order"]) == (800, 600, True, 0)
    assert body["kind"] == "photo"

    listed = client.get(f"/api/v1/exercises/{exercise.pk}/images/").json()
    assert listed["count"] == 1
    row = listed["results"][0]
    assert row["thumbnail"].endswith("-160.webp")
    assert row["thumbnail_large"].endswith("-480.webp")
    assert row["image"] != row["thumbnail"]
    image = ExerciseImage.objects.get()
    assert image.uploaded_by == world.pt.user
    with image.thumbnail_small.open("rb") as fp:
        small = Image.open(BytesIO(fp.read()))
        assert (small.format, small.size) == ("WEBP", (160, 120))
    with image.thumbnail_large.open("rb") as fp:
        assert Image.open(BytesIO(fp.read())).size == (480, 360)


def test_the_first_image_is_main_and_only_one_main(world: World) -> None:
    exercise = make_exercise(world.org)
    first = add_exercise_image(exercise=exercise, file=BytesIO(png()), alt_text="First")
    second = add_exercise_image(exercise=exercise, file=BytesIO(png()), alt_text="Second")
    assert (first.is_main, second.is_main) == (True, False)
    assert (first.order, second.order) == (0, 1)
    third = add_exercise_image(
        exercise=exercise, file=BytesIO(png()), alt_text="Third", make_main=True
    )
    mains = list(ExerciseImage.objects.filter(exercise=exercise, is_main=True))
    assert mains == [third]


def test_list_is_ordered_and_its_query_count_is_constant(
    world: World, django_assert_max_num_queries
) -> None:
    exercise = make_exercise(world.org)
    for n in range(2):
        add_exercise_image(exercise=exercise, file=BytesIO(png((40, 30))), alt_text=f"Pic {n}")
    client = bearer_client(world.member.user)
    with django_assert_max_num_queries(6):
        assert client.get(f"/api/v1/exercises/{exercise.pk}/images/").json()["count"] == 2
    for n in range(8):
        add_exercise_image(exercise=exercise, file=BytesIO(png((40, 30))), alt_text=f"More {n}")
    with django_assert_max_num_queries(6):
        body = client.get(f"/api/v1/exercises/{exercise.pk}/images/").json()
    assert [row["order"] for row in body["results"]] == list(range(10))


@pytest.mark.parametrize("actor", ["member", "coordinator"])
def test_members_and_coordinators_may_look_but_not_upload(world: World, actor: str) -> None:
    exercise = make_exercise(world.org)
    user = world.member.user if actor == "member" else world.coordinator
    client = bearer_client(user)
    assert client.get(f"/api/v1/exercises/{exercise.pk}/images/").status_code == 200
    before = media_files()
    response = post_image(client, exercise, png())
    assert response.status_code == 403
    assert "physical therapist" in response.json()["detail"]
    assert not ExerciseImage.objects.exists()
    assert media_files() == before


def test_another_organizations_exercise_is_404(world: World) -> None:
    exercise = make_exercise(world.other_org)
    client = bearer_client(world.pt.user)
    assert client.get(f"/api/v1/exercises/{exercise.pk}/images/").status_code == 404
    assert post_image(client, exercise, png()).status_code == 404
    assert not ExerciseImage.objects.exists()


def test_global_exercises_take_pictures_from_staff_only(world: World) -> None:
    exercise = make_exercise(None, slug="global-bridge")
    assert post_image(bearer_client(world.pt.user), exercise, png()).status_code == 403
    response = post_image(bearer_client(world.staff), exercise, png())
    assert response.status_code == 201
    assert ExerciseImage.objects.get().exercise == exercise


@pytest.mark.parametrize("alt_text", ["", "   "])
def test_alt_text_is_required(world: World, alt_text: str) -> None:
    exercise = make_exercise(world.org)
    response = post_image(bearer_client(world.pt.user), exercise, png(), alt_text=alt_text)
    assert response.status_code == 400
    assert "alt_text" in response.json()["errors"]
    assert not ExerciseImage.objects.exists()


# --- refused files -------------------------------------------------------------------------------


def test_decompression_bomb_is_refused_from_the_header_with_bounded_memory(world: World) -> None:
    exercise = make_exercise(world.org)
    data = bomb_png()
    assert len(data) < 100_000
    before = media_files()
    tracemalloc.start()
    try:
        with pytest.raises(ValidationError) as caught:
            add_exercise_image(exercise=exercise, file=BytesIO(data), alt_text="Bomb")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert "image" in caught.value.message_dict
    assert "pixels" in caught.value.message_dict["image"][0]
    # Decoded, the image would take 400 MB.
    assert peak < 20 * 1024 * 1024
    assert not ExerciseImage.objects.exists()
    assert media_files() == before

    response = post_image(bearer_client(world.pt.user), exercise, data)
    assert response.status_code == 400
    assert "pixels" in response.json()["errors"]["image"][0]


def test_just_over_forty_megapixels_names_the_limit(world: World) -> None:
    exercise = make_exercise(world.org)
    response = post_image(bearer_client(world.pt.user), exercise, bomb_png(8000, 5001))
    assert response.status_code == 400
    message = response.json()["errors"]["image"][0]
    assert "8000 x 5001" in message
    assert "40 megapixels" in message


def _truncated_jpeg() -> bytes:
    data = encode(Image.effect_noise((400, 300), 60).convert("RGB"), "JPEG", quality=90)
    return data[: len(data) // 2]


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("notes.png", b"This is a text file with a .png name, not an image.\n" * 20),
        ("cut.jpg", _truncated_jpeg()),
        ("anim.gif", encode(Image.new("P", (20, 20)), "GIF")),
        ("bitmap.bmp", encode(Image.new("RGB", (20, 20)), "BMP")),
        ("icon.tiff", encode(Image.new("RGB", (20, 20)), "TIFF")),
    ],
    ids=["text-named-png", "truncated-jpeg", "gif", "bmp", "tiff"],
)
def test_fake_damaged_and_other_format_files_are_400(world: World, name: str, data: bytes) -> None:
    exercise = make_exercise(world.org)
    before = media_files()
    response = post_image(
        bearer_client(world.pt.user),
        exercise,
        data,
        name=name,
    )
    assert response.status_code == 400, response.content
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert body["errors"]["image"]
    assert not ExerciseImage.objects.exists()
    assert media_files() == before


def test_a_file_over_10_mb_is_413_and_nothing_is_stored(world: World) -> None:
    exercise = make_exercise(world.org)
    data = png((64, 64)) + b"\0" * (settings.IMAGE_UPLOAD_MAX_BYTES + 1)
    before = media_files()
    response = post_image(bearer_client(world.pt.user), exercise, data)
    assert response.status_code == 413
    assert "10 MB" in response.json()["detail"]
    assert not ExerciseImage.objects.exists()
    assert media_files() == before


def test_the_service_refuses_a_file_over_the_limit(world: World, settings) -> None:
    settings.IMAGE_UPLOAD_MAX_BYTES = 1000
    exercise = make_exercise(world.org)
    before = media_files()
    with pytest.raises(PayloadTooLarge):
        noisy = encode(Image.effect_noise((300, 300), 80).convert("RGB"), "PNG")
        add_exercise_image(exercise=exercise, file=BytesIO(noisy), alt_text="Big")
    assert not ExerciseImage.objects.exists()
    assert media_files() == before


def test_oversized_form_fields_are_413_not_500(world: World) -> None:
    exercise = make_exercise(world.org)
    response = post_image(bearer_client(world.pt.user), exercise, png(), alt_text="x" * 3_000_000)
    assert response.status_code in (400, 413)
    assert set(response.json()) == {"detail", "errors"}


# --- cleaning ------------------------------------------------------------------------------------


def test_exif_and_gps_are_stripped(world: World) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "PhoneCo"
    exif[ExifTags.Base.Model] = "Secret Model 7"
    exif[ExifTags.IFD.GPSInfo] = {
        ExifTags.GPS.GPSLatitudeRef: "N",
        ExifTags.GPS.GPSLatitude: (52.0, 22.0, 30.0),
        ExifTags.GPS.GPSLongitudeRef: "E",
        ExifTags.GPS.GPSLongitude: (4.0, 53.0, 10.0),
    }
    data = encode(Image.new("RGB", (320, 240), (10, 200, 90)), "JPEG", exif=exif)
    assert Image.open(BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo)
    image = add_exercise_image(
        exercise=make_exercise(world.org), file=BytesIO(data), alt_text="Photo"
    )
    with image.image.open("rb") as fp:
        raw = fp.read()
    assert b"Secret Model 7" not in raw
    assert b"PhoneCo" not in raw
    assert b"Exif" not in raw
    img = Image.open(BytesIO(raw))
    assert img.format == "JPEG"
    assert dict(img.getexif()) == {}
    assert not img.getexif().get_ifd(ExifTags.IFD.GPSInfo)


def test_orientation_is_applied(world: World) -> None:
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6  # "rotate 90 degrees clockwise to view"
    source = Image.new("RGB", (300, 200), (255, 255, 255))
    source.paste((255, 0, 0), (0, 0, 60, 200))  # a red band on the left edge
    data = encode(source, "JPEG", exif=exif, quality=95)
    image = add_exercise_image(
        exercise=make_exercise(world.org), file=BytesIO(data), alt_text="Rotated"
    )
    assert (image.width, image.height) == (200, 300)
    img = stored(image)
    assert img.size == (200, 300)
    # Turned clockwise, the left edge becomes the top.
    r, g, b = pixel(img, (100, 10))
    assert r > 200 and g < 60 and b < 60
    assert 274 not in img.getexif()


def test_palette_png_with_transparency_becomes_rgba(world: World) -> None:
    pal = Image.new("P", (40, 40), 1)
    pal.putpalette([0, 0, 0, 255, 0, 0] + [0, 0, 0] * 254)
    pal.paste(0, (0, 0, 20, 40))
    data = encode(pal, "PNG", transparency=0)
    image = add_exercise_image(
        exercise=make_exercise(world.org), file=BytesIO(data), alt_text="Palette"
    )
    img = stored(image)
    assert (img.format, img.mode) == ("PNG", "RGBA")
    assert pixel(img, (5, 5))[3] == 0  # the transparent half stays transparent
    assert pixel(img, (30, 5)) == (255, 0, 0, 255)


def test_cmyk_jpeg_and_grey_alpha_png_are_converted(world: World) -> None:
    exercise = make_exercise(world.org)
    cmyk = encode(Image.new("CMYK", (30, 30), (0, 255, 255, 0)), "JPEG")
    image = add_exercise_image(exercise=exercise, file=BytesIO(cmyk), alt_text="CMYK")
    img = stored(image)
    assert img.mode == "RGB"
    r, g, b = pixel(img, (15, 15))
    assert r > 200 and g < 80 and b < 80
    la = encode(Image.new("LA", (30, 30), (128, 100)), "PNG")
    assert stored(add_exercise_image(exercise=exercise, file=BytesIO(la), alt_text="LA")).mode == (
        "RGBA"
    )


def test_stored_name_never_comes_from_the_upload(world: World) -> None:
    exercise = make_exercise(world.org)
    response = post_image(
        bearer_client(world.pt.user),
        exercise,
        png(),
        name="../../etc/passwd.png",
    )
    assert response.status_code == 201
    name = ExerciseImage.objects.get().image.name or ""
    assert name.startswith(f"exercises/{exercise.pk}/test-bridge-photo-")
    assert "passwd" not in name


def test_an_animation_keeps_its_frames_and_a_photo_keeps_the_first(world: World) -> None:
    frames = [Image.new("RGB", (60, 40), colour) for colour in ("red", "blue", "green")]
    data = encode(frames[0], "WEBP", save_all=True, append_images=frames[1:], duration=200)
    exercise = make_exercise(world.org)
    animation = add_exercise_image(
        exercise=exercise, file=BytesIO(data), alt_text="Moving", kind=ImageKind.ANIMATION
    )
    photo = add_exercise_image(exercise=exercise, file=BytesIO(data), alt_text="Still")
    assert getattr(stored(animation), "n_frames", 1) == 3
    assert getattr(stored(photo), "n_frames", 1) == 1


# --- the thumbnail task --------------------------------------------------------------------------


def test_thumbnail_task_is_idempotent_and_quiet_when_the_row_is_gone(world: World) -> None:
    image = add_exercise_image(
        exercise=make_exercise(world.org), file=BytesIO(png((1000, 500))), alt_text="Wide"
    )
    assert not image.thumbnail_small  # made after commit, not inside the upload
    assert tasks.make_thumbnails.delay(image.pk).get() is True
    image.refresh_from_db()
    names = (image.thumbnail_small.name, image.thumbnail_large.name)
    files = media_files()
    assert tasks.make_thumbnails.delay(image.pk).get() is False
    image.refresh_from_db()
    assert (image.thumbnail_small.name, image.thumbnail_large.name) == names
    assert media_files() == files
    image_id = image.pk
    image.delete()
    assert make_thumbnails(image_id=image_id) is False
    assert tasks.make_thumbnails.delay(image_id).get() is False


def test_thumbnail_task_retries_only_transient_errors() -> None:
    task = tasks.make_thumbnails
    assert task.acks_late is True
    retried = getattr(task, "autoretry_for", ())
    assert OSError not in retried  # a damaged file is not worth a retry
    assert all(issubclass(exc, Exception) for exc in retried)
    assert ConnectionError in retried


def test_a_small_image_is_not_enlarged(world: World) -> None:
    image = add_exercise_image(
        exercise=make_exercise(world.org), file=BytesIO(png((100, 80))), alt_text="Small"
    )
    make_thumbnails(image_id=image.pk)
    image.refresh_from_db()
    with image.thumbnail_large.open("rb") as fp:
        assert Image.open(BytesIO(fp.read())).size == (100, 80)


# --- schema --------------------------------------------------------------------------------------


def test_the_upload_is_documented_as_multipart(db: None) -> None:
    from django.test import Client

    schema = Client().get("/api/schema/?format=json").json()
    operation = schema["paths"]["/api/v1/exercises/{exercise_id}/images/"]["post"]
    content = operation["requestBody"]["content"]
    assert "multipart/form-data" in content
    ref = content["multipart/form-data"]["schema"]["$ref"].rsplit("/", 1)[-1]
    fields = schema["components"]["schemas"][ref]["properties"]
    assert {"image", "alt_text"} <= set(fields)
    assert fields["image"]["format"] == "binary"


# --- the broker down (Redis stopped) -----------------------------------------------------------


def test_an_upload_with_the_broker_down_succeeds_and_gets_thumbnails_later(
    world: World, django_capture_on_commit_callbacks, monkeypatch, caplog
) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from kombu.exceptions import OperationalError as BrokerDown

    from programs.services.images import queue_missing_thumbnails

    def broker_down(*args: object, **kwargs: object) -> None:
        raise BrokerDown("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    exercise = make_exercise(world.org)
    client = bearer_client(world.pt.user)
    client.raise_request_exception = False
    monkeypatch.setattr(tasks.make_thumbnails, "apply_async", broker_down)
    with django_capture_on_commit_callbacks(execute=True):
        response = post_image(client, exercise, png((800, 600)))
    assert response.status_code == 201, response.content
    image = ExerciseImage.objects.get(pk=response.json()["id"])
    assert not image.thumbnail_small
    assert "thumbnails not queued (broker unavailable" in caplog.text

    # The broker is back: beat's sweep queues what was missed (not before it is overdue).
    monkeypatch.undo()
    assert queue_missing_thumbnails() == 0
    assert queue_missing_thumbnails(now=timezone.now() + timedelta(minutes=3)) == 1
    image.refresh_from_db()
    assert image.thumbnail_small and image.thumbnail_large
    assert queue_missing_thumbnails(now=timezone.now() + timedelta(minutes=3)) == 0
