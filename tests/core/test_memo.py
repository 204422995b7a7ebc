"""core.memo: a reading request reads a thing once; a writing request, a task or a command reads
afresh every time (never a value from before its own write)."""

from __future__ import annotations

from django.http import HttpResponse
from django.test import RequestFactory

from core.memo import RequestMemoMiddleware, remembered


def counting_view(reads: list[str]):
    def view(request):
        def compute() -> str:
            reads.append(request.method)
            return f"read {len(reads)}"

        first = remembered(("thing", 1), compute)
        second = remembered(("thing", 1), compute)
        other = remembered(("thing", 2), compute)
        return HttpResponse(f"{first}|{second}|{other}")

    return view


def test_a_get_reads_each_key_once_and_a_post_reads_every_time():
    reads: list[str] = []
    handler = RequestMemoMiddleware(counting_view(reads))
    page = handler(RequestFactory().get("/")).content.decode()
    assert (page, reads) == ("read 1|read 1|read 2", ["GET", "GET"])
    reads.clear()
    page = handler(RequestFactory().post("/")).content.decode()
    assert (page, reads) == ("read 1|read 2|read 3", ["POST", "POST", "POST"])


def test_the_memo_ends_with_its_request_and_is_absent_outside_one():
    reads: list[str] = []
    handler = RequestMemoMiddleware(counting_view(reads))
    handler(RequestFactory().get("/"))
    handler(RequestFactory().get("/"))
    assert reads == ["GET", "GET", "GET", "GET"]  # two keys a request, nothing carried over
    calls: list[int] = []
    assert [remembered("k", lambda: calls.append(1) or len(calls)) for _ in range(2)] == [1, 2]
