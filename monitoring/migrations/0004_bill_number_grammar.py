"""Every bill key made again by the one grammar of bill numbers (settlements/bills.py).

Before, ``ＦＰ７００１`` (full-width), ``FP－7004`` (full-width dash), ``FP\\u200b7003`` (zero-width
space) and a full-width hospital code made keys of their own, and the same bill was approved a
second time beside the original. This migration (here, on the floor that sees every table with a
key: window expenses, hospitals' records, the ledger, and the recoveries above the ledger):

1. recomputes the keys of every window expense and hospital record from their numbers, and the
   record key of a hospital record whose settlement number changes form;
2. recomputes the keys of every ledger entry from its own keys (a key is its numbers' letters and
   digits: the new form of an old key is the new key of its numbers);
3. a collision among live entries that this reveals is a bill assisted twice: the later entry keeps
   no keys and points to the first (``duplicate_of``), as a hospital's record that arrives for a bill
   already assisted at the window does; the window's settlement of the pair (the later one when both
   are) gets a recovery proposal (追回, 重复救助) for an approver to look at, as the ledger proposes
   one when a hospital record comes late;
4. writes one audit row saying what it recomputed and found.

The functions are copied here as they are today, so that this migration means the same thing
whatever settlements/bills.py becomes.
"""

import hashlib
import unicodedata
from decimal import Decimal

from django.db import migrations

_MINUSES = frozenset("\u2212\u2796\u2043\u02d7")
_REMOVED = frozenset({"Pd", "Cf", "Zs", "Zl", "Zp", "Cc"})


def canonical(number):
    text = unicodedata.normalize("NFKC", number or "")
    return "".join(
        ch
        for ch in text
        if not (ch.isspace() or ch in _MINUSES or unicodedata.category(ch) in _REMOVED)
    ).upper()


def key_form(number):
    return "".join(ch for ch in canonical(number) if ch.isalnum())


def invoice_key(code, number):
    code, number = key_form(code), key_form(number)
    return f"inv:{code}:{number}"[:80] if code and number else ""


def settlement_key(number):
    number = key_form(number)
    return f"set:{number}"[:80] if number else ""


def rekey(key):
    """An old key in the new form."""
    if key.startswith("inv:") and key.count(":") >= 2:
        _, code, number = key.split(":", 2)
        return invoice_key(code, number)
    if key.startswith("set:"):
        return settlement_key(key[4:])
    return key


def record_key(hospital, number):
    return hashlib.sha256(f"N|{hospital}|{number}".encode()).hexdigest()


def _numbers_rekeyed(model, record_keys=None):
    """Keys of ``model``'s rows made again from their numbers; returns how many changed. For
    hospital records, a record key made from a settlement number follows its new form
    (``record_keys`` collects old → new, for the ledger's one-stop entries)."""
    changed = []
    taken = set()
    if record_keys is not None:
        taken = set(model.objects.values_list("record_key", flat=True))
    for row in model.objects.exclude(invoice_number="", settlement_number="").iterator():
        fields = []
        inv = invoice_key(row.hospital_code, row.invoice_number)
        sett = settlement_key(row.settlement_number)
        if (inv, sett) != (row.invoice_key, row.settlement_key):
            row.invoice_key, row.settlement_key = inv, sett
            fields += ["invoice_key", "settlement_key"]
        if record_keys is not None and row.settlement_number:
            old = record_key(row.hospital, row.settlement_number)
            new = record_key(row.hospital, canonical(row.settlement_number))
            if row.record_key == old and new != old and new not in taken:
                taken.add(new)
                record_keys[old] = new
                row.record_key = new
                fields.append("record_key")
        if fields:
            changed.append(row)
    model.objects.bulk_update(
        changed,
        ["invoice_key", "settlement_key"] + (["record_key"] if record_keys is not None else []),
        batch_size=1000,
    )
    return len(changed)


def forwards(apps, schema_editor):
    Expense = apps.get_model("applications", "MedicalExpense")
    Application = apps.get_model("applications", "Application")
    HospitalSettlement = apps.get_model("monitoring", "HospitalSettlement")
    LedgerEntry = apps.get_model("settlements", "LedgerEntry")
    Recovery = apps.get_model("payments", "Recovery")
    AuditEvent = apps.get_model("audit", "AuditEvent")

    expenses = _numbers_rekeyed(Expense)
    record_keys = {}
    records = _numbers_rekeyed(HospitalSettlement, record_keys)
    for old, new in record_keys.items():
        LedgerEntry.objects.filter(record_key=old).update(record_key=new)

    # the ledger: live entries in the order they were entered, the first of a bill holds it
    holder = {}
    moved, duplicates = {}, []
    live = LedgerEntry.objects.filter(released_at__isnull=True).exclude(
        invoice_key="", settlement_key=""
    )
    for entry in live.select_related("settlement").order_by("created_at", "id"):
        keys = (rekey(entry.invoice_key), rekey(entry.settlement_key))
        first = next((holder[k] for k in keys if k and k in holder), None)
        if first is not None:
            duplicates.append((entry, first))
            continue
        holder.update({k: entry for k in keys if k})
        if keys != (entry.invoice_key, entry.settlement_key):
            moved[entry.pk] = keys
    released = []
    for entry in LedgerEntry.objects.filter(released_at__isnull=False).exclude(
        invoice_key="", settlement_key=""
    ):
        keys = (rekey(entry.invoice_key), rekey(entry.settlement_key))
        if keys != (entry.invoice_key, entry.settlement_key):
            entry.invoice_key, entry.settlement_key = keys
            released.append(entry)
    LedgerEntry.objects.bulk_update(released, ["invoice_key", "settlement_key"], batch_size=1000)
    # the later entry of a pair gives up its keys first, so no UPDATE meets the unique index
    for entry, first in duplicates:
        LedgerEntry.objects.filter(pk=entry.pk).update(
            invoice_key="", settlement_key="", duplicate_of=first.pk
        )
    for pk, (inv, sett) in moved.items():
        LedgerEntry.objects.filter(pk=pk).update(invoice_key=inv, settlement_key=sett)

    proposed = 0
    for entry, first in duplicates:
        window = entry if entry.settlement_id else first if first.settlement_id else None
        if window is None:  # two hospital records of one bill: no window money to recover
            continue
        other = first if window is entry else entry
        settlement = window.settlement
        app = Application.objects.filter(settlement_id=settlement.pk).first()
        if app is None or app.status not in ("approved", "paid"):
            continue
        if Recovery.objects.filter(
            application=app, state__in=["proposed", "confirmed"]
        ).exists():
            continue
        unrecovered = (
            settlement.assistance + settlement.tilted + settlement.fund - settlement.recovered
        )
        amount = min(window.assistance, unrecovered)
        if amount <= Decimal("0.00"):
            continue
        note = (
            f"同一票据已获救助：{other.label}（票据号写法不同；数据迁移按统一的票据号格式"
            f"重算票据键时发现）"
        )
        Recovery.objects.create(application=app, amount=amount, reason="duplicate", note=note)
        AuditEvent.objects.create(
            actor_username="system",
            action="create",
            target_type="applications.application",
            target_id=str(app.pk),
            target_repr=app.number,
            county_id=app.county_id,
            township_id=app.township_id,
            summary=f"{app.number} 台账核对提出追回 {amount:,.2f} 元：{note}"[:500],
        )
        proposed += 1

    if expenses or records or moved or released or duplicates:
        AuditEvent.objects.create(
            actor_username="system",
            action="update",
            target_type="settlements.ledgerentry",
            summary=(
                f"数据迁移 monitoring.0004：按统一的票据号格式重算票据键（窗口费用 {expenses} 笔、"
                f"医院结算记录 {records} 条、台账票据 {len(moved) + len(released)} 条）；"
                f"发现同一票据重复救助 {len(duplicates)} 笔，提出追回 {proposed} 件"
            ),
            changes={
                "expenses": expenses,
                "hospital_records": records,
                "ledger_entries": len(moved) + len(released),
                "duplicates": [[e.pk, f.pk] for e, f in duplicates],
                "recoveries_proposed": proposed,
            },
        )


class Migration(migrations.Migration):
    dependencies = [
        ("monitoring", "0003_monthly_reports"),
        ("applications", "0011_eligibility_at_window"),
        ("settlements", "0011_fund_books"),
        ("payments", "0005_subsidy_transfers"),
        ("audit", "0005_mask_identifiers"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
