"""The national medical-insurance platform's settlement records (国家医疗保障信息平台 结算信息), read as
the platform gives them: the export's CSV or XLSX whose headers are the platform's field codes, or
the JSON its settlement interface returns (``setlinfo`` with its ``setldetail``), columns in any
order, fields the portal does not use ignored.

Every record goes into the one table of settlement records (``HospitalSettlement``), keyed by
``setl_id`` whichever door it came through (this file, the hospitals' simple file, the daily feed):
the same record twice adds nothing. A record that paid medical assistance (``maf_pay`` > 0) enters
the yearly ledger as the one-stop records do (``settlements.ledger.onestop_enter``). A reversal
(``refd_setl_flag`` = 1, naming the record it reverses in ``init_setl_id``) takes the record out:
its ledger entry released, a window bill of it flagged before approval or its money proposed for
recovery after. A bill the window typed by hand (手工录入) is matched to the record when it arrives
(same ``setl_id``, or the same person, hospital, day and total) and any difference is kept for the
reviewer.

Fields the portal reads (the rest of a record is ignored):

| field code                              | used as                                            |
|-----------------------------------------|----------------------------------------------------|
| setl_id                                 | the record's key; the bill's settlement number     |
| init_setl_id, refd_setl_flag            | a reversal (退费结算) and the record it reverses    |
| mdtrt_id, psn_no, medins_setl_id        | kept, shown with the record                        |
| psn_cert_type, certno, psn_name         | the person (居民身份证 only: the registry's key)    |
| insutype, psn_type                      | checked against the code tables, kept              |
| med_type                                | the kind of care (code table's meaning)            |
| fixmedins_code, fixmedins_name          | the hospital, checked against the register (level) |
| begndate, enddate, setl_time            | admission, discharge / visit day                   |
| medfee_sumamt                           | 医疗总费用                                          |
| inscp_scp_amt                           | 政策范围内费用                                      |
| hifp_pay                                | 基本医保统筹基金支付                                 |
| hifmi_pay + hifob_pay                   | 大病保险（居民大病保险、职工大额补助）                |
| maf_pay                                 | 医疗救助基金支付 (one-stop assistance)               |
| fulamt_ownpay_amt                       | 全自费 = 目录外费用 (the out-of-list share)           |
| overlmt_selfpay, preselfpay_amt, act_pay_dedc, oth_pay, fund_pay_sumamt, psn_part_amt, acct_pay, psn_cash_pay | kept with the record |
| setldetail: fund_pay_type, inscp_scp_amt, fund_payamt | kept; codes checked; its 610100 line against maf_pay |
"""

from ..hospital_import import count
from .reading import HEADERS, LAYOUT, PlatformRecord, code_tables, json_records, record_key
from .window import bill_of, open_records
from .writing import done, hand_bills_match, process, reversals_apply

__all__ = [
    "HEADERS",
    "LAYOUT",
    "PlatformRecord",
    "bill_of",
    "code_tables",
    "count",
    "done",
    "hand_bills_match",
    "json_records",
    "open_records",
    "process",
    "record_key",
    "reversals_apply",
]
