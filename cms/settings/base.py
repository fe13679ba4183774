"""Settings shared by every environment.

Everything that varies between machines comes from environment variables, read here through
django-environ (the one helper) and documented in `.env.example`. With no variables at all the
project runs on its embedded default: a SQLite file and Celery tasks executed eagerly.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import environ
from celery.schedules import crontab
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# A local `.env` file is a convenience for developers; real deployments set the variables.
if (BASE_DIR / ".env").is_file():
    env.read_env(BASE_DIR / ".env")

DEBUG = env.bool("DJANGO_DEBUG", default=False)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["localhost", "127.0.0.1", "[::1]"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    # Our apps first so that their templates override the libraries' ones.
    "cms",
    "indicators",
    "badges",
    "communities",
    "cotraining",
    "dsfr",
    "django_filters",
    "widget_tweaks",
    "django_htmx",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "cotraining.apps.WagtailUsersConfig",  # wagtail.users, its users list scoped
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "allauth",
    "allauth.account",
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.forms",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    # A Content-Security-Policy on every response (see "Security headers and uploads" below).
    "cms.middleware.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "cms.middleware.ChosenLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # Refuses an oversized body (413) before anything reads it; needs request.user.
    "cms.middleware.RequestBodyLimitMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
]

ROOT_URLCONF = "cms.urls"
WSGI_APPLICATION = "cms.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "wagtail.contrib.settings.context_processors.settings",
                "cms.context_processors.site_config",
                "cms.context_processors.accounts",
                "cotraining.context_processors.roles",
                "badges.context_processors.badge_rights",
            ],
        },
    },
]
# Lets DSFR widget templates in our apps override Django's form templates.
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Database ---------------------------------------------------
# No DATABASE_URL: a SQLite file beside the code (the embedded default).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
# Persistent connections: a PostgreSQL read per request drops from ~2,100 to ~195 req/s without.
DATABASES["default"]["CONN_MAX_AGE"] = env.int("DB_CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Waiting for a lock beats failing with "database is locked" when a worker writes too.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
    DATABASES["default"]["CONN_MAX_AGE"] = 0
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Wagtail's search uses PostgreSQL full-text search (French stemming) there.
    INSTALLED_APPS.append("django.contrib.postgres")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Users and authentication -----------------------------------
AUTH_USER_MODEL = "cotraining.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "/"
# django-allauth handles local accounts; single sign-on (ProConnect, an académie's provider) is
# mozilla-django-oidc's, below: allauth's openid_connect provider lacks what ProConnect requires
# (32-character state, nonce, signed userinfo, logout at the provider).
ACCOUNT_ADAPTER = "cotraining.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = env("ACCOUNT_EMAIL_VERIFICATION", default="optional")
ACCOUNT_LOGOUT_REDIRECT_URL = "/"
ACCOUNT_SIGNUP_FORM_CLASS = "cotraining.forms.SignupExtraForm"
SIGNUP_OPEN = env.bool("SIGNUP_OPEN", default=True)
# One way in (cms/auth.py): Wagtail's and Django's login and password-reset pages send people to
# allauth's, which checks the address is verified and limits attempts (ACCOUNT_RATE_LIMITS'
# defaults: 5 failed logins per address in 5 minutes locks it, 10 per client address a minute).
WAGTAIL_FRONTEND_LOGIN_URL = "account_login"
WAGTAILADMIN_LOGIN_URL = "account_login"
# No second, unthrottled way to reset or change a password in the Wagtail admin: allauth's.
WAGTAIL_PASSWORD_MANAGEMENT_ENABLED = False
WAGTAIL_PASSWORD_RESET_ENABLED = False
# Rate limits key on the client's address. Behind reverse proxies, REMOTE_ADDR is the nearest
# proxy's: TRUSTED_PROXY_COUNT says how many proxies of ours append to X-Forwarded-For (the
# client's address is then the Nth entry from the right; entries further left are whatever the
# client sent, and are ignored), or TRUSTED_CLIENT_IP_HEADER names a header our proxy sets
# (X-Real-IP). 0 and empty: X-Forwarded-For is never read. allauth and django-ratelimit read
# the same address (cms.auth.client_ip).
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)
ALLAUTH_TRUSTED_CLIENT_IP_HEADER = env("TRUSTED_CLIENT_IP_HEADER", default="") or None
RATELIMIT_IP_META_KEY = "cms.auth.client_ip"

# Single sign-on through OpenID Connect: ProConnect, or an académie's own provider
# (cotraining/oidc.py, mozilla-django-oidc). Off unless a client id and the provider's endpoints
# (or its discovery URL, which fills them) are set: the login page is then as without it.
OIDC_RP_CLIENT_ID = env("OIDC_RP_CLIENT_ID", default="")
OIDC_RP_CLIENT_SECRET = env("OIDC_RP_CLIENT_SECRET", default="")
OIDC_OP_DISCOVERY_URL = env("OIDC_OP_DISCOVERY_URL", default="")
OIDC_OP_ISSUER = env("OIDC_OP_ISSUER", default="")
OIDC_OP_AUTHORIZATION_ENDPOINT = env("OIDC_OP_AUTHORIZATION_ENDPOINT", default="")
OIDC_OP_TOKEN_ENDPOINT = env("OIDC_OP_TOKEN_ENDPOINT", default="")
OIDC_OP_USER_ENDPOINT = env("OIDC_OP_USER_ENDPOINT", default="")
OIDC_OP_JWKS_ENDPOINT = env("OIDC_OP_JWKS_ENDPOINT", default="")
OIDC_OP_LOGOUT_ENDPOINT = env("OIDC_OP_LOGOUT_ENDPOINT", default="")
OIDC_RP_SIGN_ALGO = env("OIDC_RP_SIGN_ALGO", default="RS256")
OIDC_RP_SCOPES = env(
    "OIDC_RP_SCOPES", default="openid email given_name usual_name uid siret idp_id"
)
# Space-separated; sent as acr_values, and the ID token's acr must be one of them.
OIDC_ACR_VALUES = env("OIDC_ACR_VALUES", default="")
# ProConnect answers userinfo as a signed JWT only; an académie's provider may answer JSON.
OIDC_USERINFO_SIGNED = env.bool("OIDC_USERINFO_SIGNED", default=True)
# ProConnect's identity providers accepted (idp_id); empty: all of them.
OIDC_ALLOWED_IDP_IDS = env.list("OIDC_ALLOWED_IDP_IDS", default=[])
# "ProConnect" shows the official button; another name, a plain button with that name.
OIDC_PROVIDER_NAME = env("OIDC_PROVIDER_NAME", default="ProConnect")
# Accounts that have signed in through the provider may no longer log in with a password.
OIDC_ONLY_FOR_LINKED_ACCOUNTS = env.bool("OIDC_ONLY_FOR_LINKED_ACCOUNTS", default=False)
OIDC_TIMEOUT = env.float("OIDC_TIMEOUT", default=10)
OIDC_ENABLED = bool(
    OIDC_RP_CLIENT_ID
    and (
        OIDC_OP_DISCOVERY_URL
        or (OIDC_OP_AUTHORIZATION_ENDPOINT and OIDC_OP_TOKEN_ENDPOINT and OIDC_OP_USER_ENDPOINT)
    )
)
if OIDC_ENABLED:
    AUTHENTICATION_BACKENDS.append("cotraining.oidc.OIDCBackend")
# mozilla-django-oidc: the ID token is kept in the session for the logout (id_token_hint);
# state and nonce are 32 random characters (its defaults, ProConnect's minimum); no PKCE
# (ProConnect refuses any parameter it does not list).
OIDC_STORE_ID_TOKEN = True
OIDC_STATE_SIZE = 32
OIDC_NONCE_SIZE = 32
OIDC_USE_NONCE = True

# --- Internationalisation ---------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", "Français"), ("en", "English")]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True
LOCALE_PATHS = [BASE_DIR / "locale"]

# --- Static and media files -------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", default=str(BASE_DIR / "media")))
# Private files (PIX attestations): outside MEDIA_ROOT, no URL; only a view that checks who
# asks serves them.
PRIVATE_MEDIA_ROOT = Path(env("PRIVATE_MEDIA_ROOT", default=str(BASE_DIR / "private-media")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "private": {
        "BACKEND": "badges.storage.PrivateFileSystemStorage",
        "OPTIONS": {"location": PRIVATE_MEDIA_ROOT, "base_url": None},
    },
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}

# --- Email ------------------------------------------------------
# Django 6.1's MAILERS (the EMAIL_* settings are deprecated). SMTP by default.
MAILERS = {
    "default": {
        "BACKEND": env("EMAIL_BACKEND", default="django.core.mail.backends.smtp.EmailBackend"),
        "OPTIONS": {
            "host": env("EMAIL_HOST", default="localhost"),
            "port": env.int("EMAIL_PORT", default=25),
            "username": env("EMAIL_HOST_USER", default=""),
            "password": env("EMAIL_HOST_PASSWORD", default=""),
            "use_tls": env.bool("EMAIL_USE_TLS", default=False),
            "timeout": 10,
        },
    }
}
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Entrepairs <ne-pas-repondre@entrepairs.fr>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Cache ------------------------------------------------------
# A cache shared by every process: without one, each gunicorn worker keeps its own copy of a
# hosted assertion and may serve a revoked one as valid for ASSERTION_CACHE_SECONDS.
# REDIS_URL defaults to the broker's Redis server with the next database number (broker
# redis://host:6379/0 → cache redis://host:6379/1), never the broker's own database: flushing
# or filling the cache never touches queued tasks. Give it a server of its own in production.
# The backend logs and skips Redis errors (cms/cache.py): while the cache is down the site
# answers, uncached, and rate limits are open (RATELIMIT_FAIL_OPEN).
_broker = env("CELERY_BROKER_URL", default="")


def _cache_url_beside(broker_url):
    """The broker's Redis URL with the next database number (modulo Redis's 16 databases)."""
    parts = urlsplit(broker_url)
    path = parts.path.strip("/")
    db = int(path) if path.isdigit() else 0
    return urlunsplit(parts._replace(path=f"/{(db + 1) % 16}"))


REDIS_URL = env(
    "REDIS_URL", default=_cache_url_beside(_broker) if _broker.startswith("redis") else ""
)
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "cms.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            # A cache that does not answer within these is skipped (cms/cache.py).
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.5),
                "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=0.5),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# A cache outage opens django-ratelimit's limits rather than refusing every request
# (allauth's do the same through cms.cache.ResilientRedisCache.add).
RATELIMIT_FAIL_OPEN = True
# Each process's own memory, for the few documents read at every request (hosted assertions)
# and kept there a few seconds only (badges.services.openbadges.ASSERTION_LOCAL_SECONDS).
CACHES["local"] = {
    "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
    "LOCATION": "entrepairs-local",
}

# --- Celery -----------------------------------------------------
# No broker configured: tasks run eagerly in the calling process (the embedded default).
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 10 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 9 * 60
# A task is acknowledged once it has run, and given back to the queue when its worker dies:
# every task is idempotent (a repeat is a no-op), so running one twice is safe, losing one not.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
# One task reserved at a time per worker process: a long import never holds short tasks back.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
# With Redis, a task taken by a worker that died is delivered again after the visibility
# timeout: above the longest task's time limit (run_pix_import, one hour), or a task still
# running would be delivered twice. Bulk awards resume sooner (BULK_AWARD_STALLED_MINUTES).
_visibility_timeout = env.int("CELERY_VISIBILITY_TIMEOUT", default=2 * 3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility_timeout}
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"visibility_timeout": _visibility_timeout}
# Separate queues, one worker each (README, OPERATIONS.md): a 200,000-line import or a large
# bulk award never delays a convocation. Anything not listed goes to the default "celery".
CELERY_TASK_DEFAULT_QUEUE = "celery"
ENTREPAIRS_QUEUES = ("celery", "awards", "mail", "imports", "indicators")
CELERY_TASK_ROUTES = {
    **{
        f"badges.tasks.{name}": {"queue": "awards"}
        for name in (
            "run_bulk_award",
            "award_bulk_chunk",
            "resume_stalled_bulk_awards",
            "delete_orphan_assertion_images",
            "award_completion_badges",
            "award_missing_completion_badges",
            "revoke_withdrawn_completion_badges",
            "award_pix_plus_edu_badges",
        )
    },
    **{
        name: {"queue": "mail"}
        for name in (
            "badges.tasks.send_badge_emails",
            "badges.tasks.send_badge_email",
            "badges.tasks.email_unsent_awards",
            "badges.tasks.notify_pix_review",
            "cotraining.tasks.deliver_notification",
            "cotraining.tasks.send_due_reminders",
            "cotraining.tasks.retry_pending_notifications",
            "cms.tasks.send_report_notification",
            "communities.tasks.queue_weekly_digests",
            "communities.tasks.send_digest",
            "communities.tasks.remind_askers",
            "communities.tasks.send_accept_reminder",
        )
    },
    "badges.tasks.run_pix_import": {"queue": "imports"},
    "badges.tasks.resume_stalled_pix_imports": {"queue": "imports"},
    "badges.indicators.tasks.*": {"queue": "indicators"},
}
# WeasyPrint's font caches grow a worker by ~50-70 MiB and keep growing slowly (BENCHMARKS.md):
# a worker child is replaced once it passes this resident size (KiB).
CELERY_WORKER_MAX_MEMORY_PER_CHILD = env.int("CELERY_WORKER_MAX_MEMORY_PER_CHILD", default=400_000)
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    # A heartbeat: the worker records when it last ran, /health/ reports it.
    "heartbeat": {"task": "cms.tasks.record_heartbeat", "schedule": crontab(minute="*/5")},
    # Reminders before sessions, and emails whose earlier attempts failed. Both are idempotent:
    # beat firing twice, or two beats, never sends an email twice (cotraining.models.Notification).
    "send-due-reminders": {
        "task": "cotraining.tasks.send_due_reminders",
        "schedule": crontab(minute="*/5"),
    },
    "retry-pending-notifications": {
        "task": "cotraining.tasks.retry_pending_notifications",
        "schedule": crontab(minute="*/15"),
    },
    # Workshops completed by the sessions that just ended (attendance taken earlier is only
    # presence until the end): certificates, hours and completion badges follow.
    "complete-ended-sessions": {
        "task": "cotraining.tasks.complete_ended_sessions",
        "schedule": crontab(minute="*/5"),
    },
    # Badges whose award task was lost (broker down when the completion was announced).
    "award-missing-completion-badges": {
        "task": "badges.tasks.award_missing_completion_badges",
        "schedule": crontab(minute="7,37"),
    },
    # Bulk awards never queued (broker down at upload) or whose tasks were lost (worker
    # killed, broker restarted): queued again once they have not moved for
    # BULK_AWARD_STALLED_MINUTES. Each worker does the same when it starts (cms/celery.py).
    "resume-stalled-bulk-awards": {
        "task": "badges.tasks.resume_stalled_bulk_awards",
        "schedule": crontab(minute="*/5"),
    },
    # Large Pix imports never queued or whose task was lost, once they have not moved for
    # PIX_IMPORT_STALLED_MINUTES; each worker does the same when it starts.
    "resume-stalled-pix-imports": {
        "task": "badges.tasks.resume_stalled_pix_imports",
        "schedule": crontab(minute="*/10"),
    },
    # Baked images of chunks killed before they committed (no assertion row): an hour old.
    "delete-orphan-assertion-images": {
        "task": "badges.tasks.delete_orphan_assertion_images",
        "schedule": crontab(minute=47),
    },
    # Award emails whose task was lost (broker down when the award committed).
    "email-unsent-awards": {
        "task": "badges.tasks.email_unsent_awards",
        "schedule": crontab(minute="22,52"),
    },
    # The communities' weekly digest: Monday morning, then hourly that day for any digest
    # still pending (one row per person and week: never sent twice).
    "queue-weekly-digests": {
        "task": "communities.tasks.queue_weekly_digests",
        "schedule": crontab(day_of_week="mon", hour="7-18", minute=5),
    },
    # Askers with answers but none accepted, reminded once COMMUNITY_ACCEPT_REMINDER_DAYS on.
    "remind-askers": {
        "task": "communities.tasks.remind_askers",
        "schedule": crontab(hour=9, minute=15),
    },
}
# Days after a question with answers, none accepted, before its asker is reminded (once).
COMMUNITY_ACCEPT_REMINDER_DAYS = env.int("COMMUNITY_ACCEPT_REMINDER_DAYS", default=7)
# A bulk award that has not moved for this long lost its task and is queued again: above the
# longest chunk task (CELERY_TASK_TIME_LIMIT) so that a chunk still running is never redone.
BULK_AWARD_STALLED_MINUTES = env.int("BULK_AWARD_STALLED_MINUTES", default=15)
# Likewise for a large Pix import, above run_pix_import's time limit (an hour): it moves only
# between steps (its write is one transaction), and a run older than that limit is dead.
PIX_IMPORT_STALLED_MINUTES = env.int("PIX_IMPORT_STALLED_MINUTES", default=70)
# /health/ says "degraded" when a bulk award has not moved, or a queue holds a task published,
# longer ago than this (twice the requeue delay: a requeue that did not help).
HEALTH_BACKLOG_MINUTES = env.int("HEALTH_BACKLOG_MINUTES", default=30)
# The indicator dashboards' snapshots (indicators/models.py): the defaults warmed and the
# stale ones read lately refreshed, every ten minutes. The task names keep the prefix of the
# days the app lived in badges (beat and queued messages use them).
CELERY_BEAT_SCHEDULE["refresh-indicator-snapshots"] = {
    "task": "badges.indicators.tasks.refresh_indicator_snapshots",
    "schedule": crontab(minute="*/10"),
}
# Indicators: the hours threshold of the "share of teachers" figure, and the snapshots' ages.
INDICATORS_HOURS_THRESHOLD = env.int("INDICATORS_HOURS_THRESHOLD", default=18)
INDICATORS_SNAPSHOT_TTL = env.int("INDICATORS_SNAPSHOT_TTL", default=600)
INDICATORS_SNAPSHOT_MAX_STALE = env.int("INDICATORS_SNAPSHOT_MAX_STALE", default=86_400)
INDICATORS_SNAPSHOT_KEEP_DAYS = env.int("INDICATORS_SNAPSHOT_KEEP_DAYS", default=7)

# --- Wagtail ----------------------------------------------------
WAGTAIL_SITE_NAME = "Entrepairs"
# The one public origin of the site (`make run` sets it from PORT): every absolute link — emails,
# Wagtail's moderation emails, Open Badges ids (issuer, badge, assertion URLs), baked images, QR
# codes — is built on it (cotraining/origin.py), never on a request. It must never change once
# badges are awarded. WAGTAILADMIN_BASE_URL is read as a fallback for older configurations.
SITE_URL = env("SITE_URL", default=env("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000"))
WAGTAILADMIN_BASE_URL = SITE_URL
# Bearer token that lets a monitor read /health/?details=1 (empty: staff only). Anyone gets the
# short liveness answer.
HEALTH_TOKEN = env("HEALTH_TOKEN", default="")
WAGTAIL_I18N_ENABLED = False
# "cybersecurite", not "cybersécurité": ASCII slugs survive every email client and spreadsheet.
WAGTAIL_ALLOW_UNICODE_SLUGS = False
# No Gravatar in the admin: it would send a hash of every staff address to a third party on each
# page (and the Content-Security-Policy blocks it anyway).
WAGTAIL_GRAVATAR_PROVIDER_URL = None
WAGTAIL_CONTENT_LANGUAGES = [("fr", "Français")]
# French stemming and accent folding on PostgreSQL and SQLite alike (see cms/search_backends.py).
WAGTAILSEARCH_BACKENDS = {"default": {"BACKEND": "cms.search_backends"}}
WAGTAILDOCS_EXTENSIONS = [
    "csv",
    "docx",
    "key",
    "odt",
    "odp",
    "ods",
    "pdf",
    "pptx",
    "rtf",
    "txt",
    "xlsx",
    "zip",
]
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
# Wagtail's own background jobs (django-tasks) stay on its default immediate backend: no TASKS
# setting on purpose, they are apart from Celery.

# django-dsfr: mark optional fields, as the DSFR recommends (its next major version's default).
DSFR_MARK_OPTIONAL_FIELDS = True

# --- Product settings -------------------------------------------
# Enrolment: reminder N days before a session, and one hour before a remote one (with the link).
REMINDER_DAYS_BEFORE = env.int("REMINDER_DAYS_BEFORE", default=2)
REMINDER_REMOTE_MINUTES_BEFORE = 60
# An email is tried this many times (with backoff) before it is shown as failed to coordinators.
NOTIFICATION_MAX_ATTEMPTS = env.int("NOTIFICATION_MAX_ATTEMPTS", default=5)
# Self check-in: the code changes every CHECKIN_CODE_SECONDS; the previous and next codes are
# accepted too (clock differences); check-in opens a little before the start and closes a little
# after the end.
CHECKIN_CODE_SECONDS = 30
CHECKIN_OPENS_MINUTES_BEFORE = 30
CHECKIN_CLOSES_MINUTES_AFTER = 30
# The code is 6 digits: an account gets CHECKIN_MAX_WRONG_PER_ACCOUNT wrong codes per session and a
# session CHECKIN_MAX_WRONG_PER_SESSION across its participants, per CHECKIN_LOCKOUT_SECONDS;
# then even the right code is refused until the window ends (counted in the shared cache).
CHECKIN_MAX_WRONG_PER_ACCOUNT = env.int("CHECKIN_MAX_WRONG_PER_ACCOUNT", default=5)
CHECKIN_MAX_WRONG_PER_SESSION = env.int("CHECKIN_MAX_WRONG_PER_SESSION", default=50)
CHECKIN_LOCKOUT_SECONDS = env.int("CHECKIN_LOCKOUT_SECONDS", default=600)
# PIX: a certification counts as current for PIX_VALIDITY_YEARS after it was taken (0: for ever;
# sources disagree, 3 years or unlimited). The maximum level a candidate could reach depends on
# the date (levels opened progressively): "since:level" steps, the latest that applies wins.
PIX_VALIDITY_YEARS = env.int("PIX_VALIDITY_YEARS", default=3)
PIX_MAX_LEVEL_STEPS = env.list("PIX_MAX_LEVEL_STEPS", default=["2016-01-01:5", "2020-12-01:6"])
# Attestations uploaded with a declaration (PDF only).
PIX_ATTESTATION_MAX_BYTES = 2 * 1024 * 1024
# An import of more lines than this runs in a Celery job with a progress bar.
PIX_IMPORT_SYNC_MAX_LINES = env.int("PIX_IMPORT_SYNC_MAX_LINES", default=2000)
DEMO_PASSWORD = env("DEMO_PASSWORD", default="entrepairs-demo")
IS_PRODUCTION = False

# --- Security headers and uploads --------------------------------
# Content-Security-Policy (Django's own middleware, cms.middleware picks the policy by path).
# Pages: scripts from our static files or carrying the request's nonce ({{ csp_nonce }}), no
# other origin. Inline styles stay allowed: DSFR's and htmx's scripts and a few chart bars set
# them, and a style cannot run code. Frames: the video hosts that rich text may embed.
CSP_FRAME_SRC = env.list(
    "CSP_FRAME_SRC",
    default=[
        "https://www.youtube-nocookie.com",
        "https://www.youtube.com",
        "https://player.vimeo.com",
        "https://www.dailymotion.com",
    ],
)
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "frame-src": [CSP.SELF, *CSP_FRAME_SRC],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.SELF],
}
# The Wagtail and Django admins (staff only) render inline scripts (date pickers, inline
# panels): no nonce there, 'unsafe-inline' instead; avatars and embed previews come from https.
SECURE_CSP_ADMIN = {
    **SECURE_CSP,
    "script-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:", "blob:", "https:"],
}
CSP_ADMIN_PATH_PREFIXES = ("/admin/", "/django-admin/")
# Single sign-on: the login button and the logout (allauth's form, redirected to end_session)
# are forms whose redirects lead to the provider, and browsers hold a form's redirects to
# form-action too. Its origin(s): the discovery URL's and the endpoints' set explicitly.
if OIDC_ENABLED:
    _provider_origins = sorted(
        {
            "{0.scheme}://{0.netloc}".format(urlsplit(url))
            for url in (
                OIDC_OP_DISCOVERY_URL,
                OIDC_OP_AUTHORIZATION_ENDPOINT,
                OIDC_OP_LOGOUT_ENDPOINT,
            )
            if url
        }
    )
    for _policy in (SECURE_CSP, SECURE_CSP_ADMIN):
        _policy["form-action"] = [CSP.SELF, *_provider_origins]
# Uploaded files (badge and issuer images, Wagtail documents, PIX attestations, MEDIA_URL when
# Django serves it): a sandbox with nothing allowed but their own styles and data: pictures, so
# that a file opened from the site's origin can never run script there.
UPLOADED_FILES_CSP = {
    "default-src": [CSP.NONE],
    "style-src": [CSP.UNSAFE_INLINE],
    "img-src": ["data:"],
    "sandbox": True,
}
SECURE_CONTENT_TYPE_NOSNIFF = True
# Wagtail documents are downloads (the DSFR download links), never rendered inline: a browser
# would not render a PDF in the sandbox anyway.
WAGTAILDOCS_INLINE_CONTENT_TYPES = []

# Request bodies: cms.middleware.RequestBodyLimitMiddleware answers 413 to a Content-Length
# over the cap, before anything reads the body. Anonymous visitors post small forms only;
# signed-in people upload a PIX attestation (2 MB); staff upload files to the Wagtail admin,
# bulk award CSVs and Pix Orga exports (50 MB) on the paths below.
MAX_REQUEST_BODY_BYTES = env.int("MAX_REQUEST_BODY_BYTES", default=1024 * 1024)
MAX_REQUEST_BODY_BYTES_AUTHENTICATED = env.int(
    "MAX_REQUEST_BODY_BYTES_AUTHENTICATED", default=5 * 1024 * 1024
)
MAX_UPLOAD_BODY_BYTES = env.int("MAX_UPLOAD_BODY_BYTES", default=55 * 1024 * 1024)
LARGE_UPLOAD_URL_NAMES = {"badges:bulk_award", "badges:pix_import"}
# Form fields (not files) kept in memory at most; uploads past this size go to a temporary file.
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "django_tasks": {"level": "WARNING"},
        # WeasyPrint logs each rendering step at INFO; fontTools each font subset.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
