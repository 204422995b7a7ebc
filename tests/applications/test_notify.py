"""The HTTP SMS backend against a local stand-in for the SMS platform."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer

import pytest

from applications.notify import HttpSmsBackend, NotificationError, get_backend


@pytest.fixture
def gateway():
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        status = 200

        def do_POST(self):
            body = self.rfile.read(int(self.headers["Content-Length"]))
            received.append({"auth": self.headers["Authorization"], **json.loads(body)})
            self.send_response(Handler.status)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}/send", received, Handler
    server.shutdown()


def test_posts_the_message_with_the_token_and_sign(settings, gateway):
    url, received, _ = gateway
    settings.SMS_GATEWAY_URL, settings.SMS_GATEWAY_TOKEN = url, "secret-token"
    settings.NOTIFICATION_BACKEND = "applications.notify.HttpSmsBackend"
    get_backend().send("13800138000", "您的申请已受理")
    assert received == [
        {
            "auth": "Bearer secret-token",
            "phone": "13800138000",
            "text": "您的申请已受理",
            "sign": "医疗救助",
        }
    ]


def test_a_refusal_or_no_gateway_is_a_notification_error(settings, gateway):
    url, _, handler = gateway
    settings.SMS_GATEWAY_URL = url
    handler.status = 503
    with pytest.raises(NotificationError, match="短信网关返回 503"):
        HttpSmsBackend().send("13800138000", "x")
    settings.SMS_GATEWAY_URL = "http://127.0.0.1:9/nothing-here"
    with pytest.raises(NotificationError, match="短信网关不可达"):
        HttpSmsBackend().send("13800138000", "x")
    settings.SMS_GATEWAY_URL = ""
    with pytest.raises(NotificationError, match="未配置短信网关地址"):
        HttpSmsBackend()
