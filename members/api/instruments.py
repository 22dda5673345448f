"""`/api/v1/instruments/` and `/{code}/`: each questionnaire as data (items and answer wording,
scoring, source and licence), for any signed-in user. A licensed instrument whose wording the
clinic has not loaded comes with `text` null and `"offered": false`."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from members.selectors import instruments as selectors


class OptionSerializer(serializers.Serializer[Any]):
    value = serializers.IntegerField()
    text = serializers.CharField(allow_null=True, help_text="null: licensed wording not loaded.")


class ItemSerializer(serializers.Serializer[Any]):
    number = serializers.IntegerField()
    topic = serializers.CharField(help_text="A short neutral label in our own words.")
    text = serializers.CharField(allow_null=True, help_text="The question; null if not loaded.")
    required = serializers.BooleanField()  # type: ignore[assignment]
    options = OptionSerializer(many=True)


class PartSerializer(serializers.Serializer[Any]):
    key = serializers.CharField()
    kind = serializers.CharField(required=False, help_text='"activities" for PSFS.')
    title = serializers.CharField(allow_blank=True)
    hint = serializers.CharField(allow_blank=True, allow_null=True)
    optional = serializers.BooleanField()
    items = ItemSerializer(many=True)
    min_items = serializers.IntegerField(required=False)
    max_items = serializers.IntegerField(required=False)
    activity_prompt = serializers.CharField(required=False, allow_null=True)
    rating_question = serializers.CharField(required=False, allow_null=True)
    options = OptionSerializer(many=True, required=False)


class InstrumentSerializer(serializers.Serializer[Any]):
    code = serializers.CharField()
    name = serializers.CharField()
    licensed = serializers.BooleanField(help_text="Its wording is under licence.")
    wording_loaded = serializers.BooleanField(help_text="The clinic loaded licensed wording.")
    offered = serializers.BooleanField(help_text="Asked of members (every item worded).")
    source = serializers.CharField()  # type: ignore[assignment]
    licence = serializers.CharField()
    scoring = serializers.DictField()
    intro = serializers.CharField(allow_null=True)
    parts = PartSerializer(many=True)


class InstrumentListView(APIView):
    @extend_schema(responses=InstrumentSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(list(selectors.definitions().values()))


class InstrumentDetailView(APIView):
    @extend_schema(responses=InstrumentSerializer)
    def get(self, request: Request, code: str) -> Response:
        definition = selectors.definition(code)
        if definition is None:
            raise Http404
        return Response(definition)
