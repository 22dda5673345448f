"""Routes of the reminders API (v1): /reminders/ and /notifications/."""

from rest_framework.routers import SimpleRouter

from .reminders import NotificationViewSet, ReminderViewSet

router = SimpleRouter()
router.register("reminders", ReminderViewSet, basename="reminder")
router.register("notifications", NotificationViewSet, basename="notification")

urlpatterns = router.urls
