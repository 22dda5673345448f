"""The exercise library, plan templates, plans and their revisions, handouts, images."""

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programs and library"
