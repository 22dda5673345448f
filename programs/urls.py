"""Pages of the programs app: the library browser, exercise pages, plan builder."""

from django.urls import path  # noqa: F401

app_name = "programs"

urlpatterns: list = []
