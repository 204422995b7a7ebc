"""A person's record (救助对象档案): identities, household, the year's ledger and burden, cases and
warnings, gathered from the floors below; every view is in the access log."""

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from accounts.access import Capability, capability_required, has_capability
from applications.selectors import applications_for
from audit.events import Event
from audit.services import record_view
from beneficiaries.forms import DeathForm, ReferralForm
from beneficiaries.models import Person, PersonChange
from beneficiaries.selectors import favourable_identity, person_page, same_phone_count
from monitoring.selectors import burden_of, warnings_for
from settlements.selectors import ledger_of


@capability_required(Capability.VIEW_PEOPLE)
def person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """A person's record, for staff of the person's own area. Every view is logged."""
    try:
        person = person_page(request.user, pk)
    except Person.DoesNotExist:
        raise Http404("没有找到该救助对象，或不属于您的辖区。") from None
    record_view(event=Event.PERSON_VIEWED, actor=request.user, target=person)
    today = timezone.localdate()
    current = favourable_identity(person, today)
    context = {
        "person": person,
        "today": today,
        "age": person.age_on(today),
        "current": current,
        "identities": [(i, i.is_valid_on(today)) for i in person.identities.all()],
        "members": list(person.household.members.order_by("pk")) if person.household else [],
        "same_phone": same_phone_count(person),
        "ledger": ledger_of(person, today.year),
        "applications": applications_for(request.user)
        .filter(person=person)
        .order_by("-created_at")[:20],
        "burden": burden_of(person, today.year),
        "warnings": warnings_for(request.user).filter(person=person).order_by("-year", "list"),
        "can_intake": has_capability(request.user, Capability.INTAKE),
        "can_record_death": has_capability(request.user, Capability.CONFIRM_CHANGES)
        and person.died_on is None,
        "death_form": DeathForm(),
        "referrals": list(person.referrals.order_by("-valid_from")),
        "referral_form": ReferralForm(),
        "pending_changes": person.changes.filter(status=PersonChange.Status.PENDING).count(),
    }
    return render(request, "beneficiaries/person_detail.html", context)
