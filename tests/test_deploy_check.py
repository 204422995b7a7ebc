"""Production settings: `check --deploy` is clean, and missing secrets stop start-up."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

PRODUCTION_ENV = {
    "DJANGO_SETTINGS_MODULE": "config.settings.production",
    "SECRET_KEY": "k3#v9!qz$2m@x7&w8^p5*r1(t6)y4_u0+i-o=a[s]d{f}g|h;j:l,z.x/c?v<b>n",
    "ALLOWED_HOSTS": "portal.example.gov.cn",
    "PORTAL_PUBLIC_URL": "https://portal.example.gov.cn",
    "DATABASE_URL": "postgres://medassist:secret@127.0.0.1:5432/medassist",
    "CELERY_BROKER_URL": "redis://127.0.0.1:6379/0",
    "CACHE_URL": "redis://127.0.0.1:6379/1",
    "FIELD_ENCRYPTION_KEYS": "p1:aes256gcm:cHJvZC1jaGVjay1maWVsZC1rZXktMDEyMzQ1Njc4OWE=",
    "BLIND_INDEX_KEY": "cHJvZC1jaGVjay1pbmRleC1rZXktMDEyMzQ1Njc4OWE=",
}
KEY_VARIABLES = {"FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY", "PORTAL_KEY_FILE"}


def _manage(*args, env):
    clean = {
        k: v
        for k, v in os.environ.items()
        if k
        not in {
            "DATABASE_URL",
            "CELERY_BROKER_URL",
            "CACHE_URL",
            "SECRET_KEY",
            "DJANGO_ALLOW_ASYNC_UNSAFE",
            *KEY_VARIABLES,
        }
    }
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_check_deploy_on_production_settings_is_clean():
    result = _manage("check", "--deploy", "--fail-level", "WARNING", env=PRODUCTION_ENV)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_production_refuses_to_start_without_secret_key():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "SECRET_KEY"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "SECRET_KEY" in result.stderr


def test_production_refuses_to_start_without_database_url():
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != "DATABASE_URL"}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "DATABASE_URL" in result.stderr


@pytest.mark.parametrize(
    "missing", ["CACHE_URL", "CELERY_BROKER_URL", "ALLOWED_HOSTS", "PORTAL_PUBLIC_URL"]
)
def test_production_refuses_to_start_without_a_setting_it_needs(missing):
    """Without CACHE_URL the status page's limits leaked across gunicorn workers (19 of 24 tries)."""
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert f"Set the {missing} environment variable" in result.stderr


@pytest.mark.parametrize("missing", ["FIELD_ENCRYPTION_KEYS", "BLIND_INDEX_KEY"])
def test_production_refuses_to_start_without_the_keys_of_the_encrypted_identifiers(missing):
    env = {k: v for k, v in PRODUCTION_ENV.items() if k != missing}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "Set FIELD_ENCRYPTION_KEYS and BLIND_INDEX_KEY, or PORTAL_KEY_FILE" in result.stderr


def test_a_malformed_key_stops_the_check():
    env = {**PRODUCTION_ENV, "FIELD_ENCRYPTION_KEYS": "p1:aes256gcm:c2hvcnQ="}
    result = _manage("check", env=env)
    assert result.returncode != 0
    assert "core.E001" in result.stderr


def test_a_key_file_made_without_settings_is_enough(tmp_path):
    """`python -m core.crypto > keys.json` needs neither settings nor a database."""
    made = subprocess.run(
        [sys.executable, "-m", "core.crypto"], cwd=ROOT, capture_output=True, text=True, timeout=60,
        env={k: v for k, v in os.environ.items() if k != "DJANGO_SETTINGS_MODULE"},
    )  # fmt: skip
    assert made.returncode == 0, made.stderr
    keys = tmp_path / "keys.json"
    keys.write_text(made.stdout)
    env = {k: v for k, v in PRODUCTION_ENV.items() if k not in KEY_VARIABLES}
    result = _manage("check", env={**env, "PORTAL_KEY_FILE": str(keys)})
    assert result.returncode == 0, result.stderr


def test_production_refuses_a_cache_that_gunicorn_workers_do_not_share():
    result = _manage("check", "--deploy", env={**PRODUCTION_ENV, "CACHE_URL": "locmemcache://"})
    assert result.returncode != 0
    assert "django_ratelimit.E003" in result.stderr


def test_seed_demo_refuses_to_run_in_production():
    result = _manage("seed_demo", env=PRODUCTION_ENV)
    assert result.returncode != 0
