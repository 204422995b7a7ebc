"""Staff accounts: created and changed only here, each change in the audit trail."""

from __future__ import annotations

from django.contrib.auth.password_validation import validate_password
from django.db import transaction

from areas.models import County, Township
from audit.events import Event
from audit.services import record, save_audited

from .models import Role, User


@transaction.atomic
def staff_create(
    *,
    actor: User | None,
    username: str,
    password: str,
    role: Role,
    township: Township | None = None,
    county: County | None = None,
    full_name: str = "",
    phone: str = "",
    validate: bool = True,
) -> User:
    """Create a staff account bound to its role and area. Passwords go through the validators."""
    user = User(username=username, role=role, township=township, county=county, phone=phone)
    user.first_name = full_name
    if role == Role.ADMIN:
        user.is_staff = user.is_superuser = True
    if validate:
        validate_password(password, user)
    user.set_password(password)
    save_audited(instance=user, actor=actor, summary=f"新建工作人员账号（{Role(role).label}）")
    return user


@transaction.atomic
def staff_save(*, user: User, actor: User) -> User:
    """Save changes made to an account (role, area, active flag, name …)."""
    user.is_staff = user.is_superuser = user.role == Role.ADMIN or user.is_superuser
    save_audited(instance=user, actor=actor)
    return user


@transaction.atomic
def staff_set_password(*, user: User, actor: User, password: str) -> User:
    validate_password(password, user)
    user.set_password(password)
    user.save(update_fields=["password"])
    record(actor=actor, event=Event.STAFF_PASSWORD_SET, target=user, summary="重设密码")
    return user
