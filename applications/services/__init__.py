"""Every write of the applications app, one room per story: ``intake`` (the window), ``uploads``
(materials and scans, the promise fulfilled), ``moves`` (the workflow's one writer of a case's
state), ``decisions`` (the county), ``reminders`` (the daily sweep) and ``notifications`` (SMS,
inbox, letters). Each is atomic, checks who may do it, and writes the audit row; tasks are queued
after commit and never needed for correctness. Import from here."""

from .base import work_calendar
from .decisions import (
    CORRECTABLE,
    BudgetOverrun,
    LikelyDuplicate,
    NothingToPay,
    application_approve,
    application_mark_told,
    application_recommend,
    application_reject,
    application_revoke,
    county_budget_left,
    expense_correct,
    promise_extend,
)
from .eligibility import (
    Household,
    application_certificate_record,
    application_identity_decide,
    household_problems,
    illness_check_figures,
    illness_check_save,
    illness_list_sent,
)
from .intake import Intake, application_accept, application_save_draft, bills_refused
from .moves import DEDICATED, STEP_LIMITS, _move, application_transition
from .notifications import (
    MAX_ATTEMPTS,
    RETRY_AFTER,
    STALE_CLAIM,
    applicant_and_window_told,
    inbox_mark_read,
    notifications_deliver,
    notifications_deliver_all,
)
from .online import (
    missing_codes,
    online_accept,
    online_code_check,
    online_code_send,
    online_refuse,
    online_submit,
)
from .reminders import SweepResult, reminders_sweep
from .uploads import account_document_attach, attachment_add, check_upload, material_receive

__all__ = [
    "CORRECTABLE",
    "DEDICATED",
    "MAX_ATTEMPTS",
    "RETRY_AFTER",
    "STALE_CLAIM",
    "STEP_LIMITS",
    "BudgetOverrun",
    "Household",
    "Intake",
    "LikelyDuplicate",
    "NothingToPay",
    "SweepResult",
    "_move",
    "account_document_attach",
    "applicant_and_window_told",
    "application_accept",
    "application_approve",
    "application_certificate_record",
    "application_identity_decide",
    "application_mark_told",
    "application_recommend",
    "application_reject",
    "application_revoke",
    "application_save_draft",
    "application_transition",
    "attachment_add",
    "bills_refused",
    "check_upload",
    "county_budget_left",
    "expense_correct",
    "household_problems",
    "illness_check_figures",
    "illness_check_save",
    "illness_list_sent",
    "inbox_mark_read",
    "material_receive",
    "missing_codes",
    "notifications_deliver",
    "notifications_deliver_all",
    "online_accept",
    "online_code_check",
    "online_code_send",
    "online_refuse",
    "online_submit",
    "promise_extend",
    "reminders_sweep",
    "work_calendar",
]
