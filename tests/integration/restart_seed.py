"""Readies the private cluster of test_postgres_restart.py as a deployment would (migrate), then
seeds a clinic, a PT and members, each with an active plan of three exercises, written through
the services like the rest of the suite (one process: Django starts once). Run as
`python -m tests.integration.restart_seed N` with the server's environment; prints JSON: per
member its access token, a signed-in page session and its plan item ids."""

from __future__ import annotations

import json
import sys


def main(count: int) -> None:
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore
    from rest_framework_simplejwt.tokens import RefreshToken

    from tests import factories
    from tests.members.sessions_helpers import local_today, plan_with_items

    org = factories.OrganizationFactory.create(name="Restart Clinic")
    pt = factories.TherapistFactory.create(user__organization=org, user__username="restart_pt")
    members = []
    for n in range(count):
        member = factories.MemberFactory.create(
            user__organization=org, user__username=f"restart_member{n}"
        )
        factories.CareAssignmentFactory.create(member=member, therapist=pt)
        _, items = plan_with_items(pt=pt, member=member, n=3)
        page = SessionStore()
        page[SESSION_KEY] = str(member.user.pk)
        page[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[1]
        page[HASH_SESSION_KEY] = member.user.get_session_auth_hash()
        page.create()
        members.append(
            {
                "id": member.pk,
                "token": str(RefreshToken.for_user(member.user).access_token),
                "session_cookie": f"{settings.SESSION_COOKIE_NAME}={page.session_key}",
                "items": [i.pk for i in items],
                "today": local_today(member).isoformat(),
            }
        )
    print(json.dumps({"members": members}))


if __name__ == "__main__":
    main(int(sys.argv[1]))
