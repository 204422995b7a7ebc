"""Sign-in events from django.contrib.auth and django-axes, written to the audit trail."""

from typing import Any

from axes.signals import user_locked_out
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from audit.events import Event
from audit.services import record


@receiver(user_logged_in)
def _logged_in(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    record(actor=user, event=Event.LOGGED_IN, summary="登录成功")


@receiver(user_logged_out)
def _logged_out(sender: Any, request: Any, user: Any, **kwargs: Any) -> None:
    if user is not None:
        record(actor=user, event=Event.LOGGED_OUT, summary="退出登录")


@receiver(user_login_failed)
def _login_failed(
    sender: Any, credentials: dict[str, Any], request: Any = None, **kwargs: Any
) -> None:
    record(
        actor=None,
        event=Event.LOGIN_FAILED,
        username=str(credentials.get("username", "")),
        summary="登录失败：用户名或密码错误",
    )


@receiver(user_locked_out)
def _locked_out(sender: Any, request: Any, username: str | None = None, **kwargs: Any) -> None:
    record(
        actor=None,
        event=Event.LOCKED_OUT,
        username=username or "",
        summary="连续登录失败，账号已被临时锁定",
    )
