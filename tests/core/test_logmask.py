"""No ID number or account number in a log line (issue 17, point 7)."""

from __future__ import annotations

import logging

from core.logmask import MaskingFilter, mask_text


def test_id_numbers_and_accounts_are_masked_and_other_numbers_kept():
    line = (
        "POST /applications/new/?id_number=15012119580312002X 200; 账号 6228480000000000018; "
        "申请 150121-20261127-0001，金额 10500.00，电话 13900001111"
    )
    assert mask_text(line) == (
        "POST /applications/new/?id_number=1501**********002X 200; 账号 ****0018; "
        "申请 150121-20261127-0001，金额 10500.00，电话 13900001111"
    )


def test_the_filter_masks_a_record_with_its_arguments(caplog):
    logger = logging.getLogger("tests.logmask")
    logger.addFilter(MaskingFilter())
    try:
        with caplog.at_level(logging.INFO, logger="tests.logmask"):
            logger.info("lookup %s from %s", "150121195803120026", "10.0.0.1")
    finally:
        logger.filters.clear()
    assert caplog.messages == ["lookup 1501**********0026 from 10.0.0.1"]


def test_the_portals_console_handler_masks():
    handlers = [h for h in logging.getLogger().handlers if type(h) is logging.StreamHandler]
    assert handlers and all(any(isinstance(f, MaskingFilter) for f in h.filters) for h in handlers)
