"""Helpers for messaging tests: sending through the service, a picture, a PT's time."""

from __future__ import annotations

import uuid
from io import BytesIO
from typing import Any

from PIL import Image

from members.models import Member, User
from messaging.models import Thread
from messaging.services import messages


def thread_of(member: Member) -> Thread:
    return messages.thread_for_member(member=member)


def send(user: User, member: Member, text: str = "Hello", **kwargs: Any) -> messages.Sent:
    thread = Thread.objects.select_related("member__user").get(pk=thread_of(member).pk)
    return messages.send_message(
        thread=thread, by=user, client_id=kwargs.pop("client_id", uuid.uuid4()), text=text, **kwargs
    )


def jpeg_with_exif(size: tuple[int, int] = (64, 48)) -> BytesIO:
    img = Image.new("RGB", size, (200, 120, 40))
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x8825] = {1: "N"}  # GPS IFD pointer with a latitude ref
    buf = BytesIO()
    img.save(buf, format="JPEG", exif=exif.tobytes())
    buf.seek(0)
    buf.name = "photo.jpg"
    return buf
