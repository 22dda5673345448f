"""The Celery app: configured from Django settings (CELERY_*), tasks found in every app."""

import os
from typing import Any

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "exercise_tracker.settings")

app = Celery("exercise_tracker")


@app.on_configure.connect
def _from_django_settings(sender: Celery, **kwargs: Any) -> None:
    """Celery's configuration is Django's CELERY_* settings, read into a dict when Celery first
    needs them (Django's settings are loaded by then). Given Django's settings object itself
    (`config_from_object("django.conf:settings")`), Celery looks every key up on it under
    three or four names, each miss raising AttributeError inside Django's lazy settings: about
    a sixth of the CPU of queueing one task (bench: a session POST queues one). Later changes go
    through `app.conf` as before (`app.conf.update(...)`)."""
    from django.conf import settings

    values = {name: getattr(settings, name) for name in dir(settings) if name.startswith("CELERY_")}
    sender.config_from_object(values, namespace="CELERY")


app.autodiscover_tasks()
