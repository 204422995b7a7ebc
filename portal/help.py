"""帮助: the user guide (docs/guide, Sphinx + MyST), built into ``HELP_DIR`` and served by the portal
itself (no CDN, no separate web server), opened from every page at the section for that page.

- ``build()`` runs Sphinx (``manage.py build_guide``; ``make run`` and the production set-up call it,
  and the first request for the guide builds it if nobody has, under a file lock);
- ``url_for(request)`` is the 帮助 link of the page being shown: the guide of the user's role, at the
  section of the page (``SECTIONS``), or the top of that guide when the page has no section of its own.
  ``tests/portal/test_help.py`` builds the guide and checks that every section named here exists.
"""

from __future__ import annotations

import fcntl
import mimetypes
from pathlib import Path

from django.conf import settings
from django.http import FileResponse, Http404, HttpRequest
from django.urls import reverse
from django.views.decorators.cache import cache_control

from accounts.access import role_of
from accounts.models import Role

SOURCE = Path(settings.BASE_DIR) / "docs" / "guide"

# each role's chapter of the guide; applicants (no account) read applicant.html
GUIDES: dict[Role | None, str] = {
    Role.CLERK: "clerk",
    Role.REVIEWER: "county",
    Role.APPROVER: "county",
    Role.FINANCE: "finance",
    Role.ADMIN: "admin",
    None: "applicant",
}

# page (URL name) → section (a MyST target ``(chapter-name)=`` in that role's chapter)
SECTIONS: dict[str, str] = {
    "areas:township": "dashboard",
    "areas:county": "dashboard",
    "areas:overview": "dashboard",
    "applications:index": "queue",
    "applications:new": "intake",
    "applications:new_for_person": "intake",
    "applications:edit": "intake",
    "applications:accept": "accept",
    "applications:detail": "case",
    "applications:inbox": "reminders",
    "applications:notices": "notices",
    "applications:illness_check": "eligibility",
    "applications:illness_list": "eligibility",
    "applications:tilted_list": "queue",
    "beneficiaries:person_list": "people",
    "beneficiaries:person_detail": "people",
    "beneficiaries:change_list": "changes",
    "beneficiaries:import_list": "imports",
    "beneficiaries:import_detail": "imports",
    "monitoring:warning_list": "warnings",
    "monitoring:warning_detail": "warnings",
    "monitoring:overview": "overview",
    "monitoring:agenda_list": "relief",
    "monitoring:agenda_detail": "relief",
    "relief:handoff_list": "relief",
    "relief:handoff_detail": "relief",
    "relief:early_list": "relief",
    "monitoring:monthly_list": "overview",
    "monitoring:monthly_detail": "overview",
    "payments:index": "payments",
    "settlements:roster": "payments",
    "settlements:roster_followup": "people",
    "payments:transfers": "payments",
    "settlements:books": "payments",
    "payments:batch_detail": "batch",
    "settlements:policy_list": "policies",
    "settlements:policy_detail": "policies",
    "audit:search": "audit",
    "portal:jobs": "jobs",
    "accounts:password_change": "password",
    "status": "status",
}

# the sections each chapter has (checked against the built guide by the test)
CHAPTER_SECTIONS: dict[str, frozenset[str]] = {
    "clerk": frozenset(
        {"dashboard", "queue", "intake", "eligibility", "accept", "case", "reminders", "people",
         "changes", "warnings", "relief", "password"}
    ),
    "county": frozenset(
        {"dashboard", "queue", "case", "eligibility", "notices", "people", "changes", "warnings",
         "overview", "payments", "batch", "policies", "audit", "relief", "password"}
    ),
    "finance": frozenset(
        {"dashboard", "queue", "case", "eligibility", "payments", "batch", "overview", "policies",
         "notices", "relief", "password"}
    ),
    "admin": frozenset(
        {"dashboard", "queue", "case", "eligibility", "people", "changes", "imports", "warnings",
         "overview", "payments", "batch", "policies", "audit", "jobs", "password", "notices",
         "relief"}
    ),
    "applicant": frozenset({"status"}),
}  # fmt: skip


def output_dir() -> Path:
    return Path(settings.HELP_DIR)


def build(*, strict: bool = False, out: Path | None = None) -> Path:
    """Build the guide into ``out`` (``HELP_DIR``); ``strict`` turns Sphinx warnings into errors."""
    from sphinx.cmd.build import build_main

    target = out or output_dir()
    target.parent.mkdir(parents=True, exist_ok=True)
    args = ["-b", "html", "-q", "-d", str(target.parent / f".{target.name}-doctrees")]
    if strict:
        args += ["-W", "--keep-going"]
    code = build_main([*args, str(SOURCE), str(target)])
    if code:
        raise RuntimeError(f"Sphinx could not build the guide (exit {code})")
    return target


def ensure_built() -> Path:
    """The built guide; built now (once, under a lock) if no one has built it yet."""
    target = output_dir()
    if (target / "index.html").exists():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    with open(target.parent / ".help-build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (target / "index.html").exists():
            build()
    return target


def url_for(request: HttpRequest) -> str:
    role = role_of(request.user)
    chapter = GUIDES.get(role, "applicant")
    match = getattr(request, "resolver_match", None)
    name = match.view_name if match else ""
    section = SECTIONS.get(name, "")
    anchor = (
        f"#{chapter}-{section}" if section in CHAPTER_SECTIONS.get(chapter, frozenset()) else ""
    )
    return reverse("portal:help", args=[f"{chapter}.html"]) + anchor


@cache_control(max_age=300)
def serve(request: HttpRequest, path: str = "index.html") -> FileResponse:
    """A file of the built guide (open to everyone: applicants read their chapter too)."""
    root = ensure_built().resolve()
    wanted = (root / (path or "index.html")).resolve()
    if root not in wanted.parents and wanted != root:
        raise Http404("没有这个帮助页面。")
    if wanted.is_dir():
        wanted = wanted / "index.html"
    if not wanted.is_file():
        raise Http404("没有这个帮助页面。")
    kind, encoding = mimetypes.guess_type(wanted.name)
    response = FileResponse(wanted.open("rb"), content_type=kind or "application/octet-stream")
    if encoding:
        response["Content-Encoding"] = encoding
    return response
