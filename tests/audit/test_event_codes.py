"""Every audited operation has its own code (audit.events.Event); the coarse action and the Chinese
headline follow from it, and no call of the trail's writers names an action of its own."""

import ast
from pathlib import Path

from audit.events import ACTION_OF, Event
from audit.models import AuditEvent

ROOT = Path(__file__).resolve().parents[2]
WRITERS = {"record", "record_by_system", "record_view", "record_list_view"}


def _code() -> list[Path]:
    return [
        p
        for p in ROOT.rglob("*.py")
        if not {".venv", "tests", "migrations", "node_modules"} & set(p.parts)
    ]


def test_each_code_counts_as_one_coarse_action_and_reads_in_chinese():
    assert set(ACTION_OF) == set(Event)
    assert set(ACTION_OF.values()) <= set(AuditEvent.Action.values)
    assert len(Event) > 100 and len(set(Event.labels)) == len(Event)
    assert all(any("\u4e00" <= ch <= "\u9fff" for ch in label) for label in Event.labels)


def test_every_call_of_the_trail_names_its_event_and_no_action():
    calls, bare = 0, []
    for path in _code():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            f = node.func
            name = f.id if isinstance(f, ast.Name) else getattr(f, "attr", "")
            if name not in WRITERS or (path.parent.name == "audit" and name != "record"):
                continue
            if path == ROOT / "audit" / "services.py":
                continue  # the writers themselves pass their ``event`` on
            calls += 1
            words = {k.arg for k in node.keywords}
            if "event" not in words or "action" in words:
                bare.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert calls > 80
    assert bare == []


def test_no_code_is_declared_and_never_written():
    text = "\n".join(
        p.read_text(encoding="utf-8") for p in _code() if p != ROOT / "audit" / "events.py"
    )
    unused = [e.name for e in Event if f"Event.{e.name}" not in text]
    assert unused == []
