"""The review-queue benchmark's floor (bench/review_queue.py), served by the same gunicorn: the
portal's URLs plus /floor/queue/, a keyset SELECT of 50 rows of the reviewer's county in a minimal
template, behind the same middleware (the session and the user are read, as the queue does).

    gunicorn bench.queue_floor:application
"""

import os

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.dev")

from datetime import date

from django.conf import settings
from django.core.wsgi import get_wsgi_application

application = get_wsgi_application()
settings.ROOT_URLCONF = "bench.queue_floor"

from django.http import HttpRequest, HttpResponse  # noqa: E402
from django.template import engines  # noqa: E402
from django.urls import include, path  # noqa: E402

from applications.models import Application  # noqa: E402

PAGE = engines["django"].from_string(
    "<!doctype html><table>{% for r in rows %}<tr><td>{{ r.1 }}</td><td>{{ r.2 }}</td>"
    "<td>{{ r.3|default:'' }}</td><td>{{ r.4|default:'' }}</td></tr>{% endfor %}</table>"
    '{% if after %}<a href="?after={{ after|urlencode }}" data-testid="next-page">下一页</a>{% endif %}'
)


def floor(request: HttpRequest) -> HttpResponse:
    rows = Application.objects.filter(county_id=request.user.county_id)  # type: ignore[union-attr]
    cursor = request.GET.get("after", "")
    if cursor:
        day, pk = cursor.split("_")
        rows = rows.filter(step_due_on__gte=date.fromisoformat(day)).exclude(
            step_due_on=date.fromisoformat(day), id__lte=int(pk)
        )
    rows = rows.filter(step_due_on__isnull=False).order_by("step_due_on", "id")
    found = list(rows.values_list("id", "number", "status", "step_due_on", "approved_amount")[:50])
    after = f"{found[-1][3]:%Y-%m-%d}_{found[-1][0]}" if len(found) == 50 else ""
    return HttpResponse(PAGE.render({"rows": found, "after": after}))


urlpatterns = [path("floor/queue/", floor), path("", include("config.urls"))]
