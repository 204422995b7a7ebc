"""The test suite. DATABASE_URL / CELERY_BROKER_URL pick the back end (see scripts/test-all)."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import CELERY_BROKER_URL, DATABASES, VAR_DIR, broker_transport_options, env

DEBUG = False
SECRET_KEY = "test-only-key-0123456789-abcdefghijklmnopqrstuvwxyz"  # noqa: S105
# Fixed test-only keys, shared by the worker, beat and gunicorn processes a test starts.
FIELD_ENCRYPTION_KEYS = ["t1:aes256gcm:dGVzdC1vbmx5LWZpZWxkLWtleS0wMTIzNDU2Nzg5YWI="]
BLIND_INDEX_KEY = "dGVzdC1vbmx5LWJsaW5kLWluZGV4LWtleS0wMTIzNDU="
PORTAL_KEY_FILE = ""
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # speed; tests only
ALLOWED_HOSTS = ["*"]

if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory, so that real Celery worker/beat processes can share the test database.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test.sqlite3")}

# Per test run unless given (Celery processes started by a test get the test process's folders).
MEDIA_ROOT = Path(env("MEDIA_ROOT", default="") or tempfile.mkdtemp(prefix="medassist-media-"))
# (made only when not given: every worker, gunicorn and manage.py a test starts is given the test's)
CELERY_FILESYSTEM_DIR = Path(
    env("CELERY_FILESYSTEM_DIR", default="") or tempfile.mkdtemp(prefix="celery-")
)
CELERY_BROKER_TRANSPORT_OPTIONS = broker_transport_options(CELERY_BROKER_URL, CELERY_FILESYSTEM_DIR)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
