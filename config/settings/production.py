"""Production: PostgreSQL, Redis, gunicorn behind a TLS-terminating proxy.

Required: SECRET_KEY, DATABASE_URL, CELERY_BROKER_URL, CACHE_URL, ALLOWED_HOSTS, and the keys of the
encrypted identifiers (FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY, or PORTAL_KEY_FILE). Start-up
stops when one is missing (django-environ raises ImproperlyConfigured). CACHE_URL is required because the
status page's rate limits must be shared by every gunicorn worker (a per-process cache lets most
tries through).
"""

from django.core.exceptions import ImproperlyConfigured

from .base import *  # noqa: F403
from .base import (
    BLIND_INDEX_KEY,
    DATABASES,
    FIELD_ENCRYPTION_KEYS,
    MIDDLEWARE,
    PORTAL_KEY_FILE,
    cache_config,
    env,
)

DEBUG = False
DEMO_DATA_ALLOWED = False
SECRET_KEY = env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS")
# the address printed on receipts and letters (status link and QR code): never the request's host
PORTAL_PUBLIC_URL = env("PORTAL_PUBLIC_URL")
if not PORTAL_KEY_FILE and not (FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY):
    raise ImproperlyConfigured(
        "Set FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY, or PORTAL_KEY_FILE: the keys of the encrypted "
        "ID and account numbers (docs/security.md; `manage.py rotate_keys --generate`)."
    )
DATABASES["default"] = env.db("DATABASE_URL")
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
CELERY_BROKER_URL = env("CELERY_BROKER_URL")  # base already bounded its timeouts
CACHES = {"default": cache_config(env.cache("CACHE_URL"))}

# The rate-limit cache is shared in production, so django-ratelimit's E003 (cache not shared) is
# no longer silenced. W001 only says our backend is not on its list: it is Django's RedisCache
# (atomic INCR) with a fallback (core.cache).
SILENCED_SYSTEM_CHECKS = ["axes.W006", "django_ratelimit.W001"]

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=True)

# WhiteNoise serves the collected, hashed and compressed static files from gunicorn itself.
MIDDLEWARE = [MIDDLEWARE[0], "whitenoise.middleware.WhiteNoiseMiddleware", *MIDDLEWARE[1:]]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}
