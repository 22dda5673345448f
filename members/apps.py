"""Organizations, people and roles, care assignments; later logs, outcomes, reminders."""

from django.apps import AppConfig


class MembersConfig(AppConfig):
    name = "members"
    verbose_name = "Members and organizations"

    def ready(self) -> None:
        from members import signals

        signals.connect()
