"""The words of a case: its states, kinds of care, levels, reasons."""

from __future__ import annotations

from decimal import Decimal

from django.db import models

from engine.model import KINDS

ZERO = Decimal("0.00")


class Status(models.TextChoices):
    DRAFT = "draft", "暂存（未受理）"
    ACCEPTED = "accepted", "已受理"
    FORWARDED = "forwarded", "已转县级"
    IN_REVIEW = "in_review", "县级审核中"
    RETURNED = "returned", "退回补正"
    RECOMMENDED = "recommended", "待审批"
    NOTICE = "notice", "公示中"
    SECOND = "second", "待第二审批人审批"
    APPROVED = "approved", "已批准"
    REJECTED = "rejected", "不予救助"
    PAID = "paid", "已发放"
    WITHDRAWN = "withdrawn", "已撤回"
    TERMINATED = "terminated", "已终止"
    REVOKED = "revoked", "已撤销批准"


# The states a case ends in, sorted (the same list in the queue's filter and in its partial indexes,
# so that PostgreSQL sees the filter imply the index); workflow.FINAL is the same set.
FINAL_STATES = ("paid", "rejected", "revoked", "terminated", "withdrawn")


class Origin(models.TextChoices):
    """How a case began: at the township window, or by the county from one-stop bills whose tilted
    assistance is due (倾斜救助主动发现, no window application)."""

    WINDOW = "window", "窗口申请"
    TILTED = "tilted", "倾斜救助主动发现"


class PromiseStatus(models.TextChoices):
    NONE = "none", "材料齐全"
    PENDING = "pending", "承诺补齐中"
    FULFILLED = "fulfilled", "已补齐"
    OVERDUE = "overdue", "承诺逾期"


class Kind(models.TextChoices):
    """Expense kinds: the engine's vocabulary (``engine.model.KINDS``)."""

    INPATIENT = "inpatient", KINDS["inpatient"]
    OUTPATIENT = "outpatient", KINDS["outpatient"]
    CHRONIC_OUTPATIENT = "chronic_outpatient", KINDS["chronic_outpatient"]


class HospitalLevel(models.TextChoices):
    TIER3 = "tier3", "三级"
    TIER2 = "tier2", "二级"
    TIER1 = "tier1", "一级及以下（基层）"


class Recommendation(models.TextChoices):
    APPROVE = "approve", "建议批准"
    REJECT = "reject", "建议不予救助"


class RejectionReason(models.TextChoices):
    NOT_ELIGIBLE = "not_eligible", "不属于医疗救助对象"
    IDENTITY_NOT_VALID = "identity_not_valid", "就医时困难身份尚未认定或已终止"
    OUT_OF_REGION = "out_of_region", "自治区外就医且未规范转诊"
    NOT_IN_SCOPE = "not_in_scope", "费用不属于医疗救助范围"
    CAP_REACHED = "cap_reached", "本年度救助已达最高限额"
    DUPLICATE = "duplicate", "同一费用已获救助（不得重复救助）"
    FALSE_MATERIALS = "false_materials", "申请材料不实"
    NOTHING_TO_PAY = "nothing_to_pay", "无可救助金额"
    OTHER = "other", "其他原因"


class RecoveryReason(models.TextChoices):
    """Why money paid is recovered (追回); the recovery itself is on the payment floor."""

    DUPLICATE = "duplicate", "重复救助"
    FALSE = "false", "虚假材料"
    AFTER_DEATH = "after_death", "死亡后发生"
    PROMISE = "promise", "承诺未兑现"
    OVER_CAP = "over_cap", "超出年度限额（医院结算记录后到）"
    OTHER = "other", "其他"


class OnestopReason(models.TextChoices):
    """Why a bill of a one-stop identity (policy ``intake.onestop_categories``) was not settled at
    the hospital and comes to the window (零星报销)."""

    ELSEWHERE = "elsewhere", "异地就医未直接结算"
    EMERGENCY = "emergency", "急诊（未能在定点医疗机构直接结算）"
    LATE_IDENTITY = "late_identity", "身份认定晚于出院（结算时尚无困难身份）"
    OTHER = "other", "其他"


class AgentKind(models.TextChoices):
    VILLAGE = "village", "村（社区）干部"
    CLINIC = "clinic", "基层医疗机构"
    RELATIVE = "relative", "亲属"
    OTHER = "other", "其他"
