"""Member pages for outcomes and history: questionnaires, the member's history, a PT's view."""

from django.urls import path

from . import views_adherence, views_alerts, views_history, views_rtm

urlpatterns = [
    path("dashboard/", views_adherence.dashboard, name="dashboard"),
    path(
        "members/<int:member_id>/adherence/",
        views_adherence.member_adherence,
        name="member-adherence",
    ),
    path(
        "members/<int:member_id>/adherence/review-time/",
        views_adherence.member_review_time,
        name="member-review-time-page",
    ),
    path(
        "members/<int:member_id>/adherence/monitoring/",
        views_adherence.member_monitoring_start,
        name="member-monitoring-page",
    ),
    path("reports/rtm/", views_rtm.rtm_report, name="rtm-report"),
    path("questionnaires/", views_history.questionnaires, name="questionnaires"),
    path(
        "questionnaires/results/<int:pk>/",
        views_history.questionnaire_result,
        name="questionnaire-result",
    ),
    path("questionnaires/<slug:instrument>/", views_history.questionnaire, name="questionnaire"),
    path("history/", views_history.member_history, name="history"),
    path(
        "members/<int:member_id>/history/",
        views_history.member_history_for_staff,
        name="member-history",
    ),
    path(
        "caseload/alerts/<int:pk>/<slug:action>/",
        views_alerts.alert_action,
        name="alert-action",
    ),
]
