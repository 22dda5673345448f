"""Routes of the members app's API (v1): one module per resource."""

from django.urls import path
from rest_framework.routers import SimpleRouter
from rest_framework_simplejwt.views import TokenRefreshView

from . import (
    adherence,
    alerts,
    assessment_schedules,
    assessments,
    auth,
    care_team,
    discharge,
    instruments,
    invitations,
    me,
    members,
    monitoring,
    notifications,
    password,
    reminders,
    rtm,
    sessions,
    today,
    walks,
)

router = SimpleRouter()
router.register("members", members.MemberViewSet, basename="member")
router.register("invitations", invitations.InvitationViewSet, basename="invitation")
router.register("assessments", assessments.AssessmentViewSet, basename="assessment")
router.register(
    "assessment-schedules",
    assessment_schedules.AssessmentScheduleViewSet,
    basename="assessment-schedule",
)
router.register("sessions", sessions.SessionViewSet, basename="session")
router.register("alerts", alerts.AlertViewSet, basename="alert")
router.register("reminders", reminders.ReminderViewSet, basename="reminder")
router.register("notifications", notifications.NotificationViewSet, basename="notification")
router.register("care-assignments", care_team.CareAssignmentViewSet, basename="care-assignment")
router.register("staff", care_team.StaffViewSet, basename="staff")
router.register("walks", walks.WalkViewSet, basename="walk")
router.register("symptom-checks", walks.SymptomCheckViewSet, basename="symptom-check")

urlpatterns = [
    path("auth/token/", auth.TokenView.as_view(), name="token"),
    path("auth/token/refresh/", TokenRefreshView.as_view(), name="token-refresh"),
    path("auth/logout/", auth.LogoutView.as_view(), name="api-logout"),
    path(
        "auth/password/change/",
        password.PasswordChangeView.as_view(),
        name="api-password-change",
    ),
    path("auth/password/reset/", password.PasswordResetView.as_view(), name="api-password-reset"),
    path(
        "auth/password/reset/confirm/",
        password.PasswordResetConfirmView.as_view(),
        name="api-password-reset-confirm",
    ),
    path("me/", me.MeView.as_view(), name="me"),
    path(
        "members/<int:pk>/discharge/",
        discharge.DischargeView.as_view(),
        name="api-member-discharge",
    ),
    path(
        "members/<int:pk>/enrol-again/",
        discharge.EnrolAgainView.as_view(),
        name="api-member-enrol-again",
    ),
    # Before the router's invitations/{id}/.
    path(
        "invitations/accept/",
        invitations.AcceptInvitationView.as_view(),
        name="invitation-accept",
    ),
    path("today/", today.TodayView.as_view(), name="api-today"),
    path("instruments/", instruments.InstrumentListView.as_view(), name="instrument-list"),
    path(
        "instruments/<str:code>/",
        instruments.InstrumentDetailView.as_view(),
        name="instrument-detail",
    ),
    path(
        "members/<int:member_id>/monitoring/",
        monitoring.MonitoringViewSet.as_view({"get": "list", "post": "create"}),
        name="member-monitoring",
    ),
    path(
        "members/<int:member_id>/review-time/",
        monitoring.ReviewTimeViewSet.as_view({"get": "list", "post": "create"}),
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
