"""The project's URLs plus uploaded media, for the live server (Django serves media only with
DEBUG on, and live servers run with it off)."""

from django.conf import settings
from django.urls import re_path
from django.views.static import serve

from exercise_tracker.urls import *  # noqa: F403
from exercise_tracker.urls import urlpatterns as project_urlpatterns

urlpatterns = [
    *project_urlpatterns,
    re_path(r"^media/(?P<path>.*)$", serve, {"document_root": settings.MEDIA_ROOT}),
]
