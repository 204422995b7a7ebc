"""Stand-ins for the outside SMS gateway (not for any of our own components)."""

from applications.notify import NotificationBackend, NotificationError

SENT: list[tuple[str, str]] = []


class RecordingBackend(NotificationBackend):
    name = "recording"

    def send(self, phone: str, text: str) -> None:
        SENT.append((phone, text))


class DownBackend(NotificationBackend):
    name = "down"

    def send(self, phone: str, text: str) -> None:
        raise NotificationError("短信网关返回 503")
