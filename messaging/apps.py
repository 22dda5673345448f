"""Secure two-way messaging between a member and their care team (threads, messages, read
markers, delayed notices, reply templates, the clinic's working hours)."""

from django.apps import AppConfig


class MessagingConfig(AppConfig):
    name = "messaging"
    verbose_name = "Messaging"

    def ready(self) -> None:
        # A picture's thumbnails are made by a task; the service is handed the queue here so that
        # services never import the tasks that call them (as programs.apps does).
        from messaging import tasks
        from messaging.services import messages

        messages.set_thumbnail_queue(tasks.queue_message_thumbnails)
