"""django-axes' database handler, except that a successful sign-in clears only its own account's
failures.

With lockout by username and by address, axes' own reset on success deletes every failure that
matches either: all failures from the signing-in address, other usernames' included. 19 wrong
passwords against a victim, one sign-in to one's own account from the same address, repeat: the
victim would never be locked. Here the success clears the failures recorded against the account
that signed in (from any address); failures against other accounts stay until they expire.
"""

from __future__ import annotations

from typing import Any

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.http import HttpRequest


class AccountResetHandler(AxesDatabaseHandler):
    def reset_user_attempts(
        self, request: HttpRequest, credentials: dict[str, Any] | None = None
    ) -> int:
        username = get_client_username(request, credentials)
        if not username:
            return 0
        count, _ = AccessAttempt.objects.filter(username=username).delete()
        return int(count)
