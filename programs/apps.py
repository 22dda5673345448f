"""The exercise library, plan templates, plans and their revisions, handouts, images."""

from django.apps import AppConfig


class ProgramsConfig(AppConfig):
    name = "programs"
    verbose_name = "Programs and library"

    def ready(self) -> None:
        # A new image's thumbnails are made by a task; the service is handed the queue here,
        # so that services never import the tasks that call them.
        from programs import tasks
        from programs.services import images

        images.set_thumbnail_queue(tasks.queue_thumbnails)
