"""Writes to people and households: a person saved, a member added, a death recorded."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.access import Capability, can_access_area, has_capability
from accounts.models import User
from audit.events import Event
from audit.services import record, save_audited

from ..idnumber import normalise
from ..models import (
    Household,
    Person,
    Relationship,
)


@transaction.atomic
def person_save(*, person: Person, actor: User) -> Person:
    """Validate and save; Person.clean derives birth date and sex from the ID number.

    The ID is normalised here first: the field's length check runs before clean(), so " …x " with
    spaces would otherwise be refused."""
    person.id_number = normalise(person.id_number)
    save_audited(instance=person, actor=actor)
    return person


@transaction.atomic
def household_member_add(
    *, person: Person, name: str, id_number: str, relationship: str, actor: User
) -> Person:
    """A member of ``person``'s household added at the window (the 因病致贫 pre-check counts the
    household): registered on the spot in the person's township, or, if the registry knows them
    and they belong to no household yet, linked. The household is made when the person has none
    (the person its head), and its size is at least its members."""
    if not can_access_area(actor, township=person.township) or not has_capability(
        actor, Capability.INTAKE
    ):
        raise PermissionDenied("只有申请人所在乡镇（街道）的窗口经办人可以登记家庭成员。")
    if relationship not in Relationship.values or relationship == Relationship.HEAD:
        raise ValidationError({"relationship": "请选择与户主的关系（户主以外）。"})
    number = normalise(id_number)
    person = Person.objects.select_for_update().get(pk=person.pk)
    household = person.household
    if household is None:
        household = Household.objects.create(township=person.township, size=1)
        person.household = household
        person.relationship = person.relationship or Relationship.HEAD
        save_audited(instance=person, actor=actor, summary="窗口预审：建立家庭，本人为户主")
    known = Person.objects.with_id_number(number).first() if number else None
    if known is not None:
        if known.household_id == household.pk:
            raise ValidationError({"id_number": f"{known.name}已是这个家庭的成员。"})
        if known.household_id is not None:
            raise ValidationError(
                {
                    "id_number": "此人已登记在另一个家庭，请核实；确需调整的请联系其所在乡镇（街道）。"
                }
            )
        if not can_access_area(actor, township=known.township):
            raise ValidationError(
                {"id_number": "此人登记在其他乡镇（街道），请由其所在乡镇（街道）办理。"}
            )
        member = known
    else:
        member = Person(id_number=number, name=name.strip(), township=person.township)
    member.household = household
    member.relationship = relationship
    save_audited(instance=member, actor=actor, summary=f"窗口预审：登记为{person.name}的家庭成员")
    members = Person.objects.filter(household=household).count()
    if household.size < members:
        Household.objects.filter(pk=household.pk).update(size=members)
    return member


@transaction.atomic
def person_death_record(*, person: Person, died_on: Any, note: str, actor: User) -> Person:
    """死亡减员: the day a person died, with where the portal learned it (a death certificate, the
    family, the civil-affairs file). Every identity still valid that day ends that day, and the
    subsidy roster built next marks the person (and lists a subsidy paid after death for recovery).
    Recorded once; a correction goes through the administrator (the record is in the audit trail)."""
    if not can_access_area(actor, township=person.township) or not has_capability(
        actor, Capability.CONFIRM_CHANGES
    ):
        raise PermissionDenied("只有救助对象所在乡镇（街道）的经办人可以登记死亡。")
    person = Person.objects.select_for_update().get(pk=person.pk)
    today = timezone.localdate()
    note = (note or "").strip()
    errors: dict[str, str] = {}
    if person.died_on is not None:
        raise ValidationError(
            f"{person.name}已登记死亡（{person.died_on:%Y-%m-%d}），不能重复登记。"
        )
    if died_on is None:
        errors["died_on"] = "请填写死亡日期。"
    elif died_on > today:
        errors["died_on"] = f"死亡日期 {died_on:%Y-%m-%d} 晚于今天，请核对。"
    elif person.birth_date and died_on < person.birth_date:
        errors["died_on"] = (
            f"死亡日期 {died_on:%Y-%m-%d} 早于出生日期 {person.birth_date:%Y-%m-%d}，请核对。"
        )
    if not note:
        errors["note"] = "请写明信息来源，例如：死亡医学证明编号、家属告知、民政部门通报。"
    if not errors:
        later = person.identities.filter(certified_on__gt=died_on).first()
        if later is not None:
            errors["died_on"] = (
                f"死亡日期 {died_on:%Y-%m-%d} 早于{later.get_category_display()}身份的认定日期 "
                f"{later.certified_on:%Y-%m-%d}，请核实后再登记。"
            )
    if errors:
        raise ValidationError(errors)
    person.died_on = died_on
    person.death_note = note[:200]
    save_audited(
        instance=person, actor=actor, summary=f"登记死亡：{died_on:%Y-%m-%d}（{note[:60]}）"
    )
    ended = person.identities.filter(Q(ended_on__isnull=True) | Q(ended_on__gt=died_on))
    labels = [i.get_category_display() for i in ended]
    n = ended.update(ended_on=died_on, updated_at=timezone.now())
    if n:
        record(
            actor=actor,
            event=Event.DEATH_RECORDED,
            target=person,
            summary=f"因死亡终止困难身份 {n} 项（{'、'.join(labels)}），终止日期 {died_on:%Y-%m-%d}",
        )
    return person
