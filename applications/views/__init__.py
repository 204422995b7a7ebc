"""The township window and the case page, one room per story: ``desk`` (the list of cases, the
inbox), ``intake`` (the window), ``case`` (the case page, materials, letters), ``decisions`` (the
county). Thin: permission, form, one service, message, redirect."""

from .case import attachment, detail, letter, letters_for_page, receive, told, transition, upload
from .decisions import (
    approve,
    expense_correct,
    notices,
    promise_extend,
    recommend,
    reject,
    revoke,
)
from .desk import inbox, inbox_read, index
from .eligibility import (
    certificate_record,
    identity_decide,
    illness_check,
    illness_list,
    illness_list_pdf,
)
from .intake import IntakeStart, accept, edit, intake, new, new_for_person
from .online import online_accept, online_file, online_refuse
from .tilted import tilted_list, tilted_open

__all__ = [
    "IntakeStart",
    "accept",
    "approve",
    "attachment",
    "certificate_record",
    "detail",
    "edit",
    "expense_correct",
    "identity_decide",
    "illness_check",
    "illness_list",
    "illness_list_pdf",
    "inbox",
    "inbox_read",
    "index",
    "intake",
    "letter",
    "letters_for_page",
    "new",
    "new_for_person",
    "notices",
    "online_accept",
    "online_file",
    "online_refuse",
    "promise_extend",
    "receive",
    "recommend",
    "reject",
    "revoke",
    "tilted_list",
    "tilted_open",
    "told",
    "transition",
    "upload",
]
