"""A row of a department's file, as the import sees it: its columns (the layout, in the department's
Chinese headers or English keys), the record a checked row becomes, the outcome reported for each
row, and the sealing of a new person's ID number. ``importing`` checks and applies them."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from core.crypto import Sealed
from core.rows import (
    Layout,
    insert_rows,
    record_from_json,
    record_json,
)

from .models import (
    Department,
    Person,
)

HEADERS: dict[str, str] = {
    "公民身份号码": "id_number", "身份证号码": "id_number", "身份证号": "id_number", "id_number": "id_number",
    "姓名": "name", "name": "name",
    "困难身份类别": "category", "困难类别": "category", "类别": "category", "category": "category",
    "认定日期": "certified_on", "认定时间": "certified_on", "certified_on": "certified_on",
    "终止日期": "ended_on", "截止日期": "ended_on", "ended_on": "ended_on",
    "居住乡镇": "township", "乡镇": "township", "乡镇代码": "township", "乡镇（街道）": "township",
    "township": "township",
    "证件编号": "certificate_number", "证书编号": "certificate_number", "certificate_number": "certificate_number",
    "认定部门": "department", "department": "department",
    "联系电话": "phone", "电话": "phone", "phone": "phone",
    "住址": "address", "address": "address",
}  # fmt: skip


REQUIRED = ("id_number", "name", "category", "certified_on", "township")


LABELS = {
    "id_number": "公民身份号码", "name": "姓名", "category": "困难身份类别", "certified_on": "认定日期",
    "ended_on": "终止日期", "township": "居住乡镇", "certificate_number": "证件编号", "department": "认定部门",
    "phone": "联系电话", "address": "住址",
}  # fmt: skip


IDENTITY_LAYOUT = Layout(HEADERS, REQUIRED, LABELS)


DEPARTMENTS = {d.value: d.value for d in Department} | {d.label: d.value for d in Department}


class Staged:
    """What the check of a file keeps of a validated record of either kind (``StagedRow``), and
    the record read back by the import: every field, the ID number only sealed (never in clear)."""

    id_number: str
    id_sealed: str

    def staged(self) -> dict[str, Any]:
        return record_json(self, omit=("id_number",)) | {
            "id_sealed": self.id_sealed or seal_id(self.id_number)
        }

    @classmethod
    def from_staged(cls, data: dict[str, Any]) -> Any:
        return record_from_json(cls, data, id_number="", id_sealed=Sealed(data["id_sealed"]))


@dataclass(frozen=True)
class Record(Staged):
    id_index: str  # the ID number's blind index: how the registry is searched and keyed
    id_number: str  # in clear while the file is checked; "" when the import reads the staged row
    name: str
    category: str
    certified_on: date
    ended_on: date | None
    township_id: int
    department: str
    certificate_number: str
    phone: str
    address: str
    birth_date: date
    sex: str
    place: str
    id_warning: str
    id_sealed: str = ""  # the ID number sealed for Person.id_number (staged by the check)
    id_tail: str = ""  # its last four characters (``Person.id_tail``), which lists show anyway


_ID_NUMBER = Person._meta.get_field("id_number")


def seal_id(id_number: str) -> Sealed:
    """An ID number sealed for ``Person.id_number``, to be written later as it is."""
    return _ID_NUMBER.seal(id_number)  # type: ignore[attr-defined, no-any-return]


def new_person(record: Any, **values: Any) -> dict[str, Any]:
    """The columns of a person a file brings (``record``: either kind's record; ``values``: what
    the file gives beyond the ID number's own facts). The ID number is sealed when written."""
    return {"id_number": record.id_sealed or record.id_number, "id_index": record.id_index,
            "id_tail": record.id_tail, "name": record.name, "sex": record.sex,
            "birth_date": record.birth_date, "hukou_place": record.place, "hukou_local": True,
            "township_id": record.township_id, "household_id": None,
            "id_warning": record.id_warning, **values}  # fmt: skip


PERSON_COLUMNS = ["id_number", "name", "sex", "birth_date", "phone", "address", "hukou_place", "hukou_local",
                  "township_id", "household_id", "relationship", "bank_name", "bank_account_holder",
                  "bank_account_number", "id_warning", "created_at", "updated_at"]  # fmt: skip
# a new person's columns as the imports write them: the ID number already sealed, its indexes given
NEW_PERSON_COLUMNS = ["id_number", "id_index", "id_tail", *PERSON_COLUMNS[1:]]


def insert_people(new_people: dict[str, dict[str, Any]]) -> dict[str, int]:
    """Write the people a batch brings ({blind index: ``new_person``}); their pks by index."""
    if not new_people:
        return {}
    now = timezone.now()
    rows = []
    for v in new_people.values():
        number = v["id_number"]
        v["id_number"] = number if isinstance(number, Sealed) else seal_id(number)
        rows.append([v.get(c, "") for c in NEW_PERSON_COLUMNS[:-2]] + [now, now])
    insert_rows(Person, NEW_PERSON_COLUMNS, rows)
    found = Person.objects.filter(id_index__any_of=list(new_people)).values_list("id_index", "pk")
    return {str(index): pk for index, pk in found}


@dataclass
class Outcome:
    """What became of one record: the person and the identity each created, updated or unchanged."""

    row_number: int
    id_number: str = ""
    person: str = ""  # created | updated | unchanged ("" when refused)
    identity: str = ""  # created | updated | unchanged
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    changes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """created (new person) | updated | unchanged | refused: the answer per record."""
        if self.errors or not self.person:
            return "refused"
        if self.person == "created":
            return "created"
        return "unchanged" if self.person == self.identity == "unchanged" else "updated"
