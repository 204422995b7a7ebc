"""A wheel (or non-editable install) of the portal holds every app it runs (monitoring was left out)."""

import tomllib
from fnmatch import fnmatch
from pathlib import Path

from django.conf import settings

ROOT = Path(__file__).resolve().parent.parent


def test_every_app_of_the_portal_is_in_the_package_list():
    config = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    include = config["tool"]["setuptools"]["packages"]["find"]["include"]
    ours = [app for app in settings.INSTALLED_APPS if (ROOT / app / "apps.py").exists()]
    assert "monitoring" in ours and "core" in ours
    missing = [app for app in [*ours, "config"] if not any(fnmatch(app, p) for p in include)]
    assert missing == []
