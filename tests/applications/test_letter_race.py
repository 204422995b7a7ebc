"""One letter per case, kind and version (issue 34, 6): the worker rendering a receipt while the
clerk opens it, or two clerks at once, keep one row with one verification code; the database
refuses a second row of the same version; a rendering that lost the race leaves no file behind.

Before: opening the receipt or the promise right after acceptance rendered it on demand while
the worker rendered it too; 3 of 3 cases got extra rows, each with its own verification code."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.conf import settings
from django.db import IntegrityError, connection, transaction

from applications import documents
from applications.models import Letter
from audit.models import AuditEvent
from core.pdf import render_pdf
from tests.factories import make_application


def letter_files() -> list[Path]:
    return sorted((Path(settings.MEDIA_ROOT) / "private" / "letters").glob("*.pdf"))


@pytest.mark.django_db(transaction=True)
def test_a_letter_asked_for_twice_at_once_is_rendered_and_kept_once(world, applicant, accept):
    app = accept(make_application(applicant, world.users["clerk"]), missing=["invoice"])
    before = len(letter_files())
    barrier = threading.Barrier(3)
    got: list[tuple[int, str]] = []

    def open_it(actor):  # what the case page's link and the worker's task each do
        try:
            barrier.wait()
            item = documents.latest(app, "receipt") or documents.letter_render(
                application=app, kind="receipt", actor=actor
            )
            got.append((item.pk, item.code))
        finally:
            connection.close()

    threads = [
        threading.Thread(target=open_it, args=(actor,))
        for actor in (world.users["clerk"], None, world.users["clerk"])
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert len(got) == 3 and len(set(got)) == 1  # everyone got the same letter, the same code
    assert Letter.objects.filter(application=app, kind="receipt").count() == 1
    assert (
        AuditEvent.objects.filter(
            event="letter.rendered", summary__startswith="生成受理回执"
        ).count()
        == 1
    )
    assert len(letter_files()) == before + 1


def test_the_loser_of_the_race_uses_the_winners_letter_and_drops_its_file(world, applicant, accept):
    """``letter_store`` as the second renderer reaches it: the first row is there already."""
    app = accept(make_application(applicant, world.users["clerk"]), missing=["invoice"])
    first = documents.letter_render(application=app, kind="promise")
    files = letter_files()
    pdf = render_pdf(documents.TEMPLATES["promise"], documents.context_for(app, "promise", "LOSER"))
    kept = documents.letter_store(app, "promise", pdf, "LOSER", None)
    assert (kept.pk, kept.code) == (first.pk, first.code)
    assert letter_files() == files  # the loser's PDF was not left on disk
    assert (
        AuditEvent.objects.filter(event="letter.rendered", summary__startswith="生成承诺书").count()
        == 1
    )


def test_the_database_refuses_a_second_letter_of_the_same_version(world, applicant, accept):
    app = accept(make_application(applicant, world.users["clerk"]), missing=["invoice"])
    first = documents.letter_render(application=app, kind="receipt")
    with pytest.raises(IntegrityError), transaction.atomic():
        Letter.objects.create(
            application=app, kind="receipt", version=1, file=first.file.name,
            sha256=first.sha256, code="OTHER", size=first.size,
        )  # fmt: skip
    assert documents.letter_render(application=app, kind="receipt").pk == first.pk
