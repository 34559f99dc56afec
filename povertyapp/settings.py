"""Settings for povertyapp, read from the environment.

With nothing set, the app runs on a SQLite file in the project folder and
Celery runs tasks eagerly in-process: the quick start needs no services.
Production (docker-compose.yml) sets DATABASE_URL, CELERY_BROKER_URL,
SECRET_KEY, DEBUG=0 and ALLOWED_HOSTS.
"""
import datetime
import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


TRUE_WORDS, FALSE_WORDS = {"1", "true", "yes", "on"}, {"0", "false", "no", "off", ""}


def env_bool(name: str, default: bool) -> bool:
    """A yes/no variable; anything but the usual words stops the start-up with the variable's name."""
    value = os.environ.get(name)
    if value is None:
        return default
    word = value.strip().lower()
    if word not in TRUE_WORDS | FALSE_WORDS:
        raise ImproperlyConfigured(f"{name}={value!r}: use 1/0, true/false, yes/no or on/off")
    return word in TRUE_WORDS


def env_int(name: str, default: int) -> int:
    """A whole-number variable; anything else stops the start-up with the variable's name."""
    value = os.environ.get(name)
    if value is None:
        return default
    try:
        return int(value.strip())
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r}: a whole number is required") from None


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


DEBUG = env_bool("DEBUG", True)
# The fallback key is only good for local development; production must set SECRET_KEY.
SECRET_KEY = os.environ.get("SECRET_KEY", "dev-only-insecure-key" if DEBUG else "")
if not SECRET_KEY:
    raise RuntimeError("SECRET_KEY must be set when DEBUG is off")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS", "")

# Behind the office's HTTPS reverse proxy (docker-compose.yml): it sets X-Forwarded-Proto. In production
# (DEBUG=0) HTTPS is required by default: plain HTTP is redirected and browsers are told to remember HTTPS for a
# year. An office without HTTPS yet sets SECURE_SSL_REDIRECT=0 and SECURE_HSTS_SECONDS=0 (and `check --deploy`
# says so).
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", not DEBUG)
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", not DEBUG)
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0 if DEBUG else 365 * 24 * 3600)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", not DEBUG)
# /healthz answers the container's probe over plain HTTP inside the network.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_AGE = env_int("SESSION_COOKIE_AGE", 8 * 3600)  # a working day

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "simple_history",
    "axes",
    "povertyapp",
    "villages",
    "households",
    "projects",
    "funds",
    "identification",
    "exits",
    "reviews",
    "visits",
    "reports",
    "demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "csp.middleware.CSPMiddleware",
    "povertyapp.middleware.NoStoreForSignedInMiddleware",
    "axes.middleware.AxesMiddleware",  # last: it turns a locked-out login into the lockout answer
]

# Content-Security-Policy: scripts, styles and images from this site only, no inline script or style attribute
# (behaviour comes from static/js/app.js through data attributes); visit photos preview as blob: URLs.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:", "blob:"],
        "connect-src": [SELF],
        "font-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
    }
}

ROOT_URLCONF = "povertyapp.urls"
WSGI_APPLICATION = "povertyapp.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "povertyapp.navigation.menu",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.config(
        default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=env_int("DB_CONN_MAX_AGE", 0),
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Covering indexes (INCLUDE) serve PostgreSQL; SQLite (quick start, unit tests) just ignores the extra columns.
SILENCED_SYSTEM_CHECKS = [
    "models.W040",
    "security.W021",  # HSTS preload: the browsers' list is for public domains, not a county office's host
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# Login lockout (django-axes), on the login form, the admin and the API token endpoint alike: after
# LOGIN_FAILURE_LIMIT wrong passwords for one user name, or from one address, no login for LOGIN_LOCKOUT_MINUTES.
# County staff unlock at /security/lockouts/, where the failures are listed.
AUTHENTICATION_BACKENDS = ["axes.backends.AxesStandaloneBackend", "django.contrib.auth.backends.ModelBackend"]
AXES_FAILURE_LIMIT = env_int("LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = datetime.timedelta(minutes=env_int("LOGIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_LOCKOUT_CALLABLE = "povertyapp.security.lockout_response"
AXES_CLIENT_IP_CALLABLE = "povertyapp.security.client_ip"
AXES_VERBOSE = False
# Reverse proxies in front of the app that append to X-Forwarded-For (docker-compose.yml: one); 0 trusts none.
TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
FORMAT_MODULE_PATH = ["povertyapp.formats"]
USE_I18N = True
TIME_ZONE = "Asia/Shanghai"
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = BASE_DIR / "staticfiles"
# In development WhiteNoise serves straight from the finders; production runs collectstatic.
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", BASE_DIR / "media"))
# Largest identification-round workbook accepted (MB); the upload page states it.
IDENTIFICATION_MAX_UPLOAD_MB = env_int("IDENTIFICATION_MAX_UPLOAD_MB", 30)
# What a round workbook may hold, checked while it streams and before it is loaded (identification/limits.py);
# a county's whole register is ~50k–250k persons on ~40 columns.
IDENTIFICATION_MAX_ROWS = env_int("IDENTIFICATION_MAX_ROWS", 300_000)  # the last row a sheet's cells reach
IDENTIFICATION_MAX_COLUMNS = env_int("IDENTIFICATION_MAX_COLUMNS", 200)
# Rows × columns of the range a sheet's cells span: the reader holds every cell of it, ~32 bytes each.
IDENTIFICATION_MAX_CELLS = env_int("IDENTIFICATION_MAX_CELLS", 15_000_000)
IDENTIFICATION_MAX_CELL_CHARS = env_int("IDENTIFICATION_MAX_CELL_CHARS", 1_000)  # any one shared or inline string
IDENTIFICATION_MAX_FORMULA_CELLS = env_int("IDENTIFICATION_MAX_FORMULA_CELLS", 1_000_000)
IDENTIFICATION_MAX_UNCOMPRESSED_MB = env_int("IDENTIFICATION_MAX_UNCOMPRESSED_MB", 400)  # all parts together
IDENTIFICATION_MAX_COMPRESSION_RATIO = env_int("IDENTIFICATION_MAX_COMPRESSION_RATIO", 100)  # per part over 1 MB
IDENTIFICATION_MAX_SHARED_STRINGS_MB = env_int("IDENTIFICATION_MAX_SHARED_STRINGS_MB", 100)
IDENTIFICATION_MAX_SECONDS = env_int("IDENTIFICATION_MAX_SECONDS", 600)  # reading and checking the rows
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# Visits (visits app): largest accepted photo, and how many days ahead a planned visit counts as due.
VISIT_PHOTO_MAX_BYTES = env_int("VISIT_PHOTO_MAX_BYTES", 5 * 1024 * 1024)
VISIT_DUE_SOON_DAYS = env_int("VISIT_DUE_SOON_DAYS", 7)

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.LimitOffsetPagination",
    "PAGE_SIZE": 100,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # Requests per user (or, before login, per address); counted in CACHES["default"], shared by all workers
    # when CACHE_URL names Redis.
    "DEFAULT_THROTTLE_CLASSES": [
        "rest_framework.throttling.UserRateThrottle", "rest_framework.throttling.AnonRateThrottle",
    ],
    "NUM_PROXIES": TRUSTED_PROXY_COUNT or None,
    "DEFAULT_THROTTLE_RATES": {
        "user": os.environ.get("API_RATE_PER_USER", "1200/minute"),
        "anon": os.environ.get("API_RATE_ANONYMOUS", "30/minute"),
    },
}
CACHE_URL = os.environ.get("CACHE_URL", "")
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
    if CACHE_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}
}
SPECTACULAR_SETTINGS = {
    "TITLE": "povertyapp API",
    "DESCRIPTION": _("县级精准扶贫建档立卡数据接口"),
    "VERSION": "1",
    # Swagger UI from our own static files: county networks are often offline.
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # One schema name per code list, whatever field uses it.
    "ENUM_NAME_OVERRIDES": {
        "HouseholdStatusEnum": "households.choices.Status",
        "EducationEnum": "households.choices.Education",
        "VisitObservationEnum": "visits.choices.Observation",
        "VisitKindEnum": "visits.choices.Kind",
        "ReviewKindEnum": "reviews.choices.Kind",
        "ReviewStateEnum": "reviews.choices.State",
        "StepOutcomeEnum": "reviews.choices.Outcome",
        "ObjectionOutcomeEnum": "reviews.choices.ObjectionOutcome",
        "PovertyLineKindEnum": "exits.models.PovertyLine.Kind",
        "ExitOutcomeEnum": "exits.rules.Outcome",
    },
}

# Celery: without a broker, tasks run eagerly in-process (quick start, unit tests).
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TRACK_STARTED = True
# Workers consume "default" and "imports" (docker-compose.yml); unrouted tasks go to "default".
CELERY_TASK_DEFAULT_QUEUE = "default"
# Identification-round imports have their own queue, so a 100,000-row file never holds up other jobs.
CELERY_TASK_ROUTES = {"identification.tasks.*": {"queue": "imports"}}
# Job tasks are acknowledged when done (povertyapp.jobs.job_task), so a worker reserves one message at a time.
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {
    # Redis hands an unacknowledged message to another worker after this many seconds: longer than any job
    # (a 100,000-row import takes minutes), else a job still running would be delivered twice. A job whose
    # whole worker died is failed by the stale sweep long before, and retried from its page.
    "visibility_timeout": env_int("CELERY_VISIBILITY_TIMEOUT", 6 * 3600),
    # Prefix of every Redis key Celery uses: installations (or test runs) sharing one Redis keep apart.
    "global_keyprefix": os.environ.get("CELERY_KEY_PREFIX", ""),
}
# Background jobs (povertyapp.jobs): a running job with no progress for this many minutes lost its worker and
# is failed; a pending job nobody picked up is failed after the second limit. Checked every two minutes.
JOB_STALE_MINUTES = env_int("JOB_STALE_MINUTES", 10)
JOB_PENDING_STALE_MINUTES = env_int("JOB_PENDING_STALE_MINUTES", 60)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
}

# Review workflow (reviews app): length of the public notice (公示) in days, and the largest scanned page accepted.
REVIEW_NOTICE_DAYS = env_int("REVIEW_NOTICE_DAYS", 7)
REVIEW_ATTACHMENT_MAX_MB = env_int("REVIEW_ATTACHMENT_MAX_MB", 5)

# Exit checks (exits.batch): primary-key chunks written at once on PostgreSQL (one per database core is right).
EXIT_CHECK_WORKERS = env_int("EXIT_CHECK_WORKERS", 2)
# Households per primary-key chunk: one transaction and one progress step each.
EXIT_CHECK_CHUNK_SIZE = env_int("EXIT_CHECK_CHUNK_SIZE", 50_000)

# Celery beat: the county-wide exit check on the 1st of every month at 02:00 (一月一调度); abandoned jobs failed.
CELERY_BEAT_SCHEDULE = {
    "stale-jobs": {
        "task": "povertyapp.tasks.fail_stale_jobs",
        "schedule": crontab(minute="*/2"),
    },
    "nightly-visit-plans": {
        "task": "visits.tasks.schedule_visits",
        "schedule": crontab(minute=30, hour=1),
    },
    "monthly-exit-check": {
        "task": "exits.tasks.monthly_exit_check",
        "schedule": crontab(minute=0, hour=2, day_of_month=1),
    },
}
