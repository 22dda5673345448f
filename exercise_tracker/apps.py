"""App config for the project package (it owns the audit log and cross-cutting models)."""

from django.apps import AppConfig


class ExerciseTrackerConfig(AppConfig):
    name = "exercise_tracker"
    verbose_name = "Service"

    def ready(self) -> None:
        from . import audit, checks, read_versions  # noqa: F401  (login signal receivers; system checks)

        read_versions.connect()  # writes bump the read cache's versions
