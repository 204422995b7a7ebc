"""Every write to the registry, by room: ``people`` (people and households), ``changes`` (the
departments' change requests), ``uploads`` and ``jobs`` (a file's import: checked, then applied, by
a worker), ``kinds`` (the kinds of file the runner takes) and ``push`` (the departments' systems)."""

from ..changes import changes_supersede, person_change_decide
from .feed import platform_feed_collect, system_import_create
from .jobs import (
    _move,
    identity_import_apply,
    identity_import_crashed,
    identity_import_preview,
    identity_import_retry,
    identity_import_run,
    staged_rows_expire,
    stalled_imports,
    stalled_imports_resume,
)
from .kinds import FILE_KINDS, IDENTITY_KIND, IMPORT_APPLIED, FileKind
from .people import household_member_add, person_death_record, person_save
from .push import MAX_PUSH, department_token_create, department_token_for, identity_push
from .uploads import earlier_same_file, identity_import_create

__all__ = [
    "FILE_KINDS",
    "IDENTITY_KIND",
    "IMPORT_APPLIED",
    "MAX_PUSH",
    "FileKind",
    "_move",
    "changes_supersede",
    "department_token_create",
    "department_token_for",
    "earlier_same_file",
    "household_member_add",
    "identity_import_apply",
    "identity_import_crashed",
    "identity_import_create",
    "identity_import_preview",
    "identity_import_retry",
    "identity_import_run",
    "identity_push",
    "person_change_decide",
    "person_death_record",
    "person_save",
    "platform_feed_collect",
    "staged_rows_expire",
    "stalled_imports",
    "stalled_imports_resume",
    "system_import_create",
]
