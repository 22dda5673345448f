"""Pages of the programs app: the library browser, exercise pages, plan builder."""

from django.urls import path

from .views import lessons, library, plans, suggestions

app_name = "programs"

urlpatterns: list = [
    path("plan/", plans.plan_member, name="plan-member"),
    path("plan/exercises/<int:pk>/", plans.plan_exercise, name="plan-exercise"),
    path("caseload/<int:member_id>/plan/", plans.plan_builder, name="plan-new"),
    path("plans/<int:plan_id>/edit/", plans.plan_builder, name="plan-edit"),
    path(
        "caseload/suggestions/<int:pk>/<slug:action>/",
        suggestions.suggestion_action,
        name="suggestion-action",
    ),
    path("learn/", lessons.learn, name="learn"),
    path("learn/<int:pk>/", lessons.lesson_page, name="lesson"),
    path("library/", library.library, name="library"),
    path("library/<int:pk>/", library.exercise_detail, name="exercise-detail"),
]
