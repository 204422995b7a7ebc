"""Every audited operation has its own code (in the manner of Zulip's ``AuditLogEventType``).

An audit row carries its ``event`` code; the coarse ``action`` (新建、修改、查看 …) and the Chinese
headline shown in the trail are derived from it, and the row's ``summary`` keeps only the particulars
(which case, how much). Tests and searches ask for a code, never for words of a summary. A new
operation adds its code here, with its label and the coarse action it counts as.
"""

from django.db import models


class Event(models.TextChoices):
    # accounts
    STAFF_CREATED = "staff.created", "新建工作人员账号"
    STAFF_CHANGED = "staff.changed", "修改工作人员账号"
    STAFF_PASSWORD_SET = "staff.password_set", "重设工作人员密码"
    PASSWORD_CHANGED = "auth.password_changed", "修改本人密码"
    LOGGED_IN = "auth.logged_in", "登录"
    LOGGED_OUT = "auth.logged_out", "退出"
    LOGIN_FAILED = "auth.login_failed", "登录失败"
    LOCKED_OUT = "auth.locked_out", "账号锁定"
    # areas and the city's policy
    COUNTY_CREATED = "county.created", "新建旗县区"
    COUNTY_CHANGED = "county.changed", "修改旗县区设置"
    TOWNSHIP_CREATED = "township.created", "新建乡镇（街道）"
    TOWNSHIP_CHANGED = "township.changed", "修改乡镇（街道）"
    CITY_CREATED = "city.created", "新建城市"
    CITY_CHANGED = "city.changed", "修改城市设置"
    POLICY_VERSION_CREATED = "policy.version_created", "新建政策版本"
    # the registry
    PERSON_CREATED = "person.created", "新建救助对象"
    PERSON_CHANGED = "person.changed", "修改救助对象信息"
    PERSON_VIEWED = "person.viewed", "查看个人信息"
    PEOPLE_LISTED = "people.listed", "查看救助对象名单"
    HOUSEHOLD_CREATED = "household.created", "新建家庭户"
    HOUSEHOLD_CHANGED = "household.changed", "修改家庭户"
    IDENTITY_CREATED = "identity.created", "新增困难身份"
    IDENTITY_CHANGED = "identity.changed", "修改困难身份"
    IDENTITY_DELETED = "identity.deleted", "删除困难身份"
    DEATH_RECORDED = "person.death_recorded", "登记死亡"
    CHANGE_ACCEPTED = "change.accepted", "确认部门变更申请"
    CHANGE_REFUSED = "change.refused", "退回部门变更申请"
    CHANGES_LISTED = "changes.listed", "查看变更申请"
    CLAIM_RECORDED = "claim.recorded", "窗口登记身份证明"
    CLAIM_CHANGED = "claim.changed", "修改窗口登记的身份证明"
    CLAIM_VERIFIED = "claim.verified", "县级核验身份证明通过"
    CLAIM_REFUSED = "claim.refused", "身份证明核验未通过"
    CLAIM_VERIFIED_BY_REGISTRY = "claim.verified_by_registry", "部门数据自动核验身份证明"
    IMPORT_UPLOADED = "import.uploaded", "上传导入文件"
    IMPORT_CONFIRMED = "import.confirmed", "确认导入"
    IMPORT_FINISHED = "import.finished", "导入完成"
    IMPORT_RETRIED = "import.retried", "重试导入"
    TOKEN_CREATED = "token.created", "发放部门推送密钥"
    PUSH_RECEIVED = "push.received", "接收部门系统推送"
    REFERRAL_REGISTERED = "referral.registered", "登记转诊备案"
    REFERRAL_ENDED = "referral.ended", "撤销转诊备案"
    REFERRALS_IMPORTED = "referrals.imported", "导入转诊备案"
    TILTED_CASE_OPENED = "application.open_tilted", "主动发现立案"
    TILTED_REFUSED = "tilted.refused", "一站式结算票据不予倾斜救助"
    TILTED_LISTED = "tilted.listed", "查看倾斜救助主动发现名单"
    # applications
    APPLICATION_CREATED = "application.created", "新建申请（草稿）"
    APPLICATION_CHANGED = "application.changed", "修改申请草稿"
    APPLICATION_VIEWED = "application.viewed", "查看申请"
    APPLICATION_ACCEPTED = "application.accept", "受理"
    APPLICATION_FORWARDED = "application.forward", "转县级审核"
    APPLICATION_REVIEW_STARTED = "application.start_review", "开始审核"
    APPLICATION_RETURNED = "application.return", "退回补正"
    APPLICATION_RESUBMITTED = "application.resubmit", "补正后重新报送"
    APPLICATION_RECOMMENDED = "application.recommend", "提出审核意见"
    APPLICATION_NOTICE_STARTED = "application.recommend_notice", "提出审核意见并公示"
    APPLICATION_FIRST_APPROVED = "application.approve_first", "第一审批人同意，待第二审批人"
    APPLICATION_APPROVED = "application.approve", "批准救助"
    APPLICATION_REJECTED = "application.reject", "不予救助"
    APPLICATION_PAID = "application.pay", "登记已发放"
    APPLICATION_REVOKED = "application.revoke", "撤销批准"
    APPLICATION_WITHDRAWN = "application.withdraw", "申请人撤回"
    APPLICATION_TERMINATED = "application.terminate", "终止办理"
    OVERRUN_CONFIRMED = "budget.overrun_confirmed", "超预算审批确认"
    DUPLICATE_DENIED = "duplicate.denied", "确认不是重复报销"
    PROMISE_EXTENDED = "promise.extended", "延长承诺期限"
    PROMISE_OVERDUE = "promise.overdue", "承诺逾期"
    EXPENSE_CORRECTED = "expense.corrected", "审核更正费用"
    APPLICANT_TOLD = "application.told", "已告知申请人结果"
    MATERIAL_RECEIVED = "material.received", "收到补交材料"
    ATTACHMENT_ADDED = "attachment.added", "上传材料附件"
    ATTACHMENT_VIEWED = "attachment.viewed", "查看材料附件"
    ACCOUNT_DOCUMENT_ATTACHED = "account_document.attached", "上传账户证明"
    LETTER_RENDERED = "letter.rendered", "生成文书"
    LETTER_VIEWED = "letter.viewed", "查看文书"
    NOTICES_EXPORTED = "notices.exported", "导出公示名单"
    DESK_LISTED = "desk.listed", "查看工作台"
    INTAKE_VIEWED = "intake.viewed", "窗口受理查看个人信息"
    ILLNESS_CHECKED = "illness.checked", "因病致贫预审"
    ILLNESS_RECHECKED = "illness.rechecked", "重新进行因病致贫预审"
    ILLNESS_VIEWED = "illness.viewed", "查看因病致贫预审"
    ILLNESS_LISTED = "illness.listed", "查看因病致贫名单"
    ILLNESS_LIST_SENT = "illness.list_sent", "导出因病致贫名单"
    STATUS_LOOKED_UP = "status.looked_up", "申请人查询办理进度"
    STATUS_LETTER_VIEWED = "status.letter_viewed", "申请人查看文书"
    ONLINE_CODE_SENT = "online.code_sent", "向申请人发送短信验证码"
    ONLINE_SIGNED_IN = "online.signed_in", "申请人验证码核验通过"
    ONLINE_UPLOADED = "online.uploaded", "申请人网上补交材料"
    ONLINE_ACCEPTED = "online.accepted", "确认收到网上补交材料"
    ONLINE_REFUSED = "online.refused", "网上补交材料未通过"
    ONLINE_VIEWED = "online.viewed", "查看网上补交材料"
    # settlements
    SETTLEMENT_APPROVED = "settlement.approved", "结算入账"
    SETTLEMENT_REVOKED = "settlement.revoked", "撤销结算"
    SETTLEMENT_RECOVERED = "settlement.recovered", "追回款冲回台账"
    ROSTER_BUILT = "roster.built", "生成资助参保名单"
    ROSTER_RESULTS_IMPORTED = "roster.results_imported", "导入参保结果"
    ROSTER_VIEWED = "roster.viewed", "查看资助参保名单"
    ROSTER_EXPORTED = "roster.exported", "导出资助参保名单"
    ROSTER_FOLLOWUP_LISTED = "roster.followup_listed", "查看未参保跟进名单"
    BOOKS_EXPORTED = "books.exported", "导出资金台账"
    # payments
    BATCH_CREATED = "batch.created", "新建发放批次"
    BATCH_EXPORTED = "batch.exported", "导出银行文件"
    BATCH_VIEWED = "batch.viewed", "查看发放批次"
    BATCH_PDF_EXPORTED = "batch.pdf_exported", "导出发放清单"
    BATCH_TEMPLATE_EXPORTED = "batch.template_exported", "导出回盘模板"
    PAYMENTS_LISTED = "payments.listed", "查看发放"
    PAYMENT_PAID = "payment.paid", "登记发放成功"
    PAYMENT_FAILED = "payment.failed", "登记发放失败"
    RETURNS_IMPORTED = "payment.returns_imported", "导入银行回盘"
    ACCOUNT_CHANGE_PROPOSED = "account_change.proposed", "提出收款账户变更"
    ACCOUNT_CHANGE_CONFIRMED = "account_change.confirmed", "确认收款账户变更"
    ACCOUNT_CHANGE_REFUSED = "account_change.refused", "退回收款账户变更"
    RECOVERY_PROPOSED = "recovery.proposed", "提出追回"
    RECOVERY_PROPOSED_BY_SYSTEM = (
        "recovery.proposed_by_system",
        "医院结算数据发现重复救助，提出追回",
    )
    RECOVERY_CONFIRMED = "recovery.confirmed", "复核追回，发出追回通知"
    RECOVERY_CANCELLED = "recovery.cancelled", "不予追回"
    RECOVERY_REFUNDED = "recovery.refunded", "登记追回款退回"
    TRANSFER_PREPARED = "transfer.prepared", "制作资助资金划转单"
    TRANSFER_CONFIRMED = "transfer.confirmed", "复核划转资助资金"
    TRANSFER_CANCELLED = "transfer.cancelled", "撤回资助资金划转单"
    TRANSFERS_LISTED = "transfers.listed", "查看资助资金划转"
    TRANSFER_PDF_EXPORTED = "transfer.pdf_exported", "导出划转单"
    # monitoring
    WARNING_CONTACTED = "warning.contacted", "预警跟进：已联系"
    WARNING_CLOSED = "warning.closed", "预警办结"
    WARNING_APPLIED = "warning.applied", "由预警发起救助申请"
    WARNING_VIEWED = "warning.viewed", "查看预警"
    WARNINGS_LISTED = "warnings.listed", "查看预警名单"
    OVERVIEW_RECOMPUTED = "overview.recomputed", "重新计算监测数据"
    OVERVIEW_EXPORTED = "overview.exported", "导出一屏观救助"
    REPORT_GENERATED = "report.generated", "生成月报"
    REPORT_EXPORTED = "report.exported", "导出月报"
    # 梯次减负 (relief)
    HANDOFF_CREATED = "handoff.created", "转介他方帮扶"
    HANDOFF_ANSWERED = "handoff.answered", "登记转介答复"
    HANDOFF_WITHDRAWN = "handoff.withdrawn", "撤回转介"
    HANDOFF_VIEWED = "handoff.viewed", "查看转介"
    HANDOFFS_LISTED = "handoffs.listed", "查看转介名单"
    HELP_PUSHED = "help.pushed", "帮扶单位推送答复"
    BODY_KEY_CREATED = "body.key_created", "发放帮扶单位密钥"
    SPECIAL_PROPOSED = "special.proposed", "提议一事一议"
    SPECIAL_DECIDED = "special.decided", "审定一事一议"
    SPECIAL_REFUSED = "special.refused", "一事一议不予救助"
    SPECIAL_PAID = "special.paid", "一事一议已发放"
    AGENDA_BUILT = "agenda.built", "生成多部门会商议程"
    AGENDA_VIEWED = "agenda.viewed", "查看多部门会商议程"
    AGENDA_OUTCOME = "agenda.outcome", "登记会商结果"
    EARLY_RECEIVED = "early.received", "接收医疗机构大额费用预报"
    EARLY_CONTACTED = "early.contacted", "大额费用预报：已联系"
    EARLY_CASE = "early.case", "由大额费用预报发起申请"
    EARLY_CLOSED = "early.closed", "结算记录到达，预报办结"
    EARLY_LISTED = "early.listed", "查看大额费用预报"
    STATION_KEY_CREATED = "station.key_created", "发放医疗机构报送密钥"
    # the portal
    TOWNSHIP_VIEWED = "township.viewed", "查看乡镇首页"
    AUDIT_SEARCHED = "audit.searched", "查询审计日志"
    ADMIN_PAGE_VIEWED = "admin.viewed", "查看后台页面"
    JOBS_RELAYED = "jobs.relayed", "重新投递后台任务"
    RECORD_CREATED = "record.created", "新建记录"
    RECORD_CHANGED = "record.changed", "修改记录"


# The coarse action each event counts as (AuditEvent.Action's values).
ACTION_OF: dict[str, str] = {
    Event.STAFF_CREATED: "create",
    Event.STAFF_CHANGED: "update",
    Event.STAFF_PASSWORD_SET: "update",
    Event.PASSWORD_CHANGED: "update",
    Event.LOGGED_IN: "login",
    Event.LOGGED_OUT: "logout",
    Event.LOGIN_FAILED: "login_failed",
    Event.LOCKED_OUT: "lockout",
    Event.COUNTY_CREATED: "create",
    Event.COUNTY_CHANGED: "update",
    Event.TOWNSHIP_CREATED: "create",
    Event.TOWNSHIP_CHANGED: "update",
    Event.CITY_CREATED: "create",
    Event.CITY_CHANGED: "update",
    Event.POLICY_VERSION_CREATED: "create",
    Event.PERSON_CREATED: "create",
    Event.PERSON_CHANGED: "update",
    Event.PERSON_VIEWED: "view",
    Event.PEOPLE_LISTED: "view",
    Event.HOUSEHOLD_CREATED: "create",
    Event.HOUSEHOLD_CHANGED: "update",
    Event.IDENTITY_CREATED: "create",
    Event.IDENTITY_CHANGED: "update",
    Event.IDENTITY_DELETED: "delete",
    Event.REFERRAL_REGISTERED: "create",
    Event.REFERRAL_ENDED: "update",
    Event.REFERRALS_IMPORTED: "create",
    Event.TILTED_CASE_OPENED: "transition",
    Event.TILTED_REFUSED: "update",
    Event.TILTED_LISTED: "view",
    Event.DEATH_RECORDED: "update",
    Event.CHANGE_ACCEPTED: "transition",
    Event.CHANGE_REFUSED: "transition",
    Event.CHANGES_LISTED: "view",
    Event.CLAIM_RECORDED: "create",
    Event.CLAIM_CHANGED: "update",
    Event.CLAIM_VERIFIED: "update",
    Event.CLAIM_REFUSED: "update",
    Event.CLAIM_VERIFIED_BY_REGISTRY: "update",
    Event.IMPORT_UPLOADED: "create",
    Event.IMPORT_CONFIRMED: "update",
    Event.IMPORT_FINISHED: "update",
    Event.IMPORT_RETRIED: "update",
    Event.TOKEN_CREATED: "create",
    Event.PUSH_RECEIVED: "update",
    Event.APPLICATION_CREATED: "create",
    Event.APPLICATION_CHANGED: "update",
    Event.APPLICATION_VIEWED: "view",
    Event.APPLICATION_ACCEPTED: "transition",
    Event.APPLICATION_FORWARDED: "transition",
    Event.APPLICATION_REVIEW_STARTED: "transition",
    Event.APPLICATION_RETURNED: "transition",
    Event.APPLICATION_RESUBMITTED: "transition",
    Event.APPLICATION_RECOMMENDED: "transition",
    Event.APPLICATION_NOTICE_STARTED: "transition",
    Event.APPLICATION_FIRST_APPROVED: "transition",
    Event.APPLICATION_APPROVED: "transition",
    Event.APPLICATION_REJECTED: "transition",
    Event.APPLICATION_PAID: "transition",
    Event.APPLICATION_REVOKED: "transition",
    Event.APPLICATION_WITHDRAWN: "transition",
    Event.APPLICATION_TERMINATED: "transition",
    Event.OVERRUN_CONFIRMED: "transition",
    Event.DUPLICATE_DENIED: "transition",
    Event.PROMISE_EXTENDED: "update",
    Event.PROMISE_OVERDUE: "update",
    Event.EXPENSE_CORRECTED: "update",
    Event.APPLICANT_TOLD: "update",
    Event.MATERIAL_RECEIVED: "update",
    Event.ATTACHMENT_ADDED: "create",
    Event.ATTACHMENT_VIEWED: "view",
    Event.ACCOUNT_DOCUMENT_ATTACHED: "create",
    Event.LETTER_RENDERED: "create",
    Event.LETTER_VIEWED: "view",
    Event.NOTICES_EXPORTED: "export",
    Event.DESK_LISTED: "view",
    Event.INTAKE_VIEWED: "view",
    Event.ILLNESS_CHECKED: "create",
    Event.ILLNESS_RECHECKED: "update",
    Event.ILLNESS_VIEWED: "view",
    Event.ILLNESS_LISTED: "view",
    Event.ILLNESS_LIST_SENT: "export",
    Event.STATUS_LOOKED_UP: "view",
    Event.STATUS_LETTER_VIEWED: "view",
    Event.ONLINE_CODE_SENT: "create",
    Event.ONLINE_SIGNED_IN: "view",
    Event.ONLINE_UPLOADED: "create",
    Event.ONLINE_ACCEPTED: "update",
    Event.ONLINE_REFUSED: "update",
    Event.ONLINE_VIEWED: "view",
    Event.SETTLEMENT_APPROVED: "settle",
    Event.SETTLEMENT_REVOKED: "settle",
    Event.SETTLEMENT_RECOVERED: "settle",
    Event.ROSTER_BUILT: "update",
    Event.ROSTER_RESULTS_IMPORTED: "update",
    Event.ROSTER_VIEWED: "view",
    Event.ROSTER_EXPORTED: "export",
    Event.ROSTER_FOLLOWUP_LISTED: "view",
    Event.BOOKS_EXPORTED: "export",
    Event.BATCH_CREATED: "create",
    Event.BATCH_EXPORTED: "export",
    Event.BATCH_VIEWED: "view",
    Event.BATCH_PDF_EXPORTED: "export",
    Event.BATCH_TEMPLATE_EXPORTED: "export",
    Event.PAYMENTS_LISTED: "view",
    Event.PAYMENT_PAID: "update",
    Event.PAYMENT_FAILED: "update",
    Event.RETURNS_IMPORTED: "update",
    Event.ACCOUNT_CHANGE_PROPOSED: "create",
    Event.ACCOUNT_CHANGE_CONFIRMED: "update",
    Event.ACCOUNT_CHANGE_REFUSED: "update",
    Event.RECOVERY_PROPOSED: "create",
    Event.RECOVERY_PROPOSED_BY_SYSTEM: "create",
    Event.RECOVERY_CONFIRMED: "update",
    Event.RECOVERY_CANCELLED: "update",
    Event.RECOVERY_REFUNDED: "update",
    Event.TRANSFER_PREPARED: "create",
    Event.TRANSFER_CONFIRMED: "update",
    Event.TRANSFER_CANCELLED: "update",
    Event.TRANSFERS_LISTED: "view",
    Event.TRANSFER_PDF_EXPORTED: "export",
    Event.WARNING_CONTACTED: "update",
    Event.WARNING_CLOSED: "transition",
    Event.WARNING_APPLIED: "transition",
    Event.WARNING_VIEWED: "view",
    Event.WARNINGS_LISTED: "view",
    Event.OVERVIEW_RECOMPUTED: "update",
    Event.OVERVIEW_EXPORTED: "export",
    Event.REPORT_GENERATED: "create",
    Event.REPORT_EXPORTED: "export",
    Event.HANDOFF_CREATED: "create",
    Event.HANDOFF_ANSWERED: "update",
    Event.HANDOFF_WITHDRAWN: "update",
    Event.HANDOFF_VIEWED: "view",
    Event.HANDOFFS_LISTED: "view",
    Event.HELP_PUSHED: "update",
    Event.BODY_KEY_CREATED: "create",
    Event.SPECIAL_PROPOSED: "create",
    Event.SPECIAL_DECIDED: "update",
    Event.SPECIAL_REFUSED: "update",
    Event.SPECIAL_PAID: "update",
    Event.AGENDA_BUILT: "create",
    Event.AGENDA_VIEWED: "view",
    Event.AGENDA_OUTCOME: "update",
    Event.EARLY_RECEIVED: "create",
    Event.EARLY_CONTACTED: "update",
    Event.EARLY_CASE: "update",
    Event.EARLY_CLOSED: "update",
    Event.EARLY_LISTED: "view",
    Event.STATION_KEY_CREATED: "create",
    Event.TOWNSHIP_VIEWED: "view",
    Event.AUDIT_SEARCHED: "view",
    Event.ADMIN_PAGE_VIEWED: "view",
    Event.JOBS_RELAYED: "update",
    Event.RECORD_CREATED: "create",
    Event.RECORD_CHANGED: "update",
}
