"""Identity records from the departments: read (streaming), validate, and apply in batches.

The same ``validate_record`` and ``apply_records`` serve file imports (CSV/XLSX, in a Celery task)
and the push endpoint (JSON), so a record is judged the same way whichever way it arrives.

Column layout (first row = headers; Chinese or English names; order free):

| 列名 (header)        | key                | required | example                    |
|----------------------|--------------------|----------|----------------------------|
| 公民身份号码          | id_number          | yes      | 150121196001010014         |
| 姓名                 | name               | yes      | 乌兰其其格                  |
| 困难身份类别          | category           | yes      | 低保对象 / dibao            |
| 认定日期              | certified_on       | yes      | 2023-01-01                 |
| 终止日期              | ended_on           | no       | 2023-12-31 (last valid day)|
| 居住乡镇              | township           | yes      | 150121100 or 察素齐镇       |
| 证件编号              | certificate_number | no       | 民低保[2023]0012            |
| 认定部门              | department         | no       | 民政 (default: the import's)|
| 联系电话              | phone              | no       | 13904710001                |
| 住址                 | address            | no       | 察素齐镇某村3组             |
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import transaction
from django.utils import timezone

from core.rows import (
    BATCH,
    execute_update,
    in_batches,
    insert_rows,
    staged,
)
from engine import categories

from .changes import changes_supersede
from .checking import TownshipIndex, start_outcome, validate_record
from .claims import claims_verified_by_registry
from .idnumber import mask
from .models import (
    HardshipIdentity,
    IdentityImport,
    ImportRow,
    Person,
    PersonChange,
)
from .records import (
    IDENTITY_LAYOUT,
    Outcome,
    Record,
    Staged,
    insert_people,
    new_person,
)

# --- applying -----------------------------------------------------------------------------

PERSON_FIELDS = PersonChange.FIELDS
IDENTITY_FIELDS = ("ended_on", "certificate_number")
FIELD_LABELS = {"name": "姓名", "township_id": "居住乡镇", "phone": "联系电话", "address": "住址",
                "ended_on": "终止日期", "certificate_number": "证件编号"}  # fmt: skip


def _show(value: Any) -> str:
    return "无" if value in (None, "") else str(value)


IDENTITY_COLUMNS = ["person_id", "category", "department", "certificate_number", "certified_on", "ended_on",
                    "source", "source_import_id", "source_user_id", "created_at", "updated_at"]  # fmt: skip


@dataclass(slots=True)
class Held:
    """What an import compares of a registered person (read as plain values: nothing decrypted)."""

    pk: int
    name: str
    township_id: int
    phone: str
    address: str


@dataclass(slots=True)
class HeldIdentity:
    pk: int
    department: str
    ended_on: date | None
    certificate_number: str


def _registered(indexes: Iterable[str]) -> dict[str, Held]:
    """The registered people among these blind indexes, by index."""
    return {
        index: Held(pk, *rest)
        for index, pk, *rest in Person.objects.filter(id_index__any_of=list(indexes)).values_list(
            "id_index", "pk", *PERSON_FIELDS
        )
    }


# (person pk, department) -> {field: [held, proposed]}
Proposals = dict[tuple[int, str], dict[str, list[Any]]]
IdentityKey = tuple[str, str, date]  # (blind index, category, certified on)


def apply_records(
    pairs: list[tuple[Record, Outcome]],
    *,
    batch: IdentityImport | None,
    source: str,
    dry_run: bool = False,
) -> None:
    """Create people and create or update identities for one batch of valid records, in one
    transaction.

    A person is found by ID number (never duplicated); an identity by (person, category,
    certified_on), and only the department that certified it may change or end it. A registered
    person's name, township, phone and address are never overwritten: a difference becomes a change
    request (``PersonChange``) for the township to confirm. Empty fields in a record never blank out
    what the registry holds. Sets each outcome's person/identity result, changes and warnings. With
    ``dry_run`` nothing is written (the check).
    """
    if not pairs:
        return
    with transaction.atomic():
        people = _registered({r.id_index for r, _ in pairs})
        existing = _held_identities(people)
        new_people: dict[str, dict[str, Any]] = {}  # blind index -> column values
        proposals: Proposals = {}
        new_identities: dict[IdentityKey, dict[str, Any]] = {}
        changed_identities: dict[int, HeldIdentity] = {}
        for record, out in pairs:
            key = (record.id_index, record.category, record.certified_on)
            owner = existing[key].department if key in existing else None
            owner = owner or new_identities.get(key, {}).get("department")
            if owner and owner != record.department:
                out.errors.append(
                    f"该{categories.CATEGORIES[record.category][0]}身份（认定日期 {record.certified_on}）由{owner}部门认定，"
                    f"{record.department}部门不能修改或终止。"
                )
                continue
            _apply_person(record, out, people, new_people, proposals)
            _apply_identity(record, out, existing, new_identities, changed_identities)
        if not dry_run:
            _write(people, new_people, proposals, new_identities, changed_identities, batch, source)
        _phone_warnings(pairs)


def _held_identities(people: dict[str, Held]) -> dict[IdentityKey, HeldIdentity]:
    """The identities the registry holds for these people, by (blind index, category, day)."""
    existing: dict[IdentityKey, HeldIdentity] = {}
    if people:
        by_pk = {p.pk: index for index, p in people.items()}
        for pk, person_id, category, certified_on, *rest in HardshipIdentity.objects.filter(
            person_id__any_of=list(by_pk)
        ).values_list(
            "pk", "person_id", "category", "certified_on", "department", *IDENTITY_FIELDS
        ):
            existing[(by_pk[person_id], category, certified_on)] = HeldIdentity(pk, *rest)
    return existing


def _write(
    people: dict[str, Held],
    new_people: dict[str, dict[str, Any]],
    proposals: Proposals,
    new_identities: dict[IdentityKey, dict[str, Any]],
    changed_identities: dict[int, HeldIdentity],
    batch: IdentityImport | None,
    source: str,
) -> None:
    """One batch's writes: change requests, new people, new and changed identities, and the
    window's certificates the department's data now verifies."""
    now = timezone.now()
    _propose_changes(proposals, people, batch)
    pks = {index: p.pk for index, p in people.items()} | insert_people(new_people)
    insert_rows(
        HardshipIdentity,
        IDENTITY_COLUMNS,
        [[pks[key[0]], *(v[c] for c in IDENTITY_COLUMNS[1:5]), v["ended_on"], source,
          batch.pk if batch else None, None, now, now] for key, v in new_identities.items()],
    )  # fmt: skip
    # updated_at too: monitoring reads it
    execute_update(
        HardshipIdentity,
        [*IDENTITY_FIELDS, "updated_at"],
        [[i.ended_on, i.certificate_number, now, i.pk] for i in changed_identities.values()],
    )
    # a certificate recorded at the window and waiting for the county: the department's
    # data now holds the same identity, which verifies it (issue 19)
    if people:  # only people registered before this batch can have a claim waiting
        claims_verified_by_registry([p.pk for p in people.values()], batch=batch)


def _apply_person(
    record: Record,
    out: Outcome,
    people: dict[str, Held],
    new_people: dict[str, dict[str, Any]],
    proposals: Proposals,
) -> None:
    person = people.get(record.id_index)
    pending = new_people.get(record.id_index)
    if person is None and pending is None:
        new_people[record.id_index] = new_person(record, phone=record.phone, address=record.address)
        out.person = "created"
        return
    out.person = "unchanged"
    differences = []
    for name in PERSON_FIELDS:
        value = getattr(record, name)
        held = getattr(person, name) if person is not None else pending[name]  # type: ignore[index]
        if value in ("", None) or held == value:
            continue
        if person is None:  # a person this same batch brings: the later row wins
            pending[name] = value  # type: ignore[index]
            continue
        proposal = proposals.setdefault((person.pk, record.department), {})
        proposal[name] = [held, value]
        differences.append(
            "居住乡镇（街道）"
            if name == "township_id"
            else f"{FIELD_LABELS[name]}：{_show(held)} → {_show(value)}"
        )
    if differences:
        out.warnings.append(
            "与登记的人员信息不一致，已生成变更申请，待乡镇（街道）确认后更新："
            + "；".join(differences)
        )


def _propose_changes(
    proposals: Proposals, people: dict[str, Held], batch: IdentityImport | None
) -> None:
    """Write the batch's change requests: one pending request per person and department; the same
    proposal again changes nothing, a different one supersedes the earlier."""
    if not proposals:
        return
    held = {
        (c.person_id, c.department): c
        for c in PersonChange.objects.filter(
            person_id__in={pk for pk, _ in proposals}, status=PersonChange.Status.PENDING
        )
    }
    towns = {p.pk: p.township_id for p in people.values()}
    stale, fresh = [], []
    for (pk, department), changes in proposals.items():
        earlier = held.get((pk, department))
        if earlier is not None and earlier.changes == changes:
            continue
        if earlier is not None:
            stale.append(earlier.pk)
        moved = changes.get("township_id")
        fresh.append(
            PersonChange(
                person_id=pk,
                department=department,
                source_import=batch,
                township_id=towns[pk],
                new_township_id=moved[1] if moved else None,
                changes=changes,
            )
        )
    changes_supersede(stale)
    PersonChange.objects.bulk_create(fresh, batch_size=BATCH)


def _apply_identity(
    record: Record,
    out: Outcome,
    existing: dict[IdentityKey, HeldIdentity],
    new_identities: dict[IdentityKey, dict[str, Any]],
    changed_identities: dict[int, HeldIdentity],
) -> None:
    key = (record.id_index, record.category, record.certified_on)
    held = existing.get(key)
    pending = new_identities.get(key)
    label = categories.CATEGORIES[record.category][0]
    if held is None and pending is None:
        new_identities[key] = {
            "category": record.category, "department": record.department,
            "certificate_number": record.certificate_number, "certified_on": record.certified_on,
            "ended_on": record.ended_on,
        }  # fmt: skip
        out.identity = "created"
        if out.person != "created":
            out.changes.append(f"新增困难身份：{label}，认定日期 {record.certified_on}")
        return
    differences = []
    for name in IDENTITY_FIELDS:
        value = getattr(record, name)
        if name != "ended_on" and value in ("", None):
            continue  # an empty certificate number keeps what is held
        before = getattr(held, name) if held is not None else pending[name]  # type: ignore[index]
        if before != value:
            differences.append(f"{FIELD_LABELS[name]}：{_show(before)} → {_show(value)}")
            if held is not None:
                setattr(held, name, value)
                changed_identities[held.pk] = held
            else:
                pending[name] = value  # type: ignore[index]
    out.identity = "updated" if differences else "unchanged"
    if differences:
        out.changes.append(f"{label}（认定日期 {record.certified_on}）" + "；".join(differences))


def _phone_warnings(pairs: Iterable[tuple[Record, Outcome]]) -> None:
    """The same phone on different people is allowed but worth a look (family members, agents)."""
    phones = {r.phone for r, _ in pairs if r.phone}
    if not phones:
        return
    holders: dict[str, list[tuple[int, str | None]]] = {}  # phone -> (pk, blind index), by pk
    for phone, pk, index in (
        Person.objects.filter(phone__any_of=list(phones))
        .order_by("pk")
        .values_list("phone", "pk", "id_index")
    ):
        holders.setdefault(phone, []).append((pk, index))
    shown: dict[str, list[int]] = {}
    for record, _out in pairs:
        others = [pk for pk, index in holders.get(record.phone, []) if index != record.id_index]
        if others:
            shown[record.id_index] = others
    if not shown:
        return
    # decrypt only the (at most three) numbers each warning names
    wanted = {pk for others in shown.values() for pk in others[:3]}
    masked = {
        pk: mask(n) for pk, n in Person.objects.filter(pk__in=wanted).values_list("pk", "id_number")
    }
    for record, out in pairs:
        named = shown.get(record.id_index)
        if named:
            out.warnings.append(
                f"联系电话 {record.phone} 也登记在 {len(named)} 位其他人员名下（{'、'.join(masked[pk] for pk in named[:3])}）。"
            )


def process(
    rows: Iterable[tuple[int, dict[str, Any]]],
    *,
    batch: IdentityImport | None,
    department: str,
    source: str,
    today: date,
    dry_run: bool,
    on_batch: Any = None,
    only_department: str | None = None,
    stage: Any = None,
    validated: bool = False,
) -> Iterator[Outcome]:
    """Validate and apply identity records BATCH at a time; yield every outcome in input order.
    ``stage``: keep each row as validated (the check of a file); ``validated``: the rows come from
    there, as (record, outcome) pairs (its import)."""
    townships = TownshipIndex()
    return in_batches(
        rows,
        validate=staged
        if validated
        else lambda n, raw: validate_record(
            raw,
            row_number=n,
            townships=townships,
            default_department=department,
            today=today,
            only_department=only_department,
        ),
        apply=lambda pairs: apply_records(pairs, batch=batch, source=source, dry_run=dry_run),
        on_batch=on_batch,
        stage=stage,
    )


def row_results(batch: IdentityImport, outcomes: Iterable[Outcome]) -> list[ImportRow]:
    """The rows worth keeping for an outcome list: errors, warnings and changes made."""
    rows: list[ImportRow] = []
    for o in outcomes:
        masked = mask(o.id_number) if o.id_number else ""
        changes = o.changes if o.status == "updated" else []
        for kind, messages in (
            (ImportRow.Kind.ERROR, o.errors),
            (ImportRow.Kind.WARNING, o.warnings),
            (ImportRow.Kind.CHANGED, changes),
        ):
            rows.extend(
                ImportRow(
                    batch=batch,
                    row_number=o.row_number,
                    kind=kind,
                    id_number=masked,
                    message=m[:500],
                )
                for m in messages
            )
    return rows


__all__ = [
    "IDENTITY_LAYOUT",
    "Outcome",
    "Record",
    "Staged",
    "TownshipIndex",
    "apply_records",
    "insert_people",
    "new_person",
    "process",
    "row_results",
    "start_outcome",
    "validate_record",
]
