import json

import pytest

from config.celery import app as celery_app


def test_healthz_reports_database_and_broker_without_signing_in(db, client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    body = json.loads(response.content)
    assert body["status"] == "ok"
    assert body["database"] == "ok"
    assert body["broker"] == "ok"
    assert body["worker_last_seen"] is None


def test_healthz_says_when_the_broker_is_unreachable(db, client, monkeypatch):
    original = celery_app.conf.broker_url
    # Celery reads CELERY_BROKER_URL from the environment before its own setting.
    monkeypatch.setenv("CELERY_BROKER_URL", "redis://127.0.0.1:1/0")  # nothing listens on port 1
    celery_app.conf.broker_url = "redis://127.0.0.1:1/0"
    try:
        body = client.get("/healthz").json()
    finally:
        celery_app.conf.broker_url = original
    assert body["database"] == "ok"
    assert body["broker"] == "unreachable"


@pytest.mark.parametrize("method", ["post", "put", "delete"])
def test_healthz_is_read_only(db, client, method):
    assert getattr(client, method)("/healthz").status_code == 405


def test_healthz_fails_when_the_static_manifest_is_missing(db, client, settings, tmp_path):
    """Production once served 500 on every page (no manifest) while /healthz said ok."""
    settings.STATIC_ROOT = tmp_path / "static"  # collectstatic never ran here
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert (body["status"], body["static"], body["database"]) == (
        "error",
        "manifest missing: run collectstatic",
        "ok",
    )


def test_healthz_says_ok_once_collectstatic_has_run(db, client, settings, tmp_path):
    from django.core.management import call_command

    settings.STATIC_ROOT = tmp_path / "static"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    }
    call_command("collectstatic", "--noinput", verbosity=0)  # the vendored files all resolve
    assert client.get("/healthz").json()["static"] == "ok"
