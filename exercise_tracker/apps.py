"""App config for the project package (it owns the audit log and cross-cutting models)."""

from django.apps import AppConfig


class ExerciseTrackerConfig(AppConfig):
    name = "exercise_tracker"
    verbose_name = "Service"

    def ready(self) -> None:
        from . import audit  # noqa: F401  (connects the login signal receivers)
