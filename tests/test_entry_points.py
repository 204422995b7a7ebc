"""Every entry point runs the settings that ``.env`` names, with nothing else in the environment.

An install laid out as docs/production.md says (the source with an ``.env`` beside
``manage.py``) is made in a scratch folder, and each entry point is started there with an
environment that holds only ``PATH`` and ``HOME``: ``manage.py``, gunicorn (WSGI) and Celery.
Before config/environment.py, Celery's import set the development settings before ``.env`` was
read, so gunicorn served plain HTTP and ``manage.py`` made a key file next to the database.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from tests.stack import free_port

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
PACKAGES = ["core", "accounts", "areas", "audit", "portal", "beneficiaries", "applications",
            "settlements", "payments", "relief", "monitoring", "templates", "static", "locale",
            "docs"]  # fmt: skip

PRODUCTION_DOTENV = """\
DJANGO_SETTINGS_MODULE=config.settings.production
SECRET_KEY=k3v9qz2mx7w8p5r1t6y4u0iosdfghjlzxcvbn-entry-points-test
ALLOWED_HOSTS=127.0.0.1,localhost
PORTAL_PUBLIC_URL=https://127.0.0.1
DATABASE_URL=postgres://medassist:secret@127.0.0.1:9/medassist
CELERY_BROKER_URL=redis://127.0.0.1:9/0
CACHE_URL=redis://127.0.0.1:9/1
FIELD_ENCRYPTION_KEYS=p1:aes256gcm:cHJvZC1jaGVjay1maWVsZC1rZXktMDEyMzQ1Njc4OWE=
BLIND_INDEX_KEY=cHJvZC1jaGVjay1pbmRleC1rZXktMDEyMzQ1Njc4OWE=
"""
PRINT_SETTINGS = (
    "from django.conf import settings; "
    "print(settings.SETTINGS_MODULE, settings.SECURE_SSL_REDIRECT, "
    "settings.DATABASES['default']['ENGINE'])"
)


@pytest.fixture
def install(tmp_path: Path) -> Path:
    """The portal's source as an operator unpacks it: its own ``config`` (the folder whose
    parent is BASE_DIR), the apps beside it, no ``.env`` yet."""
    app = tmp_path / "app"
    app.mkdir()
    shutil.copytree(ROOT / "config", app / "config", ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("manage.py", "pyproject.toml"):
        shutil.copy(ROOT / name, app / name)
    for name in PACKAGES:
        (app / name).symlink_to(ROOT / name)
    return app


def bare_env(**extra: str) -> dict[str, str]:
    """Only what a login shell has: no DJANGO_SETTINGS_MODULE, no DATABASE_URL, no keys."""
    return {"PATH": f"{BIN}:/usr/bin:/bin", "HOME": os.environ.get("HOME", "/root"), **extra}


def run(app: Path, *args: str, env: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        args, cwd=app, env=env or bare_env(), capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def manage_settings(app: Path, env: dict[str, str] | None = None) -> str:
    out = run(app, sys.executable, "manage.py", "shell", "--no-imports", "-c", PRINT_SETTINGS,
              env=env)  # fmt: skip
    return out.strip().splitlines()[-1]


def celery_report(app: Path) -> str:
    return run(app, str(BIN / "celery"), "-A", "config", "report")


@contextlib.contextmanager
def gunicorn(app: Path):
    port = free_port()
    proc = subprocess.Popen(
        [str(BIN / "gunicorn"), "config.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", "1"],
        cwd=app,
        env=bare_env(),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 0.2):
                break
            time.sleep(0.1)
        yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(proc.pid, signal.SIGTERM)
        proc.wait(15)


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def healthz(base: str) -> tuple[int, str, str]:
    """The status, Location and body of a plain-HTTP /healthz (the first request may wait for
    the worker to load Django)."""
    opener = urllib.request.build_opener(NoRedirect())
    try:
        with opener.open(f"{base}/healthz", timeout=60) as response:
            return response.status, response.headers.get("Location", ""), response.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("Location", ""), exc.read().decode()


def test_with_only_a_dotenv_every_entry_point_runs_the_production_settings(install):
    (install / ".env").write_text(PRODUCTION_DOTENV)

    assert manage_settings(install) == (
        "config.settings.production True django.db.backends.postgresql"
    )
    assert not (install / "var" / "keys.json").exists()  # no development key file made

    report = celery_report(install)  # what `celery -A config worker` / `beat` load
    assert "SETTINGS_MODULE: 'config.settings.production'" in report
    assert "transport:redis" in report

    with gunicorn(install) as base:
        status, location, _ = healthz(base)
    # production: plain HTTP is never served, it is sent to HTTPS
    assert status == 301
    assert location == base.replace("http://", "https://") + "/healthz"


def test_without_a_dotenv_the_entry_points_run_the_development_settings(install):
    """The same three without ``.env``: the embedded default (what ``make run`` starts)."""
    assert manage_settings(install) == "config.settings.dev False django.db.backends.sqlite3"
    report = celery_report(install)
    assert "SETTINGS_MODULE: 'config.settings.dev'" in report
    assert "transport:filesystem" in report
    with gunicorn(install) as base:
        status, _, body = healthz(base)
    assert status == 503  # served over plain HTTP, and says why it is not ready
    assert '"database": "not migrated: run manage.py migrate"' in body


def test_the_environment_wins_over_the_dotenv(install):
    (install / ".env").write_text(PRODUCTION_DOTENV)
    env = bare_env(DJANGO_SETTINGS_MODULE="config.settings.dev", DATABASE_URL="sqlite:///:memory:")
    assert manage_settings(install, env) == "config.settings.dev False django.db.backends.sqlite3"
