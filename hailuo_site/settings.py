"""Hailuo Studio settings: every knob comes from the environment (see README, "Configuration")."""

import ipaddress
import os
import secrets
from pathlib import Path
from typing import Any

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

# What the studio writes (the SQLite database and its WAL, media, secrets) is readable by it alone.
os.umask(0o077)

BASE_DIR = Path(__file__).resolve().parent.parent
# Local state that must never be committed: the SQLite database, media, the generated secret key.
VAR_DIR = Path(os.environ.get("STUDIO_VAR_DIR", BASE_DIR / "var"))


def env_bool(name: str, default: bool = False) -> bool:
    """A yes/no setting; a value it does not know stops the studio rather than meaning "no"."""
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    word = value.strip().lower()
    if word in {"1", "true", "yes", "on"}:
        return True
    if word in {"0", "false", "no", "off"}:
        return False
    raise ImproperlyConfigured(
        f"{name}={value!r} is not a yes/no value: use 1/0, true/false, yes/no or on/off."
    )


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def stored_secret(name: str, make) -> str:
    """A secret from the environment variable `name`, else one made once and kept in var/."""
    if value := os.environ.get(name):
        return value
    secret_file = VAR_DIR / name.lower()
    if secret_file.exists():
        return secret_file.read_text().strip()
    VAR_DIR.mkdir(mode=0o700, parents=True, exist_ok=True)
    value = make()
    secret_file.write_text(value)
    secret_file.chmod(0o600)
    return value


SECRET_KEY = stored_secret("SECRET_KEY", lambda: secrets.token_urlsafe(50))
DEBUG = env_bool("DEBUG")
ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1]")
PUBLIC_URL = os.environ.get("PUBLIC_URL", "").rstrip("/")
if PUBLIC_URL:
    CSRF_TRUSTED_ORIGINS = [PUBLIC_URL]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.humanize",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    # Before django_q: its `qcluster` command is the studio's (generations/management/commands).
    "generations",
    "django_q",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "generations.middleware.RefuseUnusableInput",
    # A signed-in member's "last seen", written at most once a minute (generations/last_seen.py).
    "generations.last_seen.NoteLastSeen",
]

ROOT_URLCONF = "hailuo_site.urls"
WSGI_APPLICATION = "hailuo_site.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "generations.context_processors.studio",
                "generations.context_processors.approvals",
            ],
        },
    },
]

# Database: SQLite in WAL mode by default; DATABASE_URL=postgresql://... for a larger team.
SQLITE_OPTIONS = {
    "init_command": "PRAGMA journal_mode=WAL;PRAGMA synchronous=NORMAL",
    "transaction_mode": "IMMEDIATE",
    "timeout": 20,
}
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"), conn_max_age=600
    )
}
# Connections are kept between requests (a new SQLite one costs more than the queries most
# requests make); a broken one is replaced at the next request.
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["OPTIONS"] = SQLITE_OPTIONS
    # A file, not shared-cache memory: the pipeline's tests run trackers in threads, and shared
    # cache locks tables without honouring the busy timeout.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-db.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "studio"
LOGOUT_REDIRECT_URL = "login"
# A password-reset link staff make on the team page works once, for 24 hours.
PASSWORD_RESET_TIMEOUT = 24 * 60 * 60

LANGUAGE_CODE = "en-us"
TIME_ZONE = os.environ.get("TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(os.environ.get("STATIC_ROOT", BASE_DIR / "staticfiles"))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
STORAGES: dict[str, dict[str, Any]] = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# Media in an S3-compatible bucket (AWS, MinIO, R2, SeaweedFS...) when one is named, under
# django-storages' own variable names: every machine then sees the same clips. The keys stay in
# the environment, where boto3 reads them; they never enter settings (or an error page).
if AWS_STORAGE_BUCKET_NAME := os.environ.get("AWS_STORAGE_BUCKET_NAME", ""):
    STORAGES["default"] = {
        "BACKEND": "generations.s3_storage.S3MediaStorage",
        "OPTIONS": {
            "bucket_name": AWS_STORAGE_BUCKET_NAME,
            "endpoint_url": os.environ.get("AWS_S3_ENDPOINT_URL") or None,
            "region_name": os.environ.get("AWS_S3_REGION_NAME") or None,
        },
    }
# Uploads larger than this spill to disk instead of memory; the form caps images at 20 MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Django's default (0o644) would make every stored clip and first frame world-readable anyway.
FILE_UPLOAD_PERMISSIONS = 0o600
FILE_UPLOAD_DIRECTORY_PERMISSIONS = 0o700

# Security: https-only cookies and HSTS whenever the studio is published over https.
SECURE_HTTPS = PUBLIC_URL.startswith("https://")
SESSION_COOKIE_SECURE = CSRF_COOKIE_SECURE = SECURE_HTTPS
SECURE_SSL_REDIRECT = SECURE_HTTPS and env_bool("SECURE_SSL_REDIRECT", True)
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https") if SECURE_HTTPS else None
SECURE_HSTS_SECONDS = 60 * 60 * 24 * 30 if SECURE_HTTPS else 0
SECURE_HSTS_INCLUDE_SUBDOMAINS = SECURE_HTTPS
SECURE_HSTS_PRELOAD = SECURE_HTTPS
# Reverse proxies whose X-Forwarded-For names the client (addresses or networks; nginx on this
# machine: 127.0.0.1). Login throttling counts per client address (generations/throttle.py).
TRUSTED_PROXIES = [
    str(ipaddress.ip_network(p, strict=False)) for p in env_list("TRUSTED_PROXIES", "")
]
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:", "blob:"],
    "media-src": [CSP.SELF, "blob:"],
    "object-src": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
}
# Error mails and the debug page hide the Apiframe keys wherever they appear, not only in settings.
DEFAULT_EXCEPTION_REPORTER_FILTER = "generations.error_reports.SecretScrubbingFilter"
# Failed logins are counted where every web worker sees them (generations/throttle.py): Redis when
# REDIS_URL is set, else a database table that `migrate` creates (generations/apps.py).
CACHES = {
    "default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
    "login_attempts": (
        {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ["REDIS_URL"],
            "KEY_PREFIX": "hailuo",
        }
        if os.environ.get("REDIS_URL")
        else {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "studio_login_attempts",
            # Room for a flood of guesses: culling at the default 300 would forget real counts.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    ),
}

# Apiframe. Without a key the studio talks to its built-in simulator (started by `make run`).
APIFRAME_API_KEY = os.environ.get("APIFRAME_API_KEY", "")
APIFRAME_SIMULATED = not APIFRAME_API_KEY
SIMULATOR_PORT = int(os.environ.get("SIMULATOR_PORT", "8765"))
# Per install, never published: it also signs the simulator's webhooks.
SIMULATOR_API_KEY = stored_secret("SIMULATOR_API_KEY", lambda: "afk_sim_" + secrets.token_hex(16))
if APIFRAME_SIMULATED:
    APIFRAME_API_KEY = SIMULATOR_API_KEY
APIFRAME_BASE_URL = os.environ.get(
    "APIFRAME_BASE_URL",
    f"http://127.0.0.1:{SIMULATOR_PORT}" if APIFRAME_SIMULATED else "https://api.apiframe.ai",
).rstrip("/")
APIFRAME_TIMEOUT_SECONDS = float(os.environ.get("APIFRAME_TIMEOUT_SECONDS", "15"))

# django-q2: the ORM broker by default (one command runs everything), Redis when REDIS_URL is set.
REDIS_URL = os.environ.get("REDIS_URL", "")
Q_CLUSTER = {
    # Clusters sharing a broker share this name; two studios on one Redis need different ones.
    "name": os.environ.get("Q_CLUSTER_NAME", "hailuo"),
    "workers": int(os.environ.get("Q_WORKERS", "4")),
    # The pipeline's tracker runs for just under a minute per task; give it room.
    "timeout": 120,
    "retry": 180,
    "max_attempts": 1,
    "save_limit": 500,
    "ack_failures": True,
    "catch_up": False,
    "poll": 0.2,
    "label": "Task queue",
}
if REDIS_URL:
    Q_CLUSTER["redis"] = REDIS_URL
else:
    Q_CLUSTER["orm"] = "default"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"httpx": {"level": "WARNING"}, "httpcore": {"level": "WARNING"}},
}

# The generation pipeline.
GENERATION_DEADLINE_SECONDS = int(os.environ.get("GENERATION_DEADLINE_SECONDS", str(15 * 60)))
# What Apiframe needs per clip before the first finished job teaches the tracker better.
EXPECTED_JOB_SECONDS = float(os.environ.get("EXPECTED_JOB_SECONDS", "90"))
MAX_CLIP_BYTES = int(os.environ.get("MAX_CLIP_BYTES", str(300 * 1024 * 1024)))

# `make run`: the first staff user, and the port the web server listens on.
STUDIO_ADMIN_USER = os.environ.get("STUDIO_ADMIN_USER", "admin")
STUDIO_ADMIN_PASSWORD = os.environ.get("STUDIO_ADMIN_PASSWORD", "")
STUDIO_PORT = int(os.environ.get("STUDIO_PORT") or os.environ.get("PORT") or "8000")
