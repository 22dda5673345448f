"""The printable handout of a plan: a ReportLab PDF a member can stick on the fridge.

What it shows: the organization, the member, the plan's title, dates and note; then each
exercise in force with its picture (the 480 px thumbnail; never the original, which may be a
40-megapixel upload: an exercise whose thumbnails are not made yet prints without a picture),
its precautions, steps, dose and the PT's note; the PT's contact line; the stop rule and the red
flags (members.rules.safety: the same words as the member's pages). Every string a
person typed goes through `_text`, which escapes it: ReportLab's Paragraph reads a small markup
language (`<b>`, `<font>`, `<img src=...>`), and a PT's note must print as written, never as
markup (and never make ReportLab open a file or URL named in it).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from io import BytesIO
from xml.sax.saxutils import escape

from PIL import Image as PILImage
from PIL import UnidentifiedImageError
from reportlab.lib import colors
from reportlab.lib.enums import TA_LEFT
from reportlab.lib.pagesizes import LETTER
from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
from reportlab.lib.units import inch
from reportlab.platypus import (
    Flowable,
    HRFlowable,
    Image,
    KeepTogether,
    ListFlowable,
    ListItem,
    Paragraph,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)

from members.rules import safety
from programs.models import ExerciseImage, Plan
from programs.rules.doses import dose_label
from programs.selectors.plans import ShownItem

logger = logging.getLogger(__name__)

PICTURE_WIDTH = 2.1 * inch
PICTURE_MAX_HEIGHT = 3 * inch
RULE = colors.HexColor("#c9d3dd")


def _text(value: object) -> str:
    """Typed text as Paragraph content: escaped, line breaks kept."""
    return escape(str(value)).replace("\n", "<br/>")


def _styles() -> dict[str, ParagraphStyle]:
    base = getSampleStyleSheet()
    body = ParagraphStyle(
        "body", parent=base["BodyText"], fontSize=10, leading=13, alignment=TA_LEFT
    )
    return {
        "title": ParagraphStyle("title", parent=base["Title"], fontSize=18, leading=22),
        "org": ParagraphStyle("org", parent=body, textColor=colors.HexColor("#35506b")),
        "h2": ParagraphStyle("h2", parent=base["Heading2"], fontSize=13, leading=16, spaceAfter=2),
        "body": body,
        "dose": ParagraphStyle("dose", parent=body, fontName="Helvetica-Bold"),
        "small": ParagraphStyle("small", parent=body, fontSize=8.5, leading=11),
        "care": ParagraphStyle(
            "care",
            parent=body,
            backColor=colors.HexColor("#fffaeb"),
            borderPadding=3,
            spaceBefore=2,
            spaceAfter=5,
        ),
    }


def _picture(image: ExerciseImage | None) -> Image | None:
    """The picture as a flowable, re-encoded as PNG (ReportLab and WebP do not always agree).
    A missing or unreadable file leaves the exercise without a picture, not the handout. A tall
    picture is scaled to PICTURE_MAX_HEIGHT so that it always fits a page."""
    if image is None:
        return None
    field = image.thumbnail_large or image.thumbnail_small
    if not field:
        return None  # the thumbnail task has not run yet: never decode the original here
    try:
        with field.open("rb") as fp, PILImage.open(fp) as source:
            source.seek(0)  # the first frame of an animation: the start position
            frame = source.convert("RGB")
    except (FileNotFoundError, UnidentifiedImageError, OSError, ValueError):
        logger.warning("Exercise image %s could not be read for a handout.", image.pk)
        return None
    png = BytesIO()
    frame.save(png, format="PNG")
    png.seek(0)
    width, height = frame.size
    scale = min(PICTURE_WIDTH / width, PICTURE_MAX_HEIGHT / height)
    return Image(png, width=width * scale, height=height * scale)


def _exercise_block(
    entry: ShownItem,
    number: int,
    styles: dict[str, ParagraphStyle],
    frame: tuple[float, float],
) -> list[Flowable]:
    """The exercise with its picture on the left, the rest beside it; kept on one page.

    A table row cannot break across pages (ReportLab raises LayoutError), and an organization's
    exercise may have twelve long steps and a long note: when the side-by-side row would not fit
    on a page, only the name and dose stay beside the picture and the steps and note follow
    below it, free to continue on the next page."""
    item = entry.item
    exercise = item.exercise
    head: list[Flowable] = [
        Paragraph(f"{number}. {_text(exercise.name)}", styles["h2"]),
        Paragraph(_text(dose_label(item, dosing=exercise.dosing, days=True)), styles["dose"]),
    ]
    if item.load:
        head.append(Paragraph(f"Load: {_text(item.load)}", styles["body"]))
    if item.target_rpe is not None:
        head.append(Paragraph(f"Effort: about {item.target_rpe} out of 10", styles["body"]))
    body: list[Flowable] = []
    precautions = [str(p) for p in exercise.precautions or [] if str(p).strip()]
    if precautions:
        # What the PT wrote to take care of comes before the steps, as on the member's pages.
        body.append(
            Paragraph(
                "<b>Take care:</b> " + " ".join(_text(p) for p in precautions), styles["care"]
            )
        )
    steps = [s for s in exercise.instructions or [] if str(s).strip()]
    if steps:
        body.append(
            ListFlowable(
                [ListItem(Paragraph(_text(step), styles["body"])) for step in steps],
                bulletType="1",
                leftIndent=14,
                bulletFontSize=9,
            )
        )
    if item.note:
        body.append(Paragraph(f"<i>From your PT:</i> {_text(item.note)}", styles["body"]))
    picture = _picture(entry.image)
    alt = entry.image.alt_text if entry.image is not None else ""
    left: list[Flowable] = [picture] if picture is not None else []
    if alt:
        left.append(Paragraph(_text(alt), styles["small"]))

    def row(right: list[Flowable], line: bool) -> Table:
        commands: list[tuple[object, ...]] = [
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("BOTTOMPADDING", (0, 0), (-1, -1), 10),
            ("LEFTPADDING", (0, 0), (0, 0), 0),
        ]
        if line:
            commands.append(("LINEBELOW", (0, 0), (-1, -1), 0.5, RULE))
        return Table(
            [[left or "", right]],
            colWidths=[PICTURE_WIDTH + 0.15 * inch, None],
            style=TableStyle(commands),
        )

    together = row(head + body, line=True)
    width, height = frame
    if together.wrap(width, height)[1] <= height:
        return [KeepTogether([together])]
    return [
        row(head, line=False),
        *body,
        Spacer(1, 6),
        HRFlowable(width="100%", thickness=0.5, color=RULE, spaceAfter=10),
    ]


def render_handout(
    *,
    plan: Plan,
    items: Sequence[ShownItem],
    therapist_line: str,
) -> bytes:
    """The handout's PDF bytes. `items` are the items in force, in order, with their pictures."""
    styles = _styles()
    member = plan.member
    organization = plan.organization
    out = BytesIO()
    doc = SimpleDocTemplate(
        out,
        pagesize=LETTER,
        leftMargin=0.7 * inch,
        rightMargin=0.7 * inch,
        topMargin=0.6 * inch,
        bottomMargin=0.6 * inch,
        title=f"Home exercise program: {plan.title}",
        author=organization.name,
        subject="Home exercise program",
    )
    dates = f"From {plan.start_date:%B %-d, %Y}"
    if plan.end_date:
        dates += f" to {plan.end_date:%B %-d, %Y}"
    story: list[object] = [
        Paragraph(_text(organization.name), styles["org"]),
        Paragraph(_text(plan.title), styles["title"]),
        Paragraph(f"For <b>{_text(member.user.display_name)}</b>. {_text(dates)}.", styles["body"]),
        Spacer(1, 6),
    ]
    if plan.note_to_member:
        story.append(
            Paragraph(f"<i>A note from your PT:</i> {_text(plan.note_to_member)}", styles["body"])
        )
    if plan.goals:
        story.append(Paragraph(f"<i>Goals:</i> {_text(plan.goals)}", styles["body"]))
    story.append(Spacer(1, 10))
    if not items:
        story.append(Paragraph("This plan has no exercises yet.", styles["body"]))
    # What one exercise may take: the page's frame less its padding (6 pt each side).
    frame = (doc.width - 12, doc.height - 12)
    for number, entry in enumerate(items, start=1):
        story += _exercise_block(entry, number, styles, frame)
    story += [
        Spacer(1, 12),
        Paragraph(_text(therapist_line), styles["body"]),
        Spacer(1, 6),
        Paragraph(f"<b>When to stop.</b> {_text(safety.STOP_RULE)}", styles["body"]),
        Spacer(1, 4),
        Paragraph(f"<b>{_text(safety.red_flag_text())}</b>", styles["body"]),
    ]
    doc.build(story)
    return out.getvalue()
