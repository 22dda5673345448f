"""Reminder pages: the member's reminder settings and every user's inbox. (Names differ from
the API router's, such as notification-read, so that reverse() finds the page.)"""

from django.urls import path

from . import views_reminders as views

urlpatterns = [
    path("settings/reminders/", views.reminder_settings, name="reminder-settings"),
    path(
        "settings/reminders/quiet-hours/",
        views.reminder_preferences,
        name="reminder-settings-quiet-hours",
    ),
    path("settings/reminders/<int:pk>/", views.reminder_update, name="reminder-settings-update"),
    path(
        "settings/reminders/<int:pk>/delete/",
        views.reminder_delete,
        name="reminder-settings-delete",
    ),
    path("notifications/", views.inbox, name="inbox"),
    path("notifications/read-all/", views.notifications_read_all, name="inbox-read-all"),
    path("notifications/<int:pk>/read/", views.notification_read, name="inbox-read"),
    path("notifications/<int:pk>/dismiss/", views.notification_dismiss, name="inbox-dismiss"),
]
