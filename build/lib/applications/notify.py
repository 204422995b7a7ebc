"""The notification gateway: how messages reach applicants (like Django's e-mail backends).

``NOTIFICATION_BACKEND`` names a class with ``send(phone, text)`` that raises
``NotificationError`` on failure:

- ``applications.notify.LoggingBackend`` (default): writes the message to the log, sends nothing;
- ``applications.notify.HttpSmsBackend``: posts JSON ``{"phone", "text", "sign"}`` to
  ``SMS_GATEWAY_URL`` with ``Authorization: Bearer SMS_GATEWAY_TOKEN`` (the shape of a government
  SMS platform's HTTP interface; adapt ``payload`` for another provider).
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request

from django.conf import settings
from django.utils.module_loading import import_string

logger = logging.getLogger("applications.sms")


class NotificationError(Exception):
    pass


class NotificationBackend:
    name = "base"

    def send(self, phone: str, text: str) -> None:  # pragma: no cover - interface
        raise NotImplementedError


class LoggingBackend(NotificationBackend):
    name = "logging"

    def send(self, phone: str, text: str) -> None:
        logger.info("SMS to %s****%s: %s", phone[:3], phone[-4:], text)


class HttpSmsBackend(NotificationBackend):
    name = "http-sms"

    def __init__(self) -> None:
        if not settings.SMS_GATEWAY_URL:
            raise NotificationError("未配置短信网关地址 SMS_GATEWAY_URL")
        self.url = settings.SMS_GATEWAY_URL
        self.token = settings.SMS_GATEWAY_TOKEN
        self.sign = settings.SMS_SIGN

    def payload(self, phone: str, text: str) -> dict[str, str]:
        return {"phone": phone, "text": text, "sign": self.sign}

    def send(self, phone: str, text: str) -> None:
        request = urllib.request.Request(  # noqa: S310 - the URL is the administrator's setting
            self.url,
            data=json.dumps(self.payload(phone, text), ensure_ascii=False).encode("utf-8"),
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "Authorization": f"Bearer {self.token}",
            },
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=settings.SMS_GATEWAY_TIMEOUT) as response:  # noqa: S310
                if not 200 <= response.status < 300:
                    raise NotificationError(f"短信网关返回 {response.status}")
        except urllib.error.HTTPError as exc:
            raise NotificationError(f"短信网关返回 {exc.code}") from None
        except (urllib.error.URLError, TimeoutError, OSError) as exc:
            raise NotificationError(f"短信网关不可达：{exc}") from None


def get_backend() -> NotificationBackend:
    backend: NotificationBackend = import_string(settings.NOTIFICATION_BACKEND)()
    return backend
