"""Local development: `make run`. No variable needed."""

from .base import *  # noqa: F403
from .base import VAR_DIR, env

# Off by default, so that a township office can be let in (HOST=0.0.0.0) without Django's debug
# pages showing the URL conf and settings to a clerk who guesses a URL; DEBUG=true for development.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-not-for-production-use-0123456789")

# The keys of the encrypted identifiers: var/keys.json, made (mode 0600) on the first start unless
# FIELD_ENCRYPTION_KEYS / BLIND_INDEX_KEY or PORTAL_KEY_FILE say otherwise. Losing the file loses
# the ID and account numbers of the development database.
PORTAL_KEY_FILE = env("PORTAL_KEY_FILE", default=str(VAR_DIR / "keys.json"))
PORTAL_KEY_FILE_CREATE = True
