"""What `make bench` measures: each scenario is compared with its baseline in the same run.

To add one, append a Scenario: a name, the path, the user whose Bearer token it sends (None for
anonymous), and for writes a method and body (or a wrk Lua `request` function for bodies that
must differ per request, such as POST /api/v1/sessions/ with a fresh client_id).

Paths and bodies may name ids of the seeded demo data, filled in when the run starts (see
`bench/inside.py:facts`): `{member_id}` (demo_member), `{plan_id}` (their active plan),
`{template_id}` (a global template), and `{today}`; the session POST names up to 16 members of
the demo organization with exercises due (`{session_members_lua}`: a Lua table of their access
token, local date and entries; `{first_session_token}` and the like: the first one's); messaging
adds `{thread_id}` (demo_member's
conversation), `{poll_member_id}` (another member of demo_pt's, whose conversation no scenario
writes to), `{pt_session}` (a session cookie of demo_pt's, for the pages) and
`{poll_thread_etag}` (the ETag of that conversation). Header values may name them too.
"""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Scenario:
    name: str
    path: str
    method: str = "GET"
    as_user: str | None = None  # username whose access token is sent as Bearer
    headers: dict[str, str] = field(default_factory=dict)
    body: str | None = None
    lua: str | None = None  # a full wrk script; overrides method, headers and body
    baseline: str | None = None  # name of the scenario this one is divided by
    target: float | None = None  # the ratio to baseline this scenario should reach
    expect_status: int = 200
    # The name of a scenario this one should be faster than (its req/s, in the same run).
    above: str | None = None
    peer: bool = False  # answered by the peer's server (bench/wger_peer.py), not ours


BARE = Scenario(name="bare Django JSON view", path="/bench/bare/")
# The writes' yardstick: a bare Django view inserting one row in a transaction.
INSERT = Scenario(
    name="bare Django insert (one row, a transaction)",
    path="/bench/insert/",
    method="POST",
    body="{{}}",
    expect_status=201,
)
# The open peer's cached exercise list (wger's cache_page, local memory per process), run when
# the bench is given a Python with wger (WGER_PYTHON; bench/wger_peer.md); anonymous, as wger's
# exercise API allows.
WGER_LIST = Scenario(
    name="wger: GET /api/v2/exerciseinfo/?limit=20",
    path="/api/v2/exerciseinfo/?limit=20",
    baseline=BARE.name,
    peer=True,
)


def _sessions_lua(members: str, variant: str) -> str:
    """A wrk script posting sessions for `members` (a Lua table of {authorization, local date,
    entries as JSON}) in turn, each with a new client_id (`variant` tells one scenario's from
    another's, whatever second each started in)."""
    return (
        'wrk.method = "POST"\n'
        "math.randomseed(os.time())\n"
        "local run = math.random(0, 2147483646)\n"
        f"local members = {members}\n"
        "local n = 0\n"
        "request = function()\n"
        "  n = n + 1\n"
        "  local member = members[n % #members + 1]\n"
        f'  local id = string.format("%08x-0000-4000-{variant}-%012x", run, n)\n'
        '  local body = \'{{"client_id": "\' .. id\n'
        '    .. \'", "date": "\' .. member[2] .. \'", \'\n'
        '    .. \'"status": "completed", "pain_before": 3, "pain_after": 2, "rpe": 4, \'\n'
        '    .. \'"notes": "Bench session", "entries": \' .. member[3] .. \'}}\'\n'
        "  local headers = {{}}\n"
        '  headers["Authorization"] = member[1]\n'
        '  headers["Content-Type"] = "application/json"\n'
        "  return wrk.format(nil, nil, headers, body)\n"
        "end\n"
    )


SCENARIOS: list[Scenario] = [
    BARE,
    INSERT,
    Scenario(
        name="GET /api/v1/me/",
        path="/api/v1/me/",
        as_user="demo_member",
        baseline=BARE.name,
        target=0.6,
    ),
    # Library (issue 3): a PT's first page of cards, and a search, against the bare view.
    Scenario(
        name="GET /api/v1/exercises/",
        path="/api/v1/exercises/",
        as_user="demo_pt",
        baseline=BARE.name,
        target=0.5,
        above=WGER_LIST.name,
    ),
    # The same first page asked again by a client holding it (If-None-Match: its ETag, read
    # from the server when the run starts): answered 304 without a body.
    Scenario(
        name="GET /api/v1/exercises/ (304)",
        path="/api/v1/exercises/",
        as_user="demo_pt",
        headers={"If-None-Match": "{etag}"},
        baseline=BARE.name,
        target=0.8,
        expect_status=304,
    ),
    Scenario(
        name="GET /api/v1/exercises/?q=bridge",
        path="/api/v1/exercises/?q=bridge&region=hips",
        as_user="demo_pt",
        baseline=BARE.name,
        target=0.3,
    ),
    # Plans (issue 4): a plan with its items, and a new draft from a template.
    Scenario(
        name="GET /api/v1/plans/{id}/",
        path="/api/v1/plans/{plan_id}/",
        as_user="demo_pt",
        baseline=BARE.name,
        target=0.3,
    ),
    # The member's today (their plan's items due on their local date, what is done, streak).
    Scenario(
        name="GET /api/v1/today/",
        path="/api/v1/today/",
        as_user="demo_member",
        baseline=BARE.name,
        target=0.3,
    ),
    Scenario(
        name="POST /api/v1/plans/ (from a template)",
        path="/api/v1/plans/",
        method="POST",
        as_user="demo_pt",
        body=(
            '{{"member": {member_id}, "title": "Bench draft", "template": {template_id}, '
            '"start_date": "{today}", "status": "draft"}}'
        ),
        baseline=INSERT.name,
        target=0.15,
        expect_status=201,
    ),
    # Logging (issue 5): members' phones post sessions of six exercises (today's, up to six),
    # each with a new client_id (a retry would be answered from the first one); each member's
    # adherence figures are rewritten in the same transaction. The members take turns request by
    # request (up to 16 of the demo organization, so the sessions in flight at one time
    # are different members'). The bench's sessions are deleted afterwards (and the figures
    # rebuilt).
    Scenario(
        name="POST /api/v1/sessions/ (6 entries)",
        path="/api/v1/sessions/",
        method="POST",
        # The answer checked before the rounds, as the first member (no client_id: a new session
        # every time).
        headers={"Authorization": "{first_session_token}"},
        body=(
            '{{"date": "{first_session_date}", "status": "completed", '
            '"notes": "Bench session", "entries": {first_session_entries}}}'
        ),
        lua=_sessions_lua("{session_members_lua}", "8000"),
        baseline=INSERT.name,
        target=0.25,
        expect_status=201,
    ),
    # One member's phone posting from every connection at once: not what a phone does, kept to
    # show the cost of the one lock a member's writes take turns on (their row, held from their
    # figures' write through the commit, so that the figures always equal a rebuild).
    Scenario(
        name="POST /api/v1/sessions/ (one member on every connection)",
        path="/api/v1/sessions/",
        method="POST",
        as_user="demo_member",
        body=(
            '{{"date": "{member_today}", "status": "completed", "notes": "Bench session", '
            '"entries": {entries_json}}}'
        ),
        lua=_sessions_lua("{demo_member_lua}", "a000"),
        baseline=INSERT.name,
        expect_status=201,
    ),
]

# Messaging (issue: secure messaging). An open conversation page asks every
# messaging.selectors.pages.POLL_SECONDS with If-None-Match and is answered 304 while nothing
# changed: the idle cost of every open conversation (run.py also prints its requests and bytes
# a minute). The PT's page is signed in with the session cookie, as a browser is.
MESSAGE_POLL = Scenario(
    name="GET conversation poll (304)",
    path="/messages/members/{poll_member_id}/updates/",
    headers={
        "Cookie": "sessionid={pt_session}",
        "If-None-Match": "{poll_thread_etag}",
        "X-Requested-With": "fetch",
    },
    baseline=BARE.name,
    expect_status=304,
)
SCENARIOS += [
    MESSAGE_POLL,
    # Sending: the member's phone posts a message (a new client_id each time) to the API; the
    # PT's in-app notice and delayed email notice are written in the same transaction. The
    # bench's messages are deleted afterwards.
    Scenario(
        name="POST /api/v1/threads/{id}/messages/",
        path="/api/v1/threads/{thread_id}/messages/",
        method="POST",
        as_user="demo_member",
        body='{{"client_id": "{client_id}", "text": "Bench message"}}',
        lua=(
            'wrk.method = "POST"\n'
            'wrk.headers["Content-Type"] = "application/json"\n'
            "math.randomseed(os.time())\n"
            "local run = math.random(0, 2147483646)\n"
            "local n = 0\n"
            "request = function()\n"
            "  n = n + 1\n"
            '  local id = string.format("%08x-0000-4000-9000-%012x", run, n)\n'
            '  local body = \'{{"client_id": "\' .. id .. \'", "text": "Bench message"}}\'\n'
            "  return wrk.format(nil, nil, nil, body)\n"
            "end\n"
        ),
        baseline=BARE.name,
        expect_status=201,
    ),
]
