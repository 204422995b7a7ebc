"""The one place that decides what a staff member may see and do.

Views declare a *capability* (what kind of page or action it is) with ``capability_required`` or
``CapabilityRequiredMixin``; the area scope (which township's or county's records) comes from
``scope_by_area`` and ``can_access_area``. Nothing else in the code checks roles or areas itself.

- township clerk: their own township only;
- county reviewer / approver / finance officer: their own county only;
- administrator (Django superuser or role ``admin``): the whole city.
"""

from __future__ import annotations

from collections.abc import Callable
from enum import StrEnum
from functools import wraps
from typing import TYPE_CHECKING, Any

from django.contrib.auth.mixins import AccessMixin
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db.models import Model, QuerySet
from django.http import HttpRequest

from .models import COUNTY_ROLES, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser

    from areas.models import County, Township

    from .models import User


class StaffRequest(HttpRequest):
    """A request a capability check let through: its user is a signed-in, active staff account.
    Views behind ``capability_required`` take it, so the services get a ``User`` as their actor."""

    user: User  # type: ignore[assignment]


class Capability(StrEnum):
    TOWNSHIP_WORKBENCH = "township_workbench"  # a township's page
    COUNTY_WORKBENCH = "county_workbench"  # a county's page
    AREA_OVERVIEW = "area_overview"  # all counties and townships of the city
    VIEW_PEOPLE = "view_people"  # beneficiary lists and person records (scoped)
    APPLICATIONS = "applications"  # the application desk / review queue (scoped)
    READ_CASES = (
        "read_cases"  # read a case, its scans and letters (scoped); finance reads what it pays
    )
    INTAKE = "intake"  # take an application at the window, collect materials, tell the result
    SETTLEMENTS = "settlements"  # decisions, settlements and payments (scoped)
    VIEW_AUDIT = "view_audit"  # search the audit trail (scoped)
    IMPORT_IDENTITIES = "import_identities"  # identity and hospital files, push keys (city-wide)
    PAY = "pay"  # build payment batches, export bank files, record the bank's results
    VIEW_POLICIES = "view_policies"  # read the settlement policies and their parameters
    EDIT_POLICIES = "edit_policies"  # add a policy version (city-wide)
    WARNINGS = "warnings"  # illness-poverty warnings and a person's burden (scoped)
    FOLLOW_UP = "follow_up"  # contact, close, or start an application from a warning
    OVERVIEW = "overview"  # 一屏观救助: the county's or city's figures, charts and downloads
    SYSTEM_JOBS = "system_jobs"  # 后台任务: queued tasks waiting for the broker, stuck imports
    CONFIRM_CHANGES = (
        "confirm_changes"  # confirm or refuse a department's change to a person (scoped)
    )
    VERIFY_IDENTITIES = "verify_identities"  # verify a certificate recorded at the window; the 因病致贫 list (scoped)
    RELIEF = "relief"  # 梯次减负: hand-offs, other bodies' help, hospitals' early reports (scoped)
    HANDOFF = "handoff"  # refer a family to another body, record its answer, propose 一事一议
    DECIDE_SPECIAL = "decide_special"  # decide a 一事一议 (a second person)
    EARLY_FOLLOW = "early_follow"  # contact the family of an early report, start its case
    EARLY_UPLOAD = "early_upload"  # take a hospital's file of early reports


GRANTS: dict[Capability, frozenset[Role]] = {
    Capability.TOWNSHIP_WORKBENCH: frozenset({Role.CLERK, *COUNTY_ROLES, Role.ADMIN}),
    Capability.COUNTY_WORKBENCH: frozenset({*COUNTY_ROLES, Role.ADMIN}),
    Capability.AREA_OVERVIEW: frozenset({Role.ADMIN}),
    Capability.VIEW_PEOPLE: frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.ADMIN}),
    Capability.APPLICATIONS: frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.ADMIN}),
    Capability.READ_CASES: frozenset(
        {Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.FINANCE, Role.ADMIN}
    ),
    Capability.INTAKE: frozenset({Role.CLERK}),
    Capability.SETTLEMENTS: frozenset({Role.REVIEWER, Role.APPROVER, Role.FINANCE, Role.ADMIN}),
    Capability.VIEW_AUDIT: frozenset({Role.APPROVER, Role.ADMIN}),
    Capability.IMPORT_IDENTITIES: frozenset({Role.ADMIN}),
    Capability.PAY: frozenset({Role.FINANCE}),
    Capability.VIEW_POLICIES: frozenset({Role.REVIEWER, Role.APPROVER, Role.FINANCE, Role.ADMIN}),
    Capability.EDIT_POLICIES: frozenset({Role.ADMIN}),
    Capability.VERIFY_IDENTITIES: frozenset({Role.REVIEWER}),
    Capability.WARNINGS: frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.ADMIN}),
    Capability.FOLLOW_UP: frozenset({Role.CLERK}),
    Capability.OVERVIEW: frozenset({*COUNTY_ROLES, Role.ADMIN}),
    Capability.SYSTEM_JOBS: frozenset({Role.ADMIN}),
    Capability.CONFIRM_CHANGES: frozenset({Role.CLERK, Role.ADMIN}),
    Capability.RELIEF: frozenset({Role.CLERK, Role.REVIEWER, Role.APPROVER, Role.ADMIN}),
    Capability.HANDOFF: frozenset({Role.REVIEWER, Role.APPROVER}),
    Capability.DECIDE_SPECIAL: frozenset({Role.APPROVER}),
    Capability.EARLY_FOLLOW: frozenset({Role.CLERK}),
    Capability.EARLY_UPLOAD: frozenset({Role.REVIEWER, Role.ADMIN}),
}


def role_of(user: User | AnonymousUser) -> Role | None:
    return user.acting_role if user.is_authenticated else None  # type: ignore[union-attr]


def has_capability(user: User | AnonymousUser, capability: Capability) -> bool:
    role = role_of(user)
    return role is not None and role in GRANTS[capability]


def scoped(user: User | AnonymousUser, rows: QuerySet[Any] | type[Model]) -> QuerySet[Any]:
    """The one way a page restricts rows to the user's area: the model names its way to a township
    and to a county (``area_lookups = (township lookup, county lookup)``, or several such pairs, any
    of which lets the row in), this applies the role (``scope_by_area``)."""
    qs = rows if isinstance(rows, QuerySet) else rows._default_manager.all()
    lookups = qs.model.area_lookups  # type: ignore[union-attr]
    ways = [lookups] if isinstance(lookups[0], str) else lookups  # several ways: any of them
    found = scope_by_area(user, qs, township_id=ways[0][0], county_id=ways[0][1])
    for township_id, county_id in ways[1:]:
        found = found | scope_by_area(user, qs, township_id=township_id, county_id=county_id)
    return found


def scope_by_area(
    user: User | AnonymousUser,
    queryset: QuerySet[Any],
    *,
    township_id: str = "township_id",
    county_id: str = "township__county_id",
) -> QuerySet[Any]:
    """Restrict ``queryset`` to the rows of the user's area.

    ``township_id`` and ``county_id`` are the lookups from a row to its township's and its
    county's id (for a Township queryset: ``"pk"`` and ``"county_id"``).
    """
    role = role_of(user)
    if role is None:
        return queryset.none()
    if role == Role.ADMIN:
        return queryset
    if role == Role.CLERK:
        return queryset.filter(**{township_id: user.township_id})  # type: ignore[union-attr]
    return queryset.filter(**{county_id: user.county_id})  # type: ignore[union-attr]


def can_access_area(
    user: User | AnonymousUser, *, township: Township | None = None, county: County | None = None
) -> bool:
    """May the user see records of this township (or, with no township, of this county)?"""
    role = role_of(user)
    if role is None:
        return False
    if role == Role.ADMIN:
        return True
    if township is not None:
        county_id = township.county_id
        if role == Role.CLERK:
            return township.pk == user.township_id  # type: ignore[union-attr]
        return county_id == user.county_id  # type: ignore[union-attr]
    if county is not None:
        return role in COUNTY_ROLES and county.pk == user.county_id  # type: ignore[union-attr]
    return False


def _refuse(request: Any) -> Any:
    if not request.user.is_authenticated:
        return redirect_to_login(request.get_full_path())
    raise PermissionDenied("您的角色无权访问此页面。")


def capability_required(
    capability: Capability,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Decorator for function views: signed in, active, and the role holds ``capability``."""

    def decorator(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(request: Any, *args: Any, **kwargs: Any) -> Any:
            if not has_capability(request.user, capability):
                return _refuse(request)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


class CapabilityRequiredMixin(AccessMixin):
    """Class-based views: set ``capability``; anonymous users go to the login page, others get 403."""

    capability: Capability

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        if not has_capability(request.user, self.capability):
            return _refuse(request)
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
