"""The members app's pages: today, enrolment and invitations, the caseload, alerts, adherence
and the dashboard, remote monitoring, questionnaires and history, reminder settings and the
inbox."""

from django.urls import path

from .views import (
    accept,
    account,
    adherence,
    alerts,
    caseload,
    discharge,
    history,
    invitations,
    people,
    questionnaires,
    reminders,
    rtm,
    today,
    walks,
)

urlpatterns = [
    path("today/", today.today, name="today"),
    path("walks/", walks.walks_page, name="walks"),
    path("symptoms/", walks.symptoms_page, name="symptoms"),
    # Enrolment and invitations (PT, coordinator); the link's page (anyone with it); first run.
    path("members/new/", invitations.enrol, name="member-enrol"),
    path("invitations/", invitations.invitation_list, name="invitations"),
    path("invitations/staff/new/", invitations.invite_staff, name="invite-staff"),
    path("invitations/<int:pk>/", invitations.invitation_page, name="invitation-page"),
    path(
        "invitations/<int:pk>/<slug:action>/",
        invitations.invitation_action,
        name="invitation-action",
    ),
    path("invite/<str:token>/", accept.accept, name="invite-accept"),
    path("welcome/", accept.welcome, name="welcome"),
    path("caseload/", caseload.caseload, name="caseload"),
    path(
        "caseload/alerts/<int:pk>/<slug:action>/",
        alerts.alert_action,
        name="alert-action",
    ),
    path("dashboard/", adherence.dashboard, name="dashboard"),
    path(
        "members/<int:member_id>/adherence/",
        adherence.member_adherence,
        name="member-adherence",
    ),
    path(
        "members/<int:member_id>/adherence/review-time/",
        adherence.member_review_time,
        name="member-review-time-page",
    ),
    path(
        "members/<int:member_id>/adherence/monitoring/",
        adherence.member_monitoring_start,
        name="member-monitoring-page",
    ),
    path("members/<int:member_id>/discharge/", discharge.discharge_page, name="member-discharge"),
    path("members/<int:member_id>/enrol-again/", discharge.enrol_again, name="member-enrol-again"),
    path("reports/rtm/", rtm.rtm_report, name="rtm-report"),
    path("questionnaires/", questionnaires.questionnaires, name="questionnaires"),
    path(
        "questionnaires/results/<int:pk>/",
        questionnaires.questionnaire_result,
        name="questionnaire-result",
    ),
    path(
        "questionnaires/<slug:instrument>/",
        questionnaires.questionnaire,
        name="questionnaire",
    ),
    path("history/", history.member_history, name="history"),
    path(
        "members/<int:member_id>/history/",
        history.member_history_for_staff,
        name="member-history",
    ),
    # Reminder pages: names differ from the API router's (notification-read) so that reverse()
    # finds the page.
    path("settings/reminders/", reminders.reminder_settings, name="reminder-settings"),
    path(
        "settings/reminders/quiet-hours/",
        reminders.reminder_preferences,
        name="reminder-settings-quiet-hours",
    ),
    path(
        "settings/reminders/<int:pk>/",
        reminders.reminder_update,
        name="reminder-settings-update",
    ),
    path(
        "settings/reminders/<int:pk>/delete/",
        reminders.reminder_delete,
        name="reminder-settings-delete",
    ),
    # Own account and password (every role), forgotten password (signed out).
    path("settings/account/", account.account_settings, name="account-settings"),
    path("settings/password/", account.password_change, name="password-change"),
    path("password/reset/", account.password_reset, name="password-reset"),
    path(
        "password/reset/<str:token>/",
        account.password_reset_confirm,
        name="password-reset-confirm",
    ),
    # The coordinator's people page: staff and the care team; the CSV import.
    path("people/", people.people, name="people"),
    path("people/import/", people.import_page, name="people-import"),
    path("people/import/<int:pk>/", people.import_job, name="people-import-job"),
    path("people/staff/<int:pk>/active/", people.staff_active, name="people-staff-active"),
    path("people/members/<int:member_id>/assign/", people.assign, name="people-assign"),
    path(
        "people/assignments/<int:pk>/<slug:action>/",
        people.assignment_action,
        name="people-assignment",
    ),
    path("notifications/", reminders.inbox, name="inbox"),
    path("notifications/read-all/", reminders.notifications_read_all, name="inbox-read-all"),
    path("notifications/<int:pk>/read/", reminders.notification_read, name="inbox-read"),
    path("notifications/<int:pk>/dismiss/", reminders.notification_dismiss, name="inbox-dismiss"),
]
