"""Routes of the programs app's API (v1): library, images, templates, plans."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import images, lessons, plans, suggestions, views

router = SimpleRouter()
router.register("exercises", views.ExerciseViewSet, basename="exercise")
router.register("templates", plans.PlanTemplateViewSet, basename="plan-template")
router.register("plans", plans.PlanViewSet, basename="plan")
router.register("suggestions", suggestions.SuggestionViewSet, basename="suggestion")
router.register("lessons", lessons.LessonViewSet, basename="lesson")

urlpatterns = [
    path("plans/<int:pk>/handout.pdf", plans.PlanHandoutView.as_view(), name="plan-handout"),
    path(
        "exercises/<int:exercise_id>/images/",
        images.ExerciseImageListView.as_view(),
        name="exercise-images",
    ),
    *router.urls,
]
