"""Settings, all read from the environment (12-factor); safe embedded defaults for a laptop."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import django_stubs_ext
import environ
from celery.schedules import crontab
from csp.constants import NONCE, NONE, SELF
from django.core.exceptions import ImproperlyConfigured

# Lets admin and serializer classes be written with type parameters (ModelAdmin[Model]).
django_stubs_ext.monkeypatch()

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("EXERCISE_TRACKER_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

# Production unless told otherwise: DEBUG (tracebacks, a public key, demo accounts) only with
# DJANGO_DEBUG=1, which `make run`, the tests (settings_test) and CI set for themselves.
DEBUG = env.bool("DJANGO_DEBUG", default=False)

DEV_SECRET_KEY = "dev-only-not-secret-" + "x" * 40
# A development key only while DEBUG is on; production refuses to start without a real one
# (it signs sessions, password resets and the API's tokens).
if DEBUG:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default=DEV_SECRET_KEY)
else:
    SECRET_KEY = env.str("DJANGO_SECRET_KEY", default="")
    if (
        not SECRET_KEY
        or SECRET_KEY == DEV_SECRET_KEY
        or SECRET_KEY.startswith(("dev-only", "django-insecure"))
        or len(SECRET_KEY) < 50
        or len(set(SECRET_KEY)) < 5
    ):
        raise ImproperlyConfigured(
            "Set DJANGO_SECRET_KEY to a random value of 50 characters or more "
            "(python -c 'import secrets; print(secrets.token_urlsafe(64))'), "
            "or DJANGO_DEBUG=1 on a development machine."
        )

ALLOWED_HOSTS = env.list(
    "DJANGO_ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"] if DEBUG else []
)
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework_simplejwt.token_blacklist",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",  # Swagger UI's files, served from here rather than a CDN
    "csp",
    "axes",
    "exercise_tracker",
    "members",
    "programs",
    "messaging",
]

MIDDLEWARE = [
    "exercise_tracker.middleware.RequestIdMiddleware",
    "exercise_tracker.audit.RequestContextMiddleware",
    # API reads the read cache answers, before the rest (exercise_tracker/fast_lane.py).
    "exercise_tracker.fast_lane.FastLaneMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside the session and auth middleware: their database errors are a 503 too; the
    # session middleware is Django's with a failed save answered 503 rather than 400.
    "exercise_tracker.unavailable.DatabaseUnavailableMiddleware",
    "exercise_tracker.unavailable.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "exercise_tracker.middleware.DischargedReadOnlyMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "exercise_tracker.middleware.CSPMiddleware",  # django-csp's, API answers' policy built once
    "exercise_tracker.middleware.NoStoreMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "exercise_tracker.urls"
WSGI_APPLICATION = "exercise_tracker.wsgi.application"
ASGI_APPLICATION = "exercise_tracker.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "exercise_tracker.context_processors.navigation",
                "exercise_tracker.context_processors.notifications",
                "exercise_tracker.context_processors.unread_messages",
            ],
        },
    },
]

# --- Database: PostgreSQL in production, a SQLite file on a fresh laptop.
VAR_DIR.mkdir(parents=True, exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'db.sqlite3'}")}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    # Concurrent requests on the embedded default wait their turn instead of failing with
    # "database is locked": WAL lets readers run beside the one writer, every transaction takes
    # the write lock when it begins (BEGIN IMMEDIATE: a reader never has to upgrade, which SQLite
    # refuses without waiting), and a writer waits up to SQLITE_BUSY_SECONDS for the lock.
    _busy_seconds = env.int("SQLITE_BUSY_SECONDS", default=30)
    DATABASES["default"]["OPTIONS"] = {
        "transaction_mode": "IMMEDIATE",
        "timeout": _busy_seconds,
        "init_command": (
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
            f"PRAGMA busy_timeout={_busy_seconds * 1000};"
        ),
        **DATABASES["default"].get("OPTIONS", {}),
    }
    # Covering indexes (`include`) are a PostgreSQL speed-up; SQLite builds the index without
    # the extra columns, which is all the embedded default needs.
    SILENCED_SYSTEM_CHECKS = ["models.W040"]
elif env.bool("DATABASE_PREPARED_STATEMENTS", default=True):
    # PostgreSQL binds the parameters itself, and a statement run a fifth time on a connection
    # is prepared: parsed and planned once per connection, not per request. Planning was most of
    # the server's time for the hot statements (the session POST's item versions: 2.1 ms of
    # planning for 0.3 ms of work). Django's default is off for connection poolers in
    # transaction mode: behind one without prepared statement support (PgBouncer before 1.21,
    # or max_prepared_statements unset), set DATABASE_PREPARED_STATEMENTS=0.
    DATABASES["default"]["OPTIONS"] = {
        "server_side_binding": True,
        "prepare_threshold": 5,
        **DATABASES["default"].get("OPTIONS", {}),
    }

# --- Redis: broker and cache when configured; otherwise no server is needed.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "et",
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# The versioned read cache and the cached sign-in (exercise_tracker/readcache.py): on with Redis,
# off with the in-process cache (several processes would not see each other's writes); READ_CACHE
# =1 or 0 overrides (a single-process `manage.py serve` on the embedded default may turn it on).
READ_CACHE = env.bool("READ_CACHE") if env.str("READ_CACHE", default="") else None

AUTH_USER_MODEL = "members.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    # Members may sign in with their email address instead of their username.
    "members.auth_backends.MemberEmailBackend",
]
# At least 12 characters (ASVS V2.1.1), not one of the 20,000 most common passwords.
PASSWORD_MIN_LENGTH = 12
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": PASSWORD_MIN_LENGTH},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "staticfiles"
STATIC_ROOT.mkdir(parents=True, exist_ok=True)
MEDIA_URL = "media/"
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "media")))
# The exercise pictures in MEDIA_ROOT, served by Django itself: on by default for `make run`;
# in production a proxy (nginx `location /media/ { alias ...; }`) or object storage does it
# better, and DJANGO_SERVE_MEDIA=1 keeps a small install working without one.
SERVE_MEDIA = env.bool("DJANGO_SERVE_MEDIA", default=DEBUG)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}

# Request bodies stay at Django's defaults (2.5 MB); image uploads are capped separately.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
IMAGE_UPLOAD_MAX_BYTES = 10 * 1024 * 1024
IMAGE_MAX_PIXELS = 40_000_000

# --- Sessions and cookies (HIPAA automatic logoff: idle timeout, renewed on activity).
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_EXPIRE_AT_BROWSER_CLOSE = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

# --- Content-Security-Policy (django-csp) on every response: scripts and styles from this site
# only; the few <style> blocks in templates carry the request's nonce ({{ request.csp_nonce }}),
# inline scripts are not used (static files instead). Swagger UI's files are served from here
# too (drf-spectacular-sidecar), so no third-party origin is allowed anywhere.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF, NONCE],
        "img-src": [SELF, "data:", "blob:"],
        "font-src": [SELF, "data:"],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

# Behind a proxy (TLS termination, a load balancer): the client's address is read from
# X-Forwarded-For only with both of these, DJANGO_TRUSTED_PROXY_COUNT being the number of proxies
# that append to it (exercise_tracker/client_address.py). Otherwise REMOTE_ADDR is the address.
BEHIND_PROXY = env.bool("DJANGO_BEHIND_PROXY", default=False)
TRUSTED_PROXY_COUNT = env.int("DJANGO_TRUSTED_PROXY_COUNT", default=0)

if not DEBUG:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
    SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=31_536_000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
    SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=True)
    if BEHIND_PROXY:
        # Trust the proxy's scheme header only when told there is a proxy that sets it.
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
        USE_X_FORWARDED_HOST = True

# --- Login throttling: django-axes counts failures in the database and locks a username, and
# separately an address, after AXES_FAILURE_LIMIT wrong passwords in a cool-off window: with 20
# per 30 minutes, at most about 40 guesses an hour reach one account (ASVS V2.2.1 allows 100).
AXES_FAILURE_LIMIT = env.int("AXES_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("AXES_COOLOFF_MINUTES", default=30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True  # see AXES_HANDLER
AXES_ENABLE_ACCESS_FAILURE_LOG = False
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "exercise_tracker.audit.lockout_response"
# The same address as the audit log and the API's rate limits.
AXES_CLIENT_IP_CALLABLE = "exercise_tracker.client_address.client_address"
# A successful sign-in clears that account's failures only, never other accounts' failures
# from the same address (which would let one account's login reset the count on another).
AXES_HANDLER = "exercise_tracker.lockout.AccountResetHandler"

# --- API
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "exercise_tracker.authentication.ScopedJWTAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": [
        "rest_framework.permissions.IsAuthenticated",
        "exercise_tracker.permissions.DischargedMembersReadOnly",
    ],
    "DEFAULT_PAGINATION_CLASS": "exercise_tracker.api.Pagination",
    "DEFAULT_FILTER_BACKENDS": ["exercise_tracker.api.StrictFilterBackend"],
    "DEFAULT_CONTENT_NEGOTIATION_CLASS": "exercise_tracker.negotiation.ContentNegotiation",
    "DEFAULT_SCHEMA_CLASS": "exercise_tracker.schema.ErrorAutoSchema",
    "EXCEPTION_HANDLER": "exercise_tracker.api.exception_handler",
    "DEFAULT_THROTTLE_CLASSES": [
        "exercise_tracker.throttling.AnonThrottle",
        "exercise_tracker.throttling.UserThrottle",
    ],
    "DEFAULT_THROTTLE_RATES": {
        "anon": env.str("API_THROTTLE_ANON", default="120/min"),
        "user": env.str("API_THROTTLE_USER", default="1200/min"),
        # Accepting an invitation guesses at a token: per address and per token (hash).
        "invitation_accept": env.str("API_THROTTLE_INVITATION_ACCEPT", default="10/min"),
        "invitation_accept_token": env.str("API_THROTTLE_INVITATION_ACCEPT_TOKEN", default="5/min"),
        # A plan's PDF handout draws every picture of the plan: per user, a few a minute.
        "handout": env.str("API_THROTTLE_HANDOUT", default="10/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"]
    + (["rest_framework.renderers.BrowsableAPIRenderer"] if DEBUG else []),
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
    "DEFAULT_VERSIONING_CLASS": None,
}

SIMPLE_JWT = {
    "ACCESS_TOKEN_LIFETIME": timedelta(minutes=env.int("JWT_ACCESS_MINUTES", default=15)),
    "REFRESH_TOKEN_LIFETIME": timedelta(days=env.int("JWT_REFRESH_DAYS", default=7)),
    "ROTATE_REFRESH_TOKENS": True,
    "BLACKLIST_AFTER_ROTATION": True,
    "UPDATE_LAST_LOGIN": False,
    "AUTH_HEADER_TYPES": ("Bearer",),
    "SIGNING_KEY": SECRET_KEY,
    # Tokens carry the account's token version (exercise_tracker/tokens.py).
    "TOKEN_OBTAIN_SERIALIZER": "exercise_tracker.tokens.VersionedTokenObtainPairSerializer",
    "TOKEN_REFRESH_SERIALIZER": "exercise_tracker.tokens.VersionedTokenRefreshSerializer",
}
# Emailed password-reset links work this long (and once: they die with the old password).
PASSWORD_RESET_TIMEOUT = env.int("PASSWORD_RESET_SECONDS", default=2 * 60 * 60)
# Reset requests answered per address and per hour (more are refused with 429, whether or not
# the address belongs to anyone).
PASSWORD_RESET_PER_ADDRESS_PER_HOUR = env.int("PASSWORD_RESET_PER_ADDRESS_PER_HOUR", default=5)
# A discharged member keeps read-only access to their history and handout this many days; a
# daily task then closes the account.
DISCHARGE_ACCESS_DAYS = env.int("DISCHARGE_ACCESS_DAYS", default=90)

SPECTACULAR_SETTINGS = {
    "TITLE": "Home exercise program tracker API",
    "DESCRIPTION": (
        "Plans, logs, questionnaires, reminders and adherence for home exercise programs. "
        'Errors are {"detail", "errors": {field: [messages]}}.'
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    # Swagger UI's own files from this server (drf-spectacular-sidecar), not from a CDN.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    # Several models have a `status` with its own choices: name each set after its model.
    "ENUM_NAME_OVERRIDES": {
        "PlanStatusEnum": "programs.models.PlanStatus",
        "SessionStatusEnum": "members.models.logs.SessionStatus",
        "EntryStatusEnum": "members.models.logs.EntryStatus",
        "ConditionEnum": "members.models.Condition",
        "PrecautionEnum": "members.models.Precaution",
        "LanguageEnum": "members.models.Language",
        "RoleEnum": "members.models.Role",
        "StaffRoleEnum": "members.models.invitations.STAFF_ROLE_CHOICES",
        "InvitationKindEnum": "members.models.InvitationKind",
        "InvitationStatusEnum": "members.models.InvitationStatus",
        "SymptomSideEnum": "members.models.walks.SymptomSide",
        "SymptomChangeEnum": "members.models.walks.SymptomChange",
    },
}

# --- Celery: Redis in production; a filesystem broker that needs no server otherwise.
CELERY_BROKER_DIR = VAR_DIR / "broker"
if REDIS_URL:
    CELERY_BROKER_URL = REDIS_URL
    # kombu's Redis transport keeping one client per channel (exercise_tracker/broker.py).
    CELERY_BROKER_TRANSPORT = "exercise_tracker.broker:Transport"
    CELERY_RESULT_BACKEND = REDIS_URL
else:
    for sub in ("in", "processed", "control"):
        (CELERY_BROKER_DIR / sub).mkdir(parents=True, exist_ok=True)
    (VAR_DIR / "celery-results").mkdir(parents=True, exist_ok=True)
    CELERY_BROKER_URL = "filesystem://"
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(CELERY_BROKER_DIR / "in"),
        "data_folder_out": str(CELERY_BROKER_DIR / "in"),
        "processed_folder": str(CELERY_BROKER_DIR / "processed"),
        "store_processed": False,
        "control_folder": str(CELERY_BROKER_DIR / "control"),  # else ./control in the cwd
    }
    CELERY_RESULT_BACKEND = f"file://{VAR_DIR / 'celery-results'}"

# Tasks are idempotent, so a message is acknowledged after it ran; a redelivered message after
# a worker dies runs again and finds its work done. Visibility timeout > any task's time limit.
# The integration tests shorten both (through the environment) to see a killed worker's message
# come back within seconds; the order between them is checked here so no setting can break it.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 60 * 60)
CELERY_TASK_TIME_LIMIT = env.int("CELERY_TASK_TIME_LIMIT", default=10 * 60)
CELERY_TASK_SOFT_TIME_LIMIT = CELERY_TASK_TIME_LIMIT - max(1, CELERY_TASK_TIME_LIMIT // 10)
if CELERY_VISIBILITY_TIMEOUT <= CELERY_TASK_TIME_LIMIT:
    raise ImproperlyConfigured(
        "CELERY_VISIBILITY_TIMEOUT must exceed CELERY_TASK_TIME_LIMIT, or a running task's "
        "message is delivered again to another worker"
    )
if REDIS_URL:
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
    CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": CELERY_VISIBILITY_TIMEOUT}
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = False
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_EXPIRES = 24 * 60 * 60
CELERY_TIMEZONE = "UTC"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=False)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
# Stored Idempotency-Key answers are kept 7 days; an hourly sweep deletes older ones.
CELERY_BEAT_SCHEDULE["purge-idempotency-records"] = {
    "task": "exercise_tracker.purge_idempotency_records",
    "schedule": 60 * 60,
    "options": {"expires": 30 * 60},
}

# --- Reminders (members/tasks.py): the dispatcher runs at the start of every minute
# (UTC crontab: only this one global tick, never a per-member crontab, which misfires at DST).
CELERY_BEAT_SCHEDULE["dispatch-due-reminders"] = {
    "task": "members.dispatch_due_reminders",
    "schedule": crontab(minute="*"),
    "options": {"expires": 55},
}
# A fire found later than this (dispatcher or workers were down) is recorded as skipped, stale.
REMINDER_GRACE_MINUTES = env.int("REMINDER_GRACE_MINUTES", default=30)
REMINDER_SMS_BACKEND = env.str(
    "REMINDER_SMS_BACKEND", default="members.services.channels.ConsoleSMSBackend"
)
# Links in reminder emails: the address members open the app at.
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000")

# --- Invitations: a link lives this many days; resending makes a new one (the old one dies).
INVITATION_DAYS = env.int("INVITATION_DAYS", default=7)

# --- Alerts (members/tasks.py): once a day, members with an active plan and no session for
# 3 days get an alert for their PT. Each member's days are their local days, so any hour works;
# mid-afternoon UTC is morning in the Americas, when PTs read their caseload.
CELERY_BEAT_SCHEDULE["raise-inactivity-alerts"] = {
    "task": "members.raise_inactivity_alerts",
    "schedule": crontab(hour=13, minute=5),
    "options": {"expires": 6 * 60 * 60},
}
# --- Discharge (members/tasks.py): once a day, accounts whose read-only access after discharge
# has run out are closed.
CELERY_BEAT_SCHEDULE["close-discharged-accounts"] = {
    "task": "members.close_discharged_accounts",
    "schedule": crontab(hour=3, minute=17),
    "options": {"expires": 6 * 60 * 60},
}
# --- Adherence (members/tasks.py): every 15 minutes, members whose local day has ended since
# their figures were made get them rebuilt (half-hour and 45-minute zones included).
CELERY_BEAT_SCHEDULE["roll-over-adherence"] = {
    "task": "members.roll_over_adherence",
    "schedule": crontab(minute="*/15"),
    "options": {"expires": 14 * 60},
}

# --- Thumbnails (programs/tasks.py): pictures uploaded while the broker was down get theirs.
CELERY_BEAT_SCHEDULE["queue-missing-thumbnails"] = {
    "task": "programs.queue_missing_thumbnails",
    "schedule": 10 * 60,
    "options": {"expires": 9 * 60},
}

# --- Progression (programs/tasks.py): every 15 seconds, one evaluation queued for each member
# whose logs or plan changed (the outbox rows the change wrote; programs.services.evaluations).
CELERY_BEAT_SCHEDULE["queue-progression-evaluations"] = {
    "task": "programs.queue_pending_evaluations",
    "schedule": 15,
    "options": {"expires": 14},
}

# --- Email: any SMTP through EMAIL_URL (smtp+tls://user:password@host:587). Without it, a
# development server (`make run`) writes each email as a file in var/mail/ to open and read
# (invitation links included); production without EMAIL_URL prints them to the console.
MAIL_DIR = VAR_DIR / "mail"
if env.str("EMAIL_URL", default=""):
    EMAIL_CONFIG = env.email_url("EMAIL_URL")
    vars().update(EMAIL_CONFIG)
elif DEBUG:
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(MAIL_DIR)
else:
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
DEFAULT_FROM_EMAIL = env.str(
    "DEFAULT_FROM_EMAIL", default="Home exercise program <noreply@localhost>"
)

# Only the benchmark turns on the bare comparison view.
BENCH_ENDPOINTS = env.bool("BENCH_ENDPOINTS", default=False)
# API reads answered before the rest of the middleware (exercise_tracker/fast_lane.py).
FAST_LANE = env.bool("FAST_LANE", default=True)

# --- Logging: no personal data; each line carries the request id.
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "exercise_tracker.middleware.RequestIdLogFilter"}},
    "formatters": {
        # [server request id client=the client's X-Request-ID or -]
        "plain": {
            "format": "%(asctime)s %(levelname)s %(name)s "
            "[%(request_id)s client=%(client_request_id)s] %(message)s"
        }
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["console"], "level": env.str("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django logs request paths with 4xx/5xx; keep them but never bodies or query values.
        "django.request": {"level": "ERROR"},
        "axes": {"level": "WARNING"},
    },
}

# --- Messaging (messaging/): a new message is notified in the app at once, and by email or text
# message when still unread this many minutes later (one notice for several messages), never
# in the recipient's quiet hours: a member's own (reminder settings), else these, local time.
MESSAGING_NOTICE_DELAY_MINUTES = env.int("MESSAGING_NOTICE_DELAY_MINUTES", default=15)
MESSAGING_QUIET_HOURS = ("21:00", "08:00")
# Until a coordinator sets their clinic's hours (PATCH /api/v1/organizations/{id}/working-hours/).
MESSAGING_DEFAULT_WORKING_HOURS = {
    day: [["09:00", "17:00"]] for day in ("monday", "tuesday", "wednesday", "thursday", "friday")
}
CELERY_BEAT_SCHEDULE["queue-missing-message-thumbnails"] = {
    "task": "messaging.queue_missing_message_thumbnails",
    "schedule": 10 * 60,
    "options": {"expires": 9 * 60},
}
CELERY_BEAT_SCHEDULE["send-due-message-notices"] = {
    "task": "messaging.send_due_message_notices",
    "schedule": crontab(minute="*"),
    "options": {"expires": 55},
}
