"""The messaging pages (the API's paths are in messaging/api/)."""

from django.urls import path

from .views import conversations, hours

urlpatterns = [
    path("messages/", conversations.conversations, name="conversations"),
    path("messages/members/<int:member_id>/", conversations.conversation, name="conversation"),
    path(
        "messages/members/<int:member_id>/updates/",
        conversations.updates,
        name="conversation-updates",
    ),
    path("messages/members/<int:member_id>/read/", conversations.read, name="conversation-read"),
    path(
        "messages/members/<int:member_id>/withdraw/<int:message_id>/",
        conversations.withdraw,
        name="conversation-withdraw",
    ),
    path(
        "messages/members/<int:member_id>/time/",
        conversations.log_time,
        name="conversation-log-time",
    ),
    path(
        "messages/members/<int:member_id>/templates/",
        conversations.save_template,
        name="conversation-save-template",
    ),
    path(
        "messages/members/<int:member_id>/pictures/<int:message_id>/",
        conversations.picture,
        name="conversation-picture",
    ),
    path("settings/working-hours/", hours.working_hours, name="working-hours-page"),
]
