"""Image checks, clean re-encoding and thumbnails (Pillow): what an image must pass to be stored.

An upload is judged by decoding it, never by its name or declared type: only PNG, JPEG and WebP
open; the pixel count is checked from the header before any pixel is decoded; a full decode then
proves the file is whole. What is stored is a fresh encoding of the pixels (orientation applied,
colours in sRGB, modes normalised), so no EXIF, GPS, comments or profiles survive.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from io import BytesIO
from typing import IO

from PIL import Image, ImageCms, ImageOps, ImageSequence, UnidentifiedImageError

ALLOWED_FORMATS = ("PNG", "JPEG", "WEBP")
EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}
# An animation is kept whole in memory while it is re-encoded: bound its frames too.
MAX_FRAMES = 200
THUMBNAIL_WIDTHS = {"small": 160, "large": 480}
JPEG_QUALITY = 90
WEBP_QUALITY = 88
THUMBNAIL_QUALITY = 80
MEGABYTE = 1024 * 1024


class ImageRejected(ValueError):
    """The file is not an image we accept; the message says why, for the person uploading."""


class ImageTooLarge(ValueError):
    """The file is bigger than the upload limit."""


@dataclass(frozen=True)
class CleanImage:
    content: bytes
    format: str
    width: int
    height: int
    frames: int

    @property
    def extension(self) -> str:
        return EXTENSIONS[self.format]


def file_size(file: IO[bytes]) -> int:
    """The size of a file-like object (an upload, a BytesIO), without reading it into memory."""
    size = getattr(file, "size", None)
    if isinstance(size, int):
        return size
    position = file.tell()
    file.seek(0, 2)
    size = file.tell()
    file.seek(position)
    return size


def check_size(file: IO[bytes], *, max_bytes: int) -> int:
    size = file_size(file)
    if size > max_bytes:
        raise ImageTooLarge(
            f"The image is {size / MEGABYTE:.1f} MB; images may be at most "
            f"{max_bytes / MEGABYTE:.0f} MB."
        )
    if size == 0:
        raise ImageRejected("The file is empty.")
    return size


@contextmanager
def _bombs_are_errors() -> Iterator[None]:
    # Pillow only warns between MAX_IMAGE_PIXELS and twice that; here a warning refuses the file.
    with warnings.catch_warnings():
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        yield


def _megapixels(pixels: int) -> str:
    return f"{pixels / 1_000_000:.0f}" if pixels >= 10_000_000 else f"{pixels / 1_000_000:.1f}"


def open_checked(file: IO[bytes], *, max_pixels: int) -> Image.Image:
    """Opens an accepted format and checks the header's pixel count; nothing decoded yet."""
    file.seek(0)
    try:
        with _bombs_are_errors():
            img = Image.open(file, formats=ALLOWED_FORMATS)
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageRejected(
            f"The image has too many pixels; the limit is {_megapixels(max_pixels)} megapixels."
        ) from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected(
            "This file is not a PNG, JPEG or WebP image (other formats are not accepted)."
        ) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("This image could not be read: it is damaged or incomplete.") from exc
    width, height = img.size
    if width < 1 or height < 1:
        raise ImageRejected("This image has no pixels.")
    if width * height > max_pixels:
        raise ImageRejected(
            f"The image is {width} x {height} pixels ({_megapixels(width * height)} megapixels); "
            f"the limit is {_megapixels(max_pixels)} megapixels. Please resize it."
        )
    return img


def _to_srgb(img: Image.Image) -> Image.Image:
    """Applies an embedded colour profile, so the pixels look right once the profile is gone."""
    icc = img.info.get("icc_profile")
    if not icc or img.mode not in ("RGB", "RGBA", "CMYK"):
        return img
    try:
        source = ImageCms.ImageCmsProfile(BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        out_mode = "RGBA" if img.mode == "RGBA" else "RGB"
        converted = ImageCms.profileToProfile(img, source, target, outputMode=out_mode)
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        return img  # a broken profile: keep the pixels as they are
    return converted if converted is not None else img


def normalise(img: Image.Image) -> Image.Image:
    """Upright, sRGB, in a mode every browser and encoder handles; info (metadata) dropped."""
    has_transparency = "transparency" in img.info
    img = ImageOps.exif_transpose(img) or img
    img = _to_srgb(img)
    mode = img.mode
    if mode in ("P", "PA"):
        img = img.convert("RGBA" if has_transparency or mode == "PA" else "RGB")
    elif mode in ("LA", "La", "RGBa") or (mode in ("L", "RGB") and has_transparency):
        img = img.convert("RGBA")
    elif mode == "1":
        img = img.convert("L")
    elif mode.startswith("I;16") or mode == "I":
        # 16-bit greys: scale to 8 bits instead of clipping everything above 255 to white.
        img = img.convert("I").point(lambda value: value * (1 / 256)).convert("L")
    elif mode == "F":
        img = img.convert("L")
    elif mode not in ("L", "RGB", "RGBA"):
        img = img.convert("RGB")  # CMYK, YCbCr, LAB, HSV, RGBX
    img = img.copy() if img.info else img
    img.info = {}
    return img


def _encode(frames: list[Image.Image], fmt: str, durations: list[int], loop: int) -> bytes:
    buf = BytesIO()
    first = frames[0]
    if fmt == "JPEG":
        first.save(buf, "JPEG", quality=JPEG_QUALITY, optimize=True)
    elif fmt == "PNG":
        extra = (
            {"save_all": True, "append_images": frames[1:], "duration": durations, "loop": loop}
            if len(frames) > 1
            else {}
        )
        first.save(buf, "PNG", compress_level=6, **extra)
    else:
        extra = (
            {"save_all": True, "append_images": frames[1:], "duration": durations, "loop": loop}
            if len(frames) > 1
            else {}
        )
        # method 2: a fair size at a fraction of the default effort
        first.save(buf, "WEBP", quality=WEBP_QUALITY, method=2, **extra)
    return buf.getvalue()


def clean_image(file: IO[bytes], *, max_pixels: int, keep_animation: bool = False) -> CleanImage:
    """Checks and re-encodes an image; raises ImageRejected with a message for the uploader.

    Only the first frame is kept unless `keep_animation` (our own drawings' animations).
    """
    img = open_checked(file, max_pixels=max_pixels)
    fmt = img.format or ""
    if fmt not in ALLOWED_FORMATS:  # pragma: no cover - open() already refused it
        raise ImageRejected("This file is not a PNG, JPEG or WebP image.")
    n_frames = getattr(img, "n_frames", 1) if keep_animation else 1
    width, height = img.size
    if n_frames > MAX_FRAMES or width * height * n_frames > max_pixels:
        raise ImageRejected(
            f"The animation has too many frames ({n_frames}) for its size; "
            f"the limit is {_megapixels(max_pixels)} megapixels in all."
        )
    frames: list[Image.Image] = []
    durations: list[int] = []
    loop = int(img.info.get("loop", 0) or 0)
    try:
        with _bombs_are_errors():
            if n_frames == 1:
                img.seek(0)
                img.load()  # a full decode: a truncated or fake file fails here
                frames.append(normalise(img))
                durations.append(0)
            else:
                for frame in ImageSequence.Iterator(img):
                    frame.load()
                    durations.append(int(frame.info.get("duration", 100) or 100))
                    frames.append(normalise(frame.copy()))
    except ImageRejected:
        raise
    except (Image.DecompressionBombWarning, Image.DecompressionBombError) as exc:
        raise ImageRejected("The image has too many pixels.") from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise ImageRejected("This image could not be read: it is damaged or incomplete.") from exc
    finally:
        img.close()
    content = _encode(frames, fmt, durations, loop)
    return CleanImage(
        content=content,
        format=fmt,
        width=frames[0].width,
        height=frames[0].height,
        frames=len(frames),
    )


def thumbnail(file: IO[bytes], *, width: int) -> bytes:
    """A WebP of the first frame, `width` pixels wide at most (never enlarged)."""
    file.seek(0)
    with _bombs_are_errors(), Image.open(file, formats=ALLOWED_FORMATS) as img:
        img.seek(0)
        # draft() lets a JPEG decode at a fraction of its size when that is all we need.
        img.draft("RGB", (width, max(1, img.height * width // max(1, img.width))))
        img.load()
        frame = img.convert("RGBA" if img.mode in ("RGBA", "LA", "PA") else "RGB")
    if frame.width > width:
        height = max(1, round(frame.height * width / frame.width))
        frame = frame.resize((width, height), Image.Resampling.LANCZOS, reducing_gap=3.0)
    buf = BytesIO()
    frame.save(buf, "WEBP", quality=THUMBNAIL_QUALITY, method=4)
    return buf.getvalue()
