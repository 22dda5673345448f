"""Pages of the programs app: the library browser, exercise pages, plan builder."""

from django.urls import path

from . import views, views_plans

app_name = "programs"

urlpatterns: list = [
    path("plan/", views_plans.plan_member, name="plan-member"),
    path("caseload/<int:member_id>/plan/", views_plans.plan_builder, name="plan-new"),
    path("plans/<int:plan_id>/edit/", views_plans.plan_builder, name="plan-edit"),
    path("library/", views.library, name="library"),
    path("library/<int:pk>/", views.exercise_detail, name="exercise-detail"),
]
