"""No ID number or account number in a log line (issue 17): a logging filter that masks them.

Applied to the console handler, so every logger's records pass through it (Django's request log,
Celery's task log, ours). An 18-character resident ID number keeps its first 4 and last 4
characters (``1501**********1013``, as on the pages); a run of 12 to 30 digits (a bank account)
keeps its last 4. Arguments are formatted into the message first, then masked.
"""

from __future__ import annotations

import logging
import re

ID_NUMBER = re.compile(r"(?<![0-9A-Za-z])(\d{4})\d{10}(\d{3}[\dXx])(?![0-9A-Za-z])")
ACCOUNT = re.compile(r"(?<!\d)\d{8,26}(\d{4})(?!\d)")


def mask_text(text: str) -> str:
    text = ID_NUMBER.sub(lambda m: f"{m.group(1)}{'*' * 10}{m.group(2)}", text)
    return ACCOUNT.sub(lambda m: f"****{m.group(1)}", text)


class MaskingFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # a malformed record: leave it to the handler
            return True
        masked = mask_text(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True
