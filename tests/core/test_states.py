"""Every state field moves through one declared table (core.states), and nothing else writes it."""

import ast
from pathlib import Path

import pytest
from django.apps import apps

from core.states import MACHINES, UndeclaredMove

ROOT = Path(__file__).resolve().parents[2]
FIELDS = {"status", "state", "promise_status", "enrolment"}
EXPECTED = {
    "applications.Application.status",
    "applications.Application.promise_status",
    "applications.Notification.state",
    "applications.OnlineUpload.state",
    "beneficiaries.IdentityImport.status",
    "beneficiaries.PersonChange.status",
    "beneficiaries.IdentityClaim.status",
    "payments.PaymentBatch.state",
    "payments.Payment.state",
    "payments.AccountChange.state",
    "payments.Recovery.state",
    "payments.SubsidyTransfer.state",
    "monitoring.BurdenWarning.status",
    "settlements.SubsidyEntry.enrolment",
    "relief.Handoff.state",
    "relief.Deliberation.state",
    "relief.EarlyReport.state",
}


def test_each_state_field_with_a_declared_table_and_a_writer_that_exists():
    names = [m.name for m in MACHINES]
    assert sorted(names) == sorted(EXPECTED)  # each declared once
    for m in MACHINES:
        assert (ROOT / (m.writer.replace(".", "/") + ".py")).exists(), m.writer
    # every field of the project that holds a state is among them
    found = {
        f"{model._meta.label}.{f.name}"
        for model in apps.get_models()
        if model._meta.app_label in {m.model._meta.app_label for m in MACHINES}
        for f in model._meta.get_fields()
        if getattr(f, "choices", None) and (f.name in FIELDS or f.name.endswith("_status"))
    }
    assert found == EXPECTED


def _writes(path: Path) -> list[str]:
    """Lines of ``path`` that assign a state field or pass one to ``update``."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        targets: list[ast.expr] = []
        if isinstance(node, ast.Assign):
            for t in node.targets:
                targets += t.elts if isinstance(t, ast.Tuple) else [t]
        elif isinstance(node, ast.AugAssign | ast.AnnAssign):
            targets = [node.target]
        for t in targets:
            if isinstance(t, ast.Attribute) and t.attr in FIELDS:
                found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in {"update", "update_or_create"}
            and any(k.arg in FIELDS for k in node.keywords)
        ):
            found.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    return found


def test_no_line_outside_core_states_writes_a_state_field():
    code = [
        p
        for p in ROOT.rglob("*.py")
        if not {".venv", "tests", "migrations", "bench", "node_modules"} & set(p.parts)
        and p != ROOT / "core" / "states.py"
    ]
    assert len(code) > 150
    assert [w for p in code for w in _writes(p)] == []


def test_the_scan_sees_a_direct_write():
    sample = ROOT / "var" / "scan_sample.py"
    sample.parent.mkdir(exist_ok=True)
    sample.write_text(
        "item.state = 'paid'\nRow.objects.filter(pk=1).update(status='x')\na.status, b = 1, 2\n",
        encoding="utf-8",
    )
    try:
        assert len(_writes(sample)) == 3
    finally:
        sample.unlink()


def test_a_move_from_an_undeclared_state_changes_nothing_and_says_so(draft):
    from applications.models import NOTIFICATION_STATES, Notification

    app = draft
    note = Notification.objects.create(
        application=app, kind="test", phone="13800000000", text="t", dedupe_key="k1"
    )
    with pytest.raises(UndeclaredMove):
        NOTIFICATION_STATES.move(note, Notification.State.PENDING)  # no move leads back
    assert NOTIFICATION_STATES.move(note, Notification.State.SENT) is False  # not claimed yet
    note.refresh_from_db()
    assert note.state == Notification.State.PENDING
    assert NOTIFICATION_STATES.move(note, Notification.State.SENDING, claim="w1") is True
    assert (note.state, note.claim) == (Notification.State.SENDING, "w1")
    with pytest.raises(UndeclaredMove):  # a sent message never fails afterwards
        NOTIFICATION_STATES.step(Notification(state=Notification.State.SENT), "failed")
    loose = Notification(state=Notification.State.SENDING)
    assert NOTIFICATION_STATES.step(loose, "failed") == "sending" and loose.state == "failed"


def test_every_workflow_action_has_its_audit_code_with_the_same_words():
    from applications.services.moves import MOVE_EVENTS
    from applications.workflow import TRANSITIONS

    assert set(TRANSITIONS) <= set(MOVE_EVENTS)
    for action, transition in TRANSITIONS.items():
        assert MOVE_EVENTS[action].value == f"application.{action}"
        assert MOVE_EVENTS[action].label == transition.label
