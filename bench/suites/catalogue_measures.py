"""Inside Django (`processes.django_child`): the catalogue suite's bare page and probe. The
application's code this suite needs is imported here, and only here."""

import re
import statistics
import time
from collections import Counter

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from wagtail.models import Site

from bench.harness.load import concrete
from cms.models import StandardPage
from cotraining.models import Enrollment, Session, WorkshopPage


def add_bare_page(slug):
    """A standard page under the home page, no catalogue work at all: the reference."""
    home = Site.objects.get(is_default_site=True).root_page
    if not StandardPage.objects.child_of(home).filter(slug=slug).exists():
        page = home.add_child(
            instance=StandardPage(
                title="Banc d'essai",
                slug=slug,
                intro="Une page sans travail de catalogue : la référence de make bench.",
            )
        )
        page.save_revision().publish()


def analyze():
    """Planner statistics after the bulk load, as PostgreSQL's autovacuum gathers them on its
    own. SQLite never does: --no-analyze measures a database as the application leaves it."""
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def probe(paths):
    """What one request of each page costs in SQL, with the server's settings; the dataset."""
    client = Client(HTTP_HOST="localhost")
    pages = {}
    for path in paths:
        urls = (concrete(path, f"probe-{n}") for n in range(7))
        client.get(next(urls))  # caches warm (site root paths, listings) as in a live worker
        with CaptureQueriesContext(connection) as queries:
            response = client.get(next(urls))
        captured = list(queries.captured_queries)  # the next request resets the log
        durations = []
        for url in urls:  # five requests one at a time: the service time, no contention
            started = time.perf_counter()
            client.get(url)
            durations.append((time.perf_counter() - started) * 1000)
        repeated = Counter(re.sub(r"\b\d+\b", "N", query["sql"])[:160] for query in captured)
        slowest = sorted(captured, key=lambda query: -float(query["time"]))[:5]
        pages[path] = {
            "status": response.status_code,
            "queries": len(captured),
            "sql_ms": sum(float(query["time"]) for query in captured) * 1000,
            "alone_ms": statistics.median(durations),
            "bytes": len(response.content),
            "repeated": [(n, sql) for sql, n in repeated.most_common(5) if n > 1],
            "slowest": [(float(query["time"]) * 1000, query["sql"][:160]) for query in slowest],
        }
    now = timezone.now()
    dataset = {
        "workshops": WorkshopPage.objects.live().count(),
        "workshops_upcoming": WorkshopPage.objects.live()
        .filter(sessions__in=Session.objects.upcoming(now))
        .distinct()
        .count(),
        "sessions": Session.objects.count(),
        "sessions_upcoming": Session.objects.upcoming(now).count(),
        "enrollments": Enrollment.objects.count(),
    }
    return {"pages": pages, "dataset": dataset}
