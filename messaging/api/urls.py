"""Routes of the messaging API (v1)."""

from django.urls import path
from rest_framework.routers import SimpleRouter

from . import views

router = SimpleRouter()
router.register("threads", views.ThreadViewSet, basename="thread")
router.register("messages", views.MessageViewSet, basename="message")
router.register("reply-templates", views.ReplyTemplateViewSet, basename="reply-template")

urlpatterns = [
    path("working-hours/", views.WorkingHoursView.as_view(), name="working-hours"),
    *router.urls,
]
