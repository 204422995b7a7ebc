"""The participation-subsidy roster (分类资助参保名单, issue 20): a county's people whose hardship
identity is valid in the enrolment year, each subsidised once under the category that gives most
(``engine.subsidy.subsidy_for``), built from the registry and built again to stay current.

People certified during the year join at once, from their certification date (不受缴费期限制，不设
待遇等待期, 呼和浩特实施方案 三(一)); people whose identity ended during the year keep their entry,
marked with the date. The county is that of the person's township in the registry.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import IO, Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.models import User
from audit.events import Event
from audit.services import record
from beneficiaries.idnumber import mask
from beneficiaries.models import HardshipIdentity, Person
from core.rows import ImportFileError, Layout, cell_text, read_rows
from engine.errors import SettlementInputError
from engine.subsidy import subsidy_for

from .models import ENROLMENT_STATES, Enrolment, SubsidyEntry, SubsidyRoster
from .policies import load

BATCH = 2000


@transaction.atomic
def roster_build(*, county, year: int, actor: User | None) -> SubsidyRoster:  # type: ignore[no-untyped-def]
    """Build (or build again) ``county``'s roster for ``year`` from the registry. Returns the roster;
    its entries are created, updated or marked as ended, never deleted."""
    first, last = date(year, 1, 1), date(year, 12, 31)
    policy = load(county.city.policy_code)
    params = _year_parameters(policy, first)
    roster, _created = SubsidyRoster.objects.select_for_update().get_or_create(
        county=county,
        year=year,
        defaults={
            "policy_code": policy.code,
            "policy_version": policy.version,
            "built_at": timezone.now(),
        },
    )
    periods = _periods(county, first, last)
    # 死亡减员: the dead of the county (few) by the day they died
    deaths = dict(
        Person.objects.filter(township__county=county, died_on__isnull=False).values_list(
            "pk", "died_on"
        )
    )
    held = {e.person_id: e for e in SubsidyEntry.objects.filter(roster=roster)}
    new, changed = [], []
    for person_id, items in periods.items():
        values = _entry_values(items, params, first, last, deaths.get(person_id), person_id in held)
        entry = held.get(person_id)
        if values is None:
            continue
        if entry is None:
            new.append(SubsidyEntry(roster=roster, person_id=person_id, **values))
        elif any(getattr(entry, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(entry, k, v)
            changed.append(entry)
    for person_id, died in deaths.items():  # on the roster, dead before the year: marked
        entry = held.get(person_id)
        if person_id not in periods and entry is not None and not entry.ended_by_death:
            entry.ended_on, entry.ended_by_death = died, True
            changed.append(entry)
    SubsidyEntry.objects.bulk_create(new, batch_size=BATCH)
    SubsidyEntry.objects.bulk_update(changed, ENTRY_FIELDS, BATCH)
    roster.policy_version = policy.version
    roster.built_at = timezone.now()
    roster.built_by = actor
    roster.save()
    record(
        actor=actor,
        event=Event.ROSTER_BUILT,
        target=roster,
        county=county,
        summary=f"生成{county.name} {year} 年资助参保名单：新增 {len(new)} 人，变化 {len(changed)} 人",
    )
    return roster


def _year_parameters(policy: Any, first: date) -> Any:
    """The policy on the year's first day; refused when the year's contribution is not set."""
    params = policy.at(first)
    for name in ("subsidy.contribution", "subsidy.fixed_floor_share"):
        if name in policy.parameters and not params.has(name):
            definition = policy.parameters[name]
            raise ValidationError(
                f"名单未生成：{first.year} 年的{definition.label}（{name}）尚未设置，"
                "请管理员在“救助政策”中按当地通知设置。",
                code="parameter",
            )
    return params


ENTRY_FIELDS = ["category", "contribution", "amount", "joined_on", "ended_on", "ended_by_death",
                "lines"]  # fmt: skip
Periods = list[tuple[str, date, date | None]]


def _periods(county: Any, first: date, last: date) -> dict[int, Periods]:
    """Each person's identities that count in the year, (category, certified, ended)."""
    periods: dict[int, Periods] = defaultdict(list)
    rows = (
        # enrolled where the household is registered (三(一)): people registered elsewhere
        # (非本地户籍) enrol, and are subsidised, there
        HardshipIdentity.objects.filter(
            person__township__county=county, person__hukou_local=True, certified_on__lte=last
        )
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gte=first))
        .values_list("person_id", "category", "certified_on", "ended_on")
        .order_by("person_id")
    )
    for person_id, category, start, end in rows.iterator(chunk_size=BATCH):
        periods[person_id].append((category, start, end))
    return periods


def _entry_values(
    items: Periods, params: Any, first: date, last: date, died: date | None, on_roster: bool
) -> dict[str, Any] | None:
    """One person's entry: the category that gives most, from the first identity of the year to
    the day the last one ends or the person died; None when nobody is subsidised."""
    try:
        result = subsidy_for({c for c, _s, _e in items}, params, sources=params.sources)
    except SettlementInputError as exc:  # a category's rule not set: say which, build nothing
        raise ValidationError(f"名单未生成：{exc}", code="parameter") from None
    if result.category is None:
        return None
    mine = [(s, e) for c, s, e in items if c == result.category]
    joined = max(first, min(s for _c, s, _e in items))  # on the roster from the first identity
    ends = [e for _s, e in mine]
    ended = None if None in ends else max(e for e in ends if e is not None)
    ended = ended if ended is not None and ended <= last else None
    if died is not None and died < first and not on_roster:
        return None  # died before the year: never on this roster
    by_death = died is not None and died <= last and (ended is None or died <= ended)
    return {
        "category": result.category,
        "contribution": result.contribution,
        "amount": result.amount,
        "joined_on": joined,
        "ended_on": died if by_death else ended,
        "ended_by_death": by_death,
        "lines": list(result.lines),
    }


# --- the result file: enrolled, or not enrolled with the reason ----------------------------------

RESULT_LAYOUT = Layout(
    headers={
        "公民身份号码": "id_number", "身份证号码": "id_number", "身份证号": "id_number",
        "参保结果": "result", "结果": "result", "未参保原因": "reason", "原因": "reason",
    },
    required=("id_number", "result"),
    labels={"id_number": "公民身份号码", "result": "参保结果", "reason": "未参保原因"},
)  # fmt: skip
RESULT_WORDS = {
    "已参保": Enrolment.ENROLLED, "参保": Enrolment.ENROLLED, "是": Enrolment.ENROLLED,
    "成功": Enrolment.ENROLLED, "未参保": Enrolment.NOT_ENROLLED, "否": Enrolment.NOT_ENROLLED,
    "失败": Enrolment.NOT_ENROLLED,
}  # fmt: skip
MAX_PROBLEMS = 20


@transaction.atomic
def roster_result_import(
    *, roster: SubsidyRoster, raw: IO[bytes], filename: str, actor: User
) -> int:
    """Read the tax office's answer (the exported roster with 参保结果 and 未参保原因 filled in):
    checked whole first; any bad row refuses the file and changes nothing, naming the rows.
    Returns how many people's result was recorded (an empty result is left as it was)."""
    try:
        rows = list(read_rows(raw, filename, RESULT_LAYOUT))
    except ImportFileError as exc:
        raise ValidationError(str(exc), code="file") from None
    numbers = {cell_text(r.get("id_number")).upper() for _n, r in rows}
    people = Person.objects.keyed_by_id_number(numbers)
    # only the two numbers each entry needs (memory stays small whatever the county's size)
    entries = dict(
        SubsidyEntry.objects.select_for_update()
        .filter(roster=roster)
        .values_list("person_id", "pk")
    )
    problems: list[str] = []
    answers: list[tuple[int, str, str]] = []
    for n, row in rows:
        number = cell_text(row.get("id_number")).upper()
        words = cell_text(row.get("result"))
        reason = cell_text(row.get("reason"))[:200]
        if not words:
            continue
        found = people.get(number)
        entry = entries.get(found[0]) if found else None  # the entry's pk
        if entry is None:
            problems.append(f"第 {n} 行：{mask(number) if number else '（空）'} 不在本名单中")
        elif words not in RESULT_WORDS:
            problems.append(f"第 {n} 行：参保结果应为“已参保”或“未参保”，收到“{words}”")
        elif RESULT_WORDS[words] == Enrolment.NOT_ENROLLED and not reason:
            problems.append(f"第 {n} 行：未参保的须写明原因")
        else:
            answers.append((entry, RESULT_WORDS[words], reason))
    if problems:
        more = f"等 {len(problems)} 处" if len(problems) > MAX_PROBLEMS else ""
        raise ValidationError(
            "结果文件未导入，任何人的结果都没有改变：" + "；".join(problems[:MAX_PROBLEMS]) + more
        )
    _record_answers(answers)
    not_enrolled = sum(1 for a in answers if a[1] == Enrolment.NOT_ENROLLED)
    record(
        actor=actor,
        event=Event.ROSTER_RESULTS_IMPORTED,
        target=roster,
        county=roster.county,
        summary=f"导入{roster} 参保结果 {len(answers)} 人，其中未参保 {not_enrolled} 人",
    )
    return len(answers)


def _record_answers(answers: list[tuple[int, str, str]]) -> None:
    """One UPDATE per answer and reason (most answers are the same “已参保”), not a CASE per row."""
    now = timezone.now()
    groups: dict[tuple[str, str], list[int]] = defaultdict(list)
    for entry_pk, result, reason in answers:
        groups[(result, reason if result == Enrolment.NOT_ENROLLED else "")].append(entry_pk)
    for (result, reason), pks in groups.items():
        for start in range(0, len(pks), BATCH):
            ENROLMENT_STATES.move_many(
                SubsidyEntry.objects.filter(pk__in=pks[start : start + BATCH]),
                result,
                enrolment_reason=reason,
                enrolment_at=now,
            )


def not_enrolled_for(people: Any) -> Any:
    """The people of ``people`` (a scoped queryset) a roster reports not enrolled: the township's
    follow-up list until the next result file says they are."""
    return (
        SubsidyEntry.objects.filter(enrolment=Enrolment.NOT_ENROLLED, person__in=people)
        .select_related("person", "person__township", "roster")
        .order_by("-roster__year", "person__township_id", "person_id")
    )
