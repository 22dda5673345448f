"""Routes of the members app's API (v1)."""

from django.urls import path
from rest_framework.routers import SimpleRouter
from rest_framework_simplejwt.views import TokenRefreshView

from . import adherence, outcomes, rtm, sessions, views

router = SimpleRouter()
router.register("members", views.MemberViewSet, basename="member")
router.register("assessments", outcomes.AssessmentViewSet, basename="assessment")
router.register(
    "assessment-schedules", outcomes.AssessmentScheduleViewSet, basename="assessment-schedule"
)
router.register("sessions", sessions.SessionViewSet, basename="session")
router.register("alerts", sessions.AlertViewSet, basename="alert")

urlpatterns = [
    path("auth/token/", views.TokenView.as_view(), name="token"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", views.LogoutView.as_view(), name="api-logout"),
    path("me/", views.MeView.as_view(), name="me"),
    path("today/", sessions.TodayView.as_view(), name="api-today"),
    path(
        "members/<int:member_id>/monitoring/",
        rtm.MonitoringViewSet.as_view({"get": "list", "post": "create"}),
        name="member-monitoring",
    ),
    path(
        "members/<int:member_id>/review-time/",
        rtm.ReviewTimeViewSet.as_view({"get": "list", "post": "create"}),
        name="member-review-time",
    ),
    path("reports/rtm/", rtm.RtmReportView.as_view(), name="api-rtm-report"),
    path("dashboard/adherence/", adherence.DashboardView.as_view(), name="api-dashboard-adherence"),
    path(
        "members/<int:pk>/adherence/",
        adherence.MemberAdherenceView.as_view(),
        name="api-member-adherence",
    ),
    *router.urls,
]
