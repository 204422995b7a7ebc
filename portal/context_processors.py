"""The navigation each role sees, and the version in the footer."""

from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import reverse

from accounts.access import Capability, has_capability, role_of
from accounts.models import Role, User

from . import help


def _nav(request: HttpRequest) -> list[tuple[str, str]]:
    user = request.user
    role = role_of(user)
    if role is None or not isinstance(user, User):
        return []
    items: list[tuple[str, str]] = []
    if role == Role.CLERK:
        items.append(("本乡镇工作台", reverse("areas:township", args=[user.township_id])))
    elif role == Role.ADMIN:
        items.append(("辖区总览", reverse("areas:overview")))
    else:
        items.append(("本县工作台", reverse("areas:county", args=[user.county_id])))
    if has_capability(user, Capability.APPLICATIONS):
        items.append(
            ("救助申请" if role == Role.CLERK else "审核队列", reverse("applications:index"))
        )
    elif has_capability(user, Capability.READ_CASES):
        items.append(("案件查询", reverse("applications:index")))
    if has_capability(user, Capability.INTAKE):
        from applications.selectors import unread_inbox

        unread = unread_inbox(user).count()
        items.append((f"提醒（{unread}）" if unread else "提醒", reverse("applications:inbox")))
    if has_capability(user, Capability.VIEW_PEOPLE):
        items.append(("救助对象", reverse("beneficiaries:person_list")))
    if has_capability(user, Capability.WARNINGS):
        items.append(("防贫预警", reverse("monitoring:warning_list")))
    if has_capability(user, Capability.RELIEF):
        items.append(
            ("大额费用预报", reverse("relief:early_list"))
            if role_of(user) == Role.CLERK
            else ("梯次减负", reverse("relief:handoff_list"))
        )
    if has_capability(user, Capability.OVERVIEW):
        items.append(("一屏观救助", reverse("monitoring:overview")))
    if has_capability(user, Capability.SETTLEMENTS):
        items.append(("结算与发放", reverse("payments:index")))
    if has_capability(user, Capability.VIEW_POLICIES):
        items.append(("救助政策", reverse("settlements:policy_list")))
    if has_capability(user, Capability.VIEW_AUDIT):
        items.append(("审计日志", reverse("audit:search")))
    return items


def _tools(request: HttpRequest) -> list[tuple[str, str]]:
    """The administrator's tools, in one “管理” menu so that the bar stays on one line at 1280 px."""
    user = request.user
    items: list[tuple[str, str]] = []
    if has_capability(user, Capability.IMPORT_IDENTITIES):
        items.append(("数据导入", reverse("beneficiaries:import_list")))
    if has_capability(user, Capability.SYSTEM_JOBS):
        items.append(("后台任务", reverse("portal:jobs")))
    if role_of(user) == Role.ADMIN:
        items.append(("系统管理（参数、账号、节假日）", reverse("admin:index")))
    return items


def portal(request: HttpRequest) -> dict[str, Any]:
    role = role_of(request.user)
    return {
        "portal_version": settings.PORTAL_VERSION,
        "nav_items": _nav(request),
        "nav_tools": _tools(request),
        "help_url": help.url_for(request),
        "user_role_label": role.label if role else "",
    }
