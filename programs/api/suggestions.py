"""`/api/v1/suggestions/`: progression suggestions for the PTs of a member's care team, with
the rule and the evidence; accept (one plan revision, the reason taken from the rule) or
dismiss (with a reason). Members and coordinators have none (404); staff read them."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.request import Request
from rest_framework.response import Response

from exercise_tracker import access, audit
from exercise_tracker.api import (
    NO_MEMBER,
    Conflict,
    Pagination,
    audited_page,
    only_roles,
    query_choice,
    query_object,
)
from exercise_tracker.inputs import InputSerializer, max_length
from members.models import Role
from programs.models import ProgressionSuggestion, SuggestionRule, SuggestionStatus
from programs.selectors.suggestions import suggestions_for
from programs.services import suggestions as services

READERS = (Role.THERAPIST, Role.STAFF)


class BriefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class EvidenceEntrySerializer(serializers.Serializer[Any]):
    session = serializers.IntegerField()
    entry = serializers.IntegerField()
    date = serializers.DateField()
    feedback = serializers.CharField(allow_blank=True)
    pain = serializers.IntegerField(allow_null=True, help_text="During the exercise, if given.")
    session_pain = serializers.IntegerField(allow_null=True, help_text="The session's pain after.")
    sets_done = serializers.IntegerField(allow_null=True)
    reps_done = serializers.IntegerField(allow_null=True)


class EvidenceSerializer(serializers.Serializer[Any]):
    trigger = serializers.CharField()
    entries = EvidenceEntrySerializer(many=True)
    baseline = serializers.DictField(allow_null=True)


class SuggestionSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    member = serializers.IntegerField()
    member_name = serializers.CharField()
    plan = serializers.IntegerField()
    plan_item = serializers.IntegerField()
    plan_revision = serializers.IntegerField()
    exercise = BriefSerializer()
    rule = serializers.ChoiceField(choices=SuggestionRule.choices)
    rule_label = serializers.CharField()
    status = serializers.ChoiceField(choices=SuggestionStatus.choices)
    summary = serializers.CharField(help_text="One line a PT reads: the finding and the change.")
    proposal = serializers.DictField()
    evidence = EvidenceSerializer()
    created_at = serializers.DateTimeField()
    decided_at = serializers.DateTimeField(allow_null=True)
    decided_by = serializers.IntegerField(allow_null=True)
    dismiss_reason = serializers.CharField(allow_blank=True)
    revision = serializers.IntegerField(
        allow_null=True, help_text="The revision id accepting made."
    )


def suggestion_data(s: ProgressionSuggestion) -> dict[str, Any]:
    exercise = s.plan_item.exercise
    return {
        "id": s.pk,
        "member": s.member_id,
        "member_name": s.member.user.display_name,
        "plan": s.plan_id,
        "plan_item": s.plan_item_id,
        "plan_revision": s.plan_revision,
        "exercise": {"id": exercise.pk, "name": exercise.name},
        "rule": s.rule,
        "rule_label": SuggestionRule(s.rule).label,
        "status": s.status,
        "summary": s.summary,
        "proposal": s.proposal,
        "evidence": s.evidence,
        "created_at": s.created_at,
        "decided_at": s.decided_at,
        "decided_by": s.decided_by_id,
        "dismiss_reason": s.dismiss_reason,
        "revision": s.revision_id,
    }


class DismissSerializer(InputSerializer):
    read_from = SuggestionSerializer
    reason = serializers.CharField(max_length=max_length(ProgressionSuggestion, "dismiss_reason"))


class SuggestionViewSet(viewsets.GenericViewSet[ProgressionSuggestion]):
    """Suggestions on the PT's caseload: list (pending first), read, accept, dismiss."""

    serializer_class = SuggestionSerializer
    queryset = ProgressionSuggestion.objects.none()
    filter_backends = ()

    def get_queryset(self) -> QuerySet[ProgressionSuggestion]:
        return suggestions_for(self.request.user)

    @extend_schema(
        parameters=[
            OpenApiParameter("member", int, description="One member's suggestions"),
            OpenApiParameter("status", str, enum=SuggestionStatus.values),
            OpenApiParameter("rule", str, enum=SuggestionRule.values),
        ]
    )
    def list(self, request: Request) -> Response:
        only_roles(request, *READERS)
        Pagination().check_params(request)  # `?page=` (empty) is a 400, not the first page
        qs = self.get_queryset()
        member = query_object(
            access.visible_members(request.user), request.query_params, "member", NO_MEMBER
        )
        if member is not None:
            qs = qs.filter(member=member)
        for name, choices in (("status", SuggestionStatus.values), ("rule", SuggestionRule.values)):
            value = query_choice(request.query_params, name, choices)
            if value is not None:
                qs = qs.filter(**{name: value})
        return audited_page(
            self,
            request,
            qs,
            member=member,
            object_type="programs.suggestion_list",
            render=suggestion_data,
        )

    def retrieve(self, request: Request, pk: str | None = None) -> Response:
        only_roles(request, *READERS)
        suggestion = self.get_object()
        audit.record_read_by_staff(request=request, member_id=suggestion.member_id, obj=suggestion)
        return Response(suggestion_data(suggestion))

    def _writer(self, request: Request) -> ProgressionSuggestion:
        only_roles(request, *READERS)
        suggestion = self.get_object()
        if getattr(request.user, "role", None) != Role.THERAPIST:
            raise PermissionDenied("PTs of the member's care team decide on suggestions.")
        return suggestion

    def _fresh(self, pk: int) -> Response:
        return Response(suggestion_data(self.get_queryset().get(pk=pk)))

    @extend_schema(request=None, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def accept(self, request: Request, pk: str | None = None) -> Response:
        """One tap: the plan revision the suggestion proposes, its reason from the rule. 409
        when it is no longer pending, or when the plan was revised since (then it is closed)."""
        suggestion = self._writer(request)
        try:
            services.accept_suggestion(user=request.user, suggestion=suggestion)  # type: ignore[arg-type]
        except services.StaleSuggestion as exc:
            services.close_stale(suggestion=suggestion)
            raise Conflict(
                f"{exc} It is closed; the rules look again at the plan as it is."
            ) from exc
        except services.SuggestionConflict as exc:
            raise Conflict(str(exc)) from exc
        return self._fresh(suggestion.pk)

    @extend_schema(request=DismissSerializer, responses=SuggestionSerializer)
    @action(detail=True, methods=["post"])
    def dismiss(self, request: Request, pk: str | None = None) -> Response:
        suggestion = self._writer(request)
        form = DismissSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        try:
            services.dismiss_suggestion(
                user=request.user,  # type: ignore[arg-type]
                suggestion=suggestion,
                reason=form.validated_data["reason"],
            )
        except services.SuggestionConflict as exc:
            raise Conflict(str(exc)) from exc
        return self._fresh(suggestion.pk)
