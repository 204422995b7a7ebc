"""Local development: `make run`. No variable needed."""

from .base import *  # noqa: F403
from .base import env

# Off by default, so that a township office can be let in (HOST=0.0.0.0) without Django's debug
# pages showing the URL conf and settings to a clerk who guesses a URL; DEBUG=true for development.
DEBUG = env.bool("DEBUG", default=False)
SECRET_KEY = env("SECRET_KEY", default="dev-only-insecure-key-not-for-production-use-0123456789")
