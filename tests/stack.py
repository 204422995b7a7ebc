"""The whole portal as separate processes, for tests of faults: gunicorn (web), a Celery worker
and beat, on the test database, with the broker and cache the test chooses. ``Visitor`` is a
plain HTTP client (cookies, CSRF, multipart) that times every request it makes."""

from __future__ import annotations

import contextlib
import http.cookiejar
import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings

from tests.celery_processes import ROOT, celery_processes, test_database_url

GUNICORN = str(Path(sys.executable).with_name("gunicorn"))
REDIS = "redis-server"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Redis:
    """A private redis-server on a free loopback port: stopped, hung and brought back at will."""

    def __init__(self, folder: Path) -> None:
        self.port = free_port()
        self.folder = folder
        self.proc: subprocess.Popen[bytes] | None = None

    def url(self, db: int) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        self.proc = subprocess.Popen(
            [
                REDIS,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.folder),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with (
                contextlib.suppress(OSError),
                socket.create_connection(("127.0.0.1", self.port), 0.2),
            ):
                return
            time.sleep(0.05)
        raise AssertionError("redis-server did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.terminate()
            self.proc.wait(10)
            self.proc = None

    def hang(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGSTOP)  # accepts connections (the kernel), answers nothing

    def wake(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGCONT)


@dataclass
class Hit:
    method: str
    path: str
    status: int
    seconds: float


@dataclass
class Visitor:
    """One person's browser without a browser: cookies, CSRF tokens, timings."""

    base: str
    hits: list[Hit] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.jar = http.cookiejar.CookieJar()

        class NoRedirect(urllib.request.HTTPRedirectHandler):
            def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
                return None

        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(self.jar), NoRedirect()
        )

    def _open(
        self, method: str, path: str, body: bytes | None, headers: dict[str, str]
    ) -> tuple[int, str, dict[str, str]]:
        request = urllib.request.Request(
            self.base + path, data=body, method=method, headers=headers
        )
        started = time.monotonic()
        try:
            with self.opener.open(request, timeout=60) as response:
                status, text, hdrs = (
                    response.status,
                    response.read().decode("utf-8", "replace"),
                    dict(response.headers),
                )
        except urllib.error.HTTPError as exc:
            status, text, hdrs = exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)
        self.hits.append(Hit(method, path, status, time.monotonic() - started))
        return status, text, hdrs

    def get(self, path: str) -> tuple[int, str]:
        status, text, _ = self._open("GET", path, None, {})
        return status, text

    def csrf(self, path: str) -> str:
        _, page = self.get(path)
        match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
        assert match, f"no form on {path}"
        return match.group(1)

    def post(self, path: str, data: dict[str, str], *, form_from: str | None = None,
             files: dict[str, tuple[str, bytes]] | None = None) -> tuple[int, str, str]:  # fmt: skip
        """POST with the CSRF token of the page ``form_from`` (default: the same path).
        Returns status, body and the Location header."""
        data = {"csrfmiddlewaretoken": self.csrf(form_from or path), **data}
        headers = {"Referer": self.base + (form_from or path)}
        if files:
            boundary = uuid.uuid4().hex
            parts = []
            for name, value in data.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n{value}\r\n'.encode()
                )
            for name, (filename, content) in files.items():
                parts.append(
                    f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; filename="{filename}"\r\n'
                    f"Content-Type: application/octet-stream\r\n\r\n".encode()
                    + content
                    + b"\r\n"
                )
            body = b"".join(parts) + f"--{boundary}--\r\n".encode()
            headers["Content-Type"] = f"multipart/form-data; boundary={boundary}"
        else:
            body = urllib.parse.urlencode(data).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        status, text, hdrs = self._open("POST", path, body, headers)
        return status, text, hdrs.get("Location", "")

    def sign_in(self, username: str, password: str) -> None:
        status, _, location = self.post(
            "/accounts/login/", {"username": username, "password": password}
        )
        assert status == 302 and "/accounts/login/" not in location, f"sign-in of {username} failed"


def wait_for(check, what: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"not done within {seconds} s: {what}")


@contextlib.contextmanager
def portal_stack(tmp_path: Path, env: dict[str, str]) -> Iterator[str]:
    """gunicorn (2 workers) + worker + beat on the test database; yields the base URL."""
    port = free_port()
    full_env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "config.settings.test",
        "DATABASE_URL": test_database_url(),
        "CELERY_FILESYSTEM_DIR": str(settings.CELERY_FILESYSTEM_DIR),
        "MEDIA_ROOT": str(settings.MEDIA_ROOT),
        **env,
    }
    log = (tmp_path / "web.log").open("a")
    web = subprocess.Popen(
        [
            GUNICORN,
            "-c",
            "config/gunicorn_conf.py",
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--graceful-timeout",
            "5",
            "--access-logfile",
            str(tmp_path / "access.log"),
        ],
        cwd=ROOT,
        env=full_env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        with celery_processes(tmp_path, beat=True, extra_env=env):
            deadline = time.monotonic() + 30
            while time.monotonic() < deadline:
                with (
                    contextlib.suppress(OSError),
                    socket.create_connection(("127.0.0.1", port), 0.2),
                ):
                    break
                time.sleep(0.1)
            yield f"http://127.0.0.1:{port}"
    finally:
        os.killpg(web.pid, signal.SIGTERM)
        try:
            web.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(web.pid, signal.SIGKILL)
        log.close()
