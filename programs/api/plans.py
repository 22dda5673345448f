"""`/api/v1/templates/` and `/api/v1/plans/`: protocols, plans, their revisions (v1 contract).

Who: PTs read templates (global and their organization's) and write their own organization's;
PTs write the plans of their caseload; a member reads their own plan and never writes it (403);
coordinators see adherence figures, never plans with their free-text goals and notes (404), and
have no templates either. Staff read everything, audited, and change plans through the admin.
"""

from __future__ import annotations

import threading
from dataclasses import asdict
from typing import Any

from django.db.models import QuerySet, prefetch_related_objects
from django.http import HttpRequest, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_field
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound, PermissionDenied
from rest_framework.renderers import BaseRenderer, JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from exercise_tracker import access, audit, readcache
from exercise_tracker.api import (
    MAX_ID,
    Conflict,
    Pagination,
    StrictIntegerField,
    only_roles,
    parse_int,
    query_choice,
    query_int,
)
from exercise_tracker.fast_reads import FastReadMixin
from exercise_tracker.inputs import InputSerializer, max_length
from exercise_tracker.throttling import AnonThrottle, ScopedThrottle, UserThrottle
from members.models import Condition, Role
from programs.api.serializers import DoseSerializer
from programs.handout import render_handout
from programs.inputs import ItemsField
from programs.models import (
    Plan,
    PlanItem,
    PlanRevision,
    PlanStatus,
    PlanTemplate,
    TemplateItem,
)
from programs.rules.doses import dose_label
from programs.rules.estimates import estimate_minutes
from programs.selectors import plans as selectors
from programs.services import plans as services

# --- serializers ----------------------------------------------------------------------------


class ExerciseBriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    dosing = serializers.CharField(read_only=True)
    movement_bias = serializers.CharField(read_only=True)
    precaution_tags = serializers.ListField(child=serializers.CharField(), read_only=True)


class ItemDoseSerializer(DoseSerializer):
    """An item's dose as read: the dose fields of an exercise's default dose, the item's own
    (order, load, effort, days, note) and `label`, the dose in the words the member reads. The
    dosing kind is the exercise's."""

    dosing = None  # type: ignore[assignment]  # removes the parent's field: it is in `exercise`
    exercise = ExerciseBriefSerializer(read_only=True)
    order = serializers.IntegerField(read_only=True)
    load = serializers.CharField(read_only=True)
    target_rpe = serializers.IntegerField(read_only=True, allow_null=True)
    days_of_week = serializers.ListField(child=serializers.IntegerField(), read_only=True)
    note = serializers.CharField(read_only=True)
    label = serializers.SerializerMethodField()  # type: ignore[assignment]

    def get_label(self, item: PlanItem | TemplateItem) -> str:
        return dose_label(item, dosing=item.exercise.dosing)


class PlanItemSerializer(ItemDoseSerializer):
    """One item version. `id` names this version (logs point at it); `key` stays the same
    across versions of the item."""

    id = serializers.IntegerField(read_only=True)
    key = serializers.UUIDField(read_only=True)
    valid_from_revision = serializers.IntegerField(read_only=True)
    valid_to_revision = serializers.IntegerField(read_only=True, allow_null=True)


class PlanCreateSerializer(InputSerializer):
    read_from = "programs.api.plans.PlanSerializer"

    member = StrictIntegerField(min_value=1, max_value=MAX_ID)
    title = serializers.CharField(max_length=max_length(Plan, "title"))
    template = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    start_date = serializers.DateField()
    end_date = serializers.DateField(required=False, allow_null=True)
    goals = serializers.CharField(
        required=False, allow_blank=True, max_length=max_length(Plan, "goals")
    )
    note_to_member = serializers.CharField(
        required=False, allow_blank=True, max_length=max_length(Plan, "note_to_member")
    )
    status = serializers.ChoiceField(choices=PlanStatus.choices, required=False)
    reason = serializers.CharField(
        required=False, allow_blank=True, max_length=max_length(PlanRevision, "reason")
    )
    items = ItemsField(required=False)
    lessons = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=20,
        help_text="Lesson ids (GET /api/v1/lessons/) the member reads with this plan, in order; "
        "the whole list. Left out on POST with a template: the template's suggested lessons.",
    )


class PlanPatchSerializer(InputSerializer):
    """A new revision: the fields given change; `items` is the whole new list. A plan sent back
    as GET returned it (one field changed) is taken as it is: read-only fields are ignored."""

    read_from = "programs.api.plans.PlanSerializer"

    reason = serializers.CharField(max_length=max_length(PlanRevision, "reason"))
    title = serializers.CharField(required=False, max_length=max_length(Plan, "title"))
    status = serializers.ChoiceField(choices=PlanStatus.choices, required=False)
    start_date = serializers.DateField(required=False)
    end_date = serializers.DateField(required=False, allow_null=True)
    goals = serializers.CharField(
        required=False, allow_blank=True, max_length=max_length(Plan, "goals")
    )
    note_to_member = serializers.CharField(
        required=False, allow_blank=True, max_length=max_length(Plan, "note_to_member")
    )
    items = ItemsField(required=False)
    lessons = serializers.ListField(
        child=StrictIntegerField(min_value=1, max_value=MAX_ID),
        required=False,
        max_length=20,
        help_text="Lesson ids (GET /api/v1/lessons/) the member reads with this plan, in order; "
        "the whole list. Left out on POST with a template: the template's suggested lessons.",
    )


class PlanPreviewSerializer(InputSerializer):
    member = StrictIntegerField(min_value=1, max_value=MAX_ID)
    plan = StrictIntegerField(required=False, allow_null=True, min_value=1, max_value=MAX_ID)
    items = ItemsField()


class WarningSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    field = serializers.CharField()
    message = serializers.CharField()
    # With code "precaution_conflict": the member's precaution and the exercise's tag.
    precaution = serializers.CharField(required=False)
    exercise_precaution = serializers.CharField(required=False)


class PlanSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    member = serializers.IntegerField(source="member_id", read_only=True)
    member_name = serializers.CharField(source="member.user.display_name", read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True, allow_null=True)
    author_name = serializers.SerializerMethodField()
    organization = serializers.IntegerField(source="organization_id", read_only=True)
    title = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    start_date = serializers.DateField(read_only=True)
    end_date = serializers.DateField(read_only=True, allow_null=True)
    goals = serializers.CharField(read_only=True)
    note_to_member = serializers.CharField(read_only=True)
    template = serializers.IntegerField(source="created_from_id", read_only=True, allow_null=True)
    revision = serializers.IntegerField(read_only=True)
    created_at = serializers.DateTimeField(read_only=True)
    updated_at = serializers.DateTimeField(read_only=True)
    items = PlanItemSerializer(source="shown_items", many=True, read_only=True)
    warnings = WarningSerializer(many=True, read_only=True)
    estimated_minutes = serializers.FloatField(read_only=True)
    lessons = serializers.SerializerMethodField(help_text="The plan's lesson ids, in order.")

    def get_author_name(self, plan: Plan) -> str | None:
        return str(plan.author) if plan.author is not None else None

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_lessons(self, plan: Plan) -> list[int]:
        return [pl.lesson_id for pl in plan.plan_lessons.all()]


class PlanPreviewResultSerializer(serializers.Serializer[Any]):
    warnings = WarningSerializer(many=True, read_only=True)
    estimated_minutes = serializers.FloatField(read_only=True)
    labels = serializers.ListField(
        child=serializers.CharField(),
        read_only=True,
        help_text="Each item's dose in the words the member will read, in order.",
    )


class RevisionSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField(read_only=True)
    author = serializers.IntegerField(source="author_id", read_only=True, allow_null=True)
    author_name = serializers.SerializerMethodField()
    created_at = serializers.DateTimeField(read_only=True)
    effective_date = serializers.DateField(read_only=True)
    reason = serializers.CharField(read_only=True)
    status = serializers.CharField(read_only=True)
    start_date = serializers.DateField(read_only=True)
    end_date = serializers.DateField(read_only=True, allow_null=True)
    changes = serializers.ListField(child=serializers.CharField(), read_only=True)
    warnings = WarningSerializer(many=True, read_only=True)

    def get_author_name(self, revision: PlanRevision) -> str | None:
        return revision.author.display_name if revision.author is not None else None


class TemplateItemSerializer(ItemDoseSerializer):
    pass


class TemplateSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    slug = serializers.CharField(read_only=True)
    condition = serializers.CharField(read_only=True)
    phase = serializers.IntegerField(read_only=True, allow_null=True)
    description = serializers.CharField(read_only=True)
    progression_criteria = serializers.CharField(read_only=True)
    organization = serializers.IntegerField(
        source="organization_id", read_only=True, allow_null=True
    )
    is_global = serializers.SerializerMethodField()
    is_active = serializers.BooleanField(read_only=True)
    items = TemplateItemSerializer(many=True, read_only=True)
    estimated_minutes = serializers.SerializerMethodField()
    lessons = serializers.SerializerMethodField(
        help_text="Suggested lesson ids: a plan made from the template starts with them."
    )

    def get_is_global(self, template: PlanTemplate) -> bool:
        return template.organization_id is None

    def get_estimated_minutes(self, template: PlanTemplate) -> float:
        return estimate_minutes(template.items.all())

    @extend_schema_field(serializers.ListField(child=serializers.IntegerField()))
    def get_lessons(self, template: PlanTemplate) -> list[int]:
        chosen = [lesson for lesson in template.suggested_lessons.all() if lesson.is_active]
        return [lesson.pk for lesson in sorted(chosen, key=lambda x: (x.order, x.pk))]


class TemplateCreateSerializer(InputSerializer):
    read_from = "programs.api.plans.TemplateSerializer"

    name = serializers.CharField(max_length=max_length(PlanTemplate, "name"))
    condition = serializers.ChoiceField(choices=Condition.choices)
    phase = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=9)
    description = serializers.CharField(required=False, allow_blank=True, max_length=4000)
    progression_criteria = serializers.CharField(
        required=False, allow_blank=True, max_length=4000, help_text="When to move on."
    )
    items = ItemsField()


# --- helpers --------------------------------------------------------------------------------


def _writer_only(request: Request) -> None:
    """Plans exist for members and staff, but only a PT writes them."""
    role = getattr(request.user, "role", None)
    if role == Role.MEMBER:
        raise PermissionDenied("Your plan is written by your physical therapist: ask them.")
    if role == Role.STAFF:
        raise PermissionDenied("Plans are written by the member's PT; staff use the admin.")
    only_roles(request, Role.THERAPIST)


def _query_int(request: Request, name: str) -> int | None:
    # A parameter given empty is bad input, not an absent one.
    return query_int(request.query_params, name)


# --- templates ------------------------------------------------------------------------------


class PlanTemplateViewSet(viewsets.GenericViewSet[PlanTemplate]):
    """GET (PT, staff): the global templates and the PT's organization's own, with items.
    POST (PT): `{"name", "condition", "phase"?, "description"?, "items": [...]}` makes one for
    the PT's organization. Filter `condition`."""

    serializer_class = TemplateSerializer
    queryset = PlanTemplate.objects.none()
    filter_backends = ()

    def get_queryset(self) -> QuerySet[PlanTemplate]:
        return selectors.api_templates(self.request.user)

    @extend_schema(parameters=[OpenApiParameter("condition", str, enum=Condition.values)])
    def list(self, request: Request) -> Response:
        only_roles(request, *access.TEMPLATE_READERS)
        qs = self.get_queryset()
        if getattr(request.user, "role", None) != Role.STAFF:
            qs = qs.filter(is_active=True)
        condition = query_choice(request.query_params, "condition", Condition.values)
        if condition is not None:
            qs = qs.filter(condition=condition)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(TemplateSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *access.TEMPLATE_READERS)
        return Response(TemplateSerializer(self.get_object()).data)

    @extend_schema(request=TemplateCreateSerializer, responses={201: TemplateSerializer})
    def create(self, request: Request) -> Response:
        only_roles(request, Role.THERAPIST)
        form = TemplateCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        template = services.create_template(
            user=request.user,  # type: ignore[arg-type]
            name=data["name"],
            condition=data["condition"],
            phase=data.get("phase"),
            description=data.get("description", ""),
            progression_criteria=data.get("progression_criteria", ""),
            items=data["items"],
        )
        template = self.get_queryset().get(pk=template.pk)
        return Response(TemplateSerializer(template).data, status=status.HTTP_201_CREATED)


# --- plans ----------------------------------------------------------------------------------


# On the HttpRequest: the plan whose read fast_read audited (with its access check).
AUDITED_PLAN_READ = "_audited_plan_read"


def _plan_read(
    plan_id: int, revision: int | None, member_id: int, organization_id: int | None
) -> dict[str, Any]:
    """The read cache's name, parts and scopes of a plan. The same for every reader allowed to
    see it (access is checked before): its member's version changes with every revision, item,
    status or profile change, the library's with the exercises' names, the organization's
    people with the names shown."""
    return {
        "name": "plan",
        "parts": (plan_id, revision),
        "scopes": [
            f"member:{member_id}",
            f"people:{organization_id}",
            *readcache.library_scopes(organization_id),
        ],
    }


class PlanViewSet(FastReadMixin, viewsets.GenericViewSet[Plan]):
    """GET: a member's own plans, a PT's caseload's (filters `member`, `status`); detail with
    `?revision=N` shows the items in force at that revision. POST (PT): a plan and its revision
    1. PATCH (PT): a new revision, `reason` required; `items` is the whole new list."""

    serializer_class = PlanSerializer
    queryset = Plan.objects.none()
    filter_backends = ()
    fast_actions = ("retrieve",)

    def get_queryset(self) -> QuerySet[Plan]:
        return selectors.api_plans(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("member", int),
            OpenApiParameter("status", str, enum=PlanStatus.values),
        ]
    )
    def list(self, request: Request) -> Response:
        only_roles(request, *access.PLAN_READERS)
        qs = self.get_queryset()
        member_id = _query_int(request, "member")
        if member_id is not None:
            qs = qs.filter(member_id=member_id)
        plan_status = query_choice(request.query_params, "status", PlanStatus.values)
        if plan_status is not None:
            qs = qs.filter(status=plan_status)
        page = self.paginate_queryset(qs.prefetch_related(selectors.items_prefetch()))
        plans = [selectors.decorate(plan) for plan in (page or [])]
        audit.record_read_by_staff(
            request=request, member_id=member_id, object_type="programs.plan_list"
        )
        return self.get_paginated_response(PlanSerializer(plans, many=True).data)

    @extend_schema(parameters=[OpenApiParameter("revision", int)])
    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *access.PLAN_READERS)
        revision = _query_int(request, "revision")
        # Who may read it, in one narrow query (the plan's whole row and its names are read
        # only when the answer is not in the cache): 404 when not visible, as get_object did.
        found = access.visible_plan_row(request.user, parse_int(pk) or 0)
        if found is None:
            raise NotFound()
        member_id, organization_id, revisions = found
        if revision is not None and not 1 <= revision <= revisions:
            raise serializers.ValidationError(
                {"revision": [f"This plan has revisions 1 to {revisions}."]}
            )
        # Audited before the cache is asked: a 304 or a cached answer is a read all the same.
        plan_ref = Plan(pk=int(pk or 0), member_id=member_id, organization_id=organization_id)
        if getattr(request._request, AUDITED_PLAN_READ, None) != plan_ref.pk:
            audit.record_read_by_staff(request=request, member_id=member_id, obj=plan_ref)
        read = _plan_read(plan_ref.pk, revision, member_id, organization_id)

        def build() -> Any:
            plan = self.get_queryset().get(pk=plan_ref.pk)
            prefetch_related_objects([plan], selectors.items_prefetch(revision))
            return PlanSerializer(selectors.decorate(plan, revision)).data

        return readcache.cached_json(request, **read, build=build)  # type: ignore[return-value]

    def fast_read(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse | None:
        # The latest revision only (no query), as retrieve() reads it: the same access check;
        # the audit row once the answer is known to be in the cache (else retrieve() writes it).
        if request.META.get("QUERY_STRING"):
            return None
        if getattr(user, "role", None) not in access.PLAN_READERS:
            return None
        plan_id = parse_int(kwargs.get("pk"))
        if plan_id is None:
            return None
        # The access check and the audit row of the read in one statement; retrieve() does
        # not write the row again when the answer is not in the cache.
        found = access.visible_plan_row(user, plan_id, audit_request=request)
        if found is None:
            return None
        setattr(request, AUDITED_PLAN_READ, plan_id)
        member_id, organization_id, _ = found
        return readcache.stored_answer(
            request, **_plan_read(plan_id, None, member_id, organization_id)
        )

    @extend_schema(request=PlanCreateSerializer, responses={201: PlanSerializer})
    def create(self, request: Request) -> Response:
        _writer_only(request)
        form = PlanCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        try:
            result = services.create_plan(
                user=request.user,  # type: ignore[arg-type]
                member_id=data["member"],
                title=data["title"],
                start_date=data["start_date"],
                end_date=data.get("end_date"),
                goals=data.get("goals", ""),
                note_to_member=data.get("note_to_member", ""),
                status=data.get("status", PlanStatus.DRAFT),
                template_id=data.get("template"),
                items=data.get("items"),
                reason=data.get("reason", ""),
                lessons=data.get("lessons"),
            )
        except services.PlanConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response(
            _plan_answer(selectors.written_plan(result)), status=status.HTTP_201_CREATED
        )

    @extend_schema(request=PlanPatchSerializer, responses=PlanSerializer)
    def partial_update(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *access.PLAN_READERS)
        plan = self.get_object()
        _writer_only(request)
        form = PlanPatchSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        reason = data.pop("reason")
        try:
            result = services.revise_plan(
                user=request.user,  # type: ignore[arg-type]
                plan=plan,
                reason=reason,
                **data,
            )
        except services.PlanConflict as exc:
            raise Conflict(str(exc)) from exc
        return Response(_fresh(result.plan.pk))

    @extend_schema(request=PlanPreviewSerializer, responses=PlanPreviewResultSerializer)
    @action(detail=False, methods=["post"])
    def preview(self, request: Request) -> Response:
        """The warnings and estimated session time these items would have, saving nothing: the
        plan builder asks as the PT edits. 400 names the field, as a save would."""
        _writer_only(request)
        form = PlanPreviewSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        preview = services.preview_items(
            user=request.user,  # type: ignore[arg-type]
            member_id=data["member"],
            raw_items=data["items"],
            plan_id=data.get("plan"),
        )
        return Response(asdict(preview))

    @extend_schema(responses=RevisionSerializer(many=True))
    @action(detail=True, methods=["get"])
    def revisions(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *access.PLAN_READERS)
        plan = self.get_object()
        qs = plan.revisions.select_related("author").order_by("-number")
        paginator = Pagination()
        page = paginator.paginate_queryset(qs, request, view=self)
        audit.record_read_by_staff(
            request=request, member_id=plan.member_id, object_type="programs.planrevision_list"
        )
        return paginator.get_paginated_response(RevisionSerializer(page, many=True).data)


_serializers = threading.local()


def _plan_answer(plan: Plan) -> dict[str, Any]:
    """`PlanSerializer(plan).data`, through one serializer per thread: DRF deep-copies every
    declared field (the items' and their exercises' too) for each new serializer, which cost
    as much as writing them out. Representing a plan keeps no state in the serializer."""
    serializer = getattr(_serializers, "plan", None)
    if serializer is None:
        serializer = _serializers.plan = PlanSerializer()
    return serializer.to_representation(plan)


def _fresh(pk: int) -> dict[str, Any]:
    """A plan just written, as the API answers it."""
    return PlanSerializer(selectors.api_plan(pk)).data


# --- handout --------------------------------------------------------------------------------


class PDFRenderer(BaseRenderer):
    """Lets `Accept: application/pdf` through content negotiation; errors stay JSON."""

    media_type = "application/pdf"
    format = "pdf"
    charset = None
    render_style = "binary"

    def render(
        self, data: Any, accepted_media_type: Any = None, renderer_context: Any = None
    ) -> bytes:
        if isinstance(data, bytes):
            return data
        return JSONRenderer().render(data)


def _therapist_line(plan: Plan) -> str:
    """The PT the member calls: the plan's author, else the member's primary PT today."""
    therapist = plan.author or access.primary_therapist(plan.member_id)
    if therapist is None:
        return f"Questions? Call {plan.organization.name}" + (
            f" at {plan.organization.contact_phone}." if plan.organization.contact_phone else "."
        )
    contact = [c for c in (therapist.contact_phone, therapist.contact_email) if c]
    if not contact and plan.organization.contact_phone:
        contact = [plan.organization.contact_phone]
    line = f"Your physical therapist: {therapist}"
    return line + (f". {' · '.join(contact)}" if contact else "")


class PlanHandoutView(APIView):
    """`GET /api/v1/plans/{id}/handout.pdf`: the plan as a printable PDF with pictures, for the
    member and their PT (staff too, audited); 404 for anyone else. The items are those in
    force now, in order."""

    renderer_classes = [JSONRenderer, PDFRenderer]
    # Drawing a PDF with pictures costs far more than a JSON answer: a few a minute per user.
    throttle_classes = [UserThrottle, AnonThrottle, ScopedThrottle]
    throttle_scope = "handout"

    @extend_schema(
        operation_id="plans_handout",
        parameters=[OpenApiParameter("format", exclude=True)],
        responses={(200, "application/pdf"): OpenApiTypes.BINARY},
        tags=["plans"],
    )
    def get(self, request: Request, pk: int) -> HttpResponse:
        only_roles(request, *access.PLAN_READERS)
        plan = selectors.handout_plan(request.user, pk)
        if plan is None:
            raise NotFound
        pdf = render_handout(
            plan=plan,
            items=selectors.handout_items(plan),
            therapist_line=_therapist_line(plan),
        )
        audit.record_read_by_staff(request=request, member_id=plan.member_id, obj=plan)
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="plan-{plan.pk}-handout.pdf"'
        response["Cache-Control"] = "private, no-store"
        return response
