"""A PT's reply templates: saved texts they pick from when answering."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import transaction

from members.models import User
from messaging.models import MAX_TEXT_LENGTH, ReplyTemplate
from messaging.models.templates import TITLE_MAX_LENGTH


def _clean(*, title: str, text: str) -> tuple[str, str]:
    errors: dict[str, list[str]] = {}
    title = " ".join((title or "").split())
    text = (text or "").strip()
    if not title:
        errors["title"] = ["Give the template a short name."]
    elif len(title) > TITLE_MAX_LENGTH:
        errors["title"] = [f"Keep the name to {TITLE_MAX_LENGTH} characters or fewer."]
    if not text:
        errors["text"] = ["Write the reply."]
    elif len(text) > MAX_TEXT_LENGTH:
        errors["text"] = [f"Keep a reply to {MAX_TEXT_LENGTH} characters or fewer."]
    if errors:
        raise ValidationError(errors)
    return title, text


@transaction.atomic
def create_reply_template(*, by: User, title: str, text: str) -> ReplyTemplate:
    title, text = _clean(title=title, text=text)
    return ReplyTemplate.objects.create(therapist=by.therapist_profile, title=title, text=text)


@transaction.atomic
def update_reply_template(
    *, template: ReplyTemplate, title: str | None = None, text: str | None = None
) -> ReplyTemplate:
    title, text = _clean(
        title=template.title if title is None else title,
        text=template.text if text is None else text,
    )
    template.title, template.text = title, text
    template.save(update_fields=["title", "text", "updated_at"])
    return template


@transaction.atomic
def delete_reply_template(*, template: ReplyTemplate) -> None:
    template.delete()
