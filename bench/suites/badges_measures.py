"""Inside Django (`processes.django_child`): the badges suite's data, bulk awards through the
worker, the in-process calls and the bare bakery.

The application's code this suite needs is imported here, and only here (the block below):
when a service, a task or a model moves, this is the one place to follow it (the worker's award
task calls `award_one` below).
"""

import contextlib
import io
import json
import os
import statistics
import threading
import time
from collections import Counter
from unittest import mock

import psycopg
from django.core.files.base import ContentFile
from django.core.files.storage import FileSystemStorage
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, setup_test_environment
from openbadges_bakery import bake, unbake
from PIL import Image, ImageDraw

from badges.models import Assertion, BadgeClass, BulkAward, Issuer
from badges.services import awards as award_module  # award_badge and the callees PHASES times
from badges.services.baking import read_baked
from badges.services.bulk import start_bulk_award, validate_bulk_award_csv
from badges.services.emails import send_badge_email_task
from badges.services.openbadges import assertion_document
from badges.tasks import award_bulk_chunk, run_bulk_award, send_badge_email, send_badge_emails
from bench.harness.databases import redis_client
from bench.harness.processes import CpuWindow, note
from bench.suites.badges import ACCEPT, PROBE, SESSION_STATES
from cotraining.models import User

# Each phase of `award_badge` times one callee, wrapped where `award_badge` looks it up
# (phase: (object, attribute)), and the file storage's `_save` (the baked image written).
PHASES = {
    "publish_version": (award_module, "publish_version"),
    "bake_image": (award_module, "store_baked_image"),
    "audit_log": (award_module, "log"),
    "email_task": (send_badge_email_task, "enqueue_on_commit"),
}


def award_one(badge_class_id, user_id, source):
    """The unit of a bulk award, as the worker's `bench.award_badge` task runs it."""
    badge_class = BadgeClass.objects.select_related("issuer").get(pk=badge_class_id)
    user = User.objects.get(pk=user_id)
    award_module.award_badge(
        badge_class=badge_class, email=user.email, recipient=user, source=source
    )


def badge_png(size=256):
    """A badge-like PNG: a disc with a ring and a few strokes on a transparent square."""

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, size - 4, size - 4), fill=(0, 0, 145, 255))
    draw.ellipse((24, 24, size - 24, size - 24), outline=(255, 255, 255, 255), width=6)
    for step in range(0, size, 16):
        draw.line((step, size // 2, size // 2, step), fill=(225, 0, 15, 255), width=3)
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def setup(people):
    issuer = Issuer.objects.create(
        name="DANE de l'académie de Poitiers",
        url="https://www.ac-poitiers.fr",
        email="dane@ac-poitiers.fr",
    )
    badge_class = BadgeClass(
        issuer=issuer,
        name="Co-formateur numérique",
        description="A suivi un atelier de co-formation au numérique éducatif.",
        criteria_narrative="Présence à l'atelier, relevée par le formateur.",
        tags="numérique, co-formation",
    )
    png = badge_png()
    badge_class.image.save("badge.png", ContentFile(png), save=False)
    badge_class.save()
    User.objects.bulk_create(
        User(
            email=f"enseignant.{number:04d}@ac-poitiers.fr",
            first_name="Camille",
            last_name=f"Martin {number:04d}",
            password="!",  # noqa: S106 - unusable: nobody logs in
        )
        for number in range(people)
    )
    return {"badge_class": badge_class.pk, "png_bytes": len(png)}


def wait_for(condition, timeout, what, interval=0.02):
    deadline = time.perf_counter() + timeout
    while not condition():
        if time.perf_counter() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(interval)
    return time.perf_counter()


def bulk(kind, badge_class_id, start, count, worker_pid):
    """Enqueue `count` tasks to the worker and wait until they are done; times from the first
    enqueue. Awards: to the last Assertion row (its email task is then queued), then to the
    last award email sent. CPU used meanwhile by the worker, PostgreSQL and the machine."""
    from bench.suites.badges_worker import award_badge, key, noop  # the run's queue, from now on

    client = redis_client()

    def counted(task):
        done, failed = (int(client.get(key(task.name, what)) or 0) for what in ("done", "failed"))
        if failed:
            raise SystemExit(f"{failed} {task.name} tasks failed: see the worker's log")
        return done

    for task in (award_badge, noop, send_badge_email):
        client.delete(*(key(task.name, what) for what in ("done", "failed", "ms")))
    users = list(User.objects.order_by("pk").values_list("pk", flat=True)[start : start + count])
    assert len(users) == count, "not enough teachers"  # noqa: S101
    before = Assertion.objects.count()
    timeout = 60 + count  # the first run also waits for the worker to start
    window = CpuWindow(worker_pid)
    window.start()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        sampler = SessionSampler(os.environ["DATABASE_URL"], [cursor.fetchone()[0]])
    sampler.start()
    started = time.perf_counter()
    if kind == "noop":
        for number in range(count):
            noop.delay(number)
    else:
        for user in users:
            award_badge.delay(badge_class_id, user, f"bench:{user}")
    enqueued = time.perf_counter() - started
    result = {"tasks": count, "enqueue_s": enqueued}
    if kind == "noop":
        done = wait_for(lambda: counted(noop) >= count, timeout, "the trivial tasks")
        result["wall_s"] = done - started
        result["cpu"] = window.stop()
        sampler.stop()
        task = noop
    else:
        done = wait_for(
            lambda: Assertion.objects.count() >= before + count, timeout, "the assertions"
        )
        result["wall_s"] = done - started
        result["cpu"] = window.stop()
        result["sessions"] = sampler.stop()
        mailed = wait_for(lambda: counted(send_badge_email) >= count, timeout, "the emails")
        result["mailed_s"] = mailed - started
        wait_for(lambda: counted(award_badge) >= count, 10, "the award tasks' counters")
        task = award_badge
        emails = [float(ms) for ms in client.lrange(key(send_badge_email.name, "ms"), 0, -1)]
        result["email_ms"] = statistics.median(emails)
        missing = Assertion.objects.filter(pk__gt=0, image="").count()
        result["without_image"] = missing
    runtimes = sorted(float(ms) for ms in client.lrange(key(task.name, "ms"), 0, -1))
    result["task_ms"] = {
        "p50": statistics.median(runtimes),
        "p95": runtimes[int(len(runtimes) * 0.95) - 1],
    }
    return result


class SessionSampler(threading.Thread):
    """Samples the state of the worker's PostgreSQL sessions (pg_stat_activity) every 10 ms."""

    def __init__(self, url, exclude):
        super().__init__(daemon=True)
        self.url, self.exclude = url, set(exclude)
        self.counts = Counter()
        self.running = True

    def run(self):
        with psycopg.connect(self.url, autocommit=True) as connection:
            self.exclude.add(connection.info.backend_pid)
            while self.running:
                rows = connection.execute(
                    "SELECT pid, state, wait_event_type, wait_event FROM pg_stat_activity "
                    "WHERE datname = current_database() AND backend_type = 'client backend'"
                ).fetchall()
                for pid, state, kind, event in rows:
                    if pid in self.exclude:
                        continue
                    if kind == "Lock":
                        self.counts["lock"] += 1
                    elif (event or "").upper().startswith("WAL"):
                        self.counts["wal"] += 1
                    elif state == "active":
                        self.counts["active"] += 1
                    elif state and state.startswith("idle in transaction"):
                        self.counts["in_transaction"] += 1
                    else:
                        self.counts["idle"] += 1
                time.sleep(0.01)

    def stop(self):
        self.running = False
        self.join()
        total = sum(self.counts.values()) or 1
        return {name: self.counts[name] / total for name in SESSION_STATES}


def job(badge_class_id, start, count, worker_pid):
    """The application's own bulk award: a CSV of `count` teachers validated by
    `validate_bulk_award_csv`, recorded by `start_bulk_award`, whose Celery job
    (`badges.tasks.run_bulk_award`) the worker runs; times from the call to the job done, then to
    the last award email sent."""
    from bench.suites.badges_worker import key  # the run's queue for the job and its emails

    client = redis_client()
    tasks = (run_bulk_award, award_bulk_chunk, send_badge_emails)
    for task in tasks:
        client.delete(*(key(task.name, what) for what in ("done", "failed", "ms")))
    emails = User.objects.order_by("pk").values_list("email", flat=True)[start : start + count]
    csv_file = io.BytesIO(("email\n" + "\n".join(emails) + "\n").encode("utf-8"))
    badge_class = BadgeClass.objects.select_related("issuer").get(pk=badge_class_id)
    window = CpuWindow(worker_pid)
    window.start()
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        sampler = SessionSampler(os.environ["DATABASE_URL"], [cursor.fetchone()[0]])
    sampler.start()
    started = time.perf_counter()
    rows = validate_bulk_award_csv(csv_file)
    bulk = start_bulk_award(badge_class=badge_class, rows=rows, filename="bench.csv", by=None)
    validated = time.perf_counter() - started

    def finished():
        bulk.refresh_from_db(fields=["status", "awarded", "errors"])
        if bulk.status == BulkAward.Status.FAILED:
            raise SystemExit(f"the bulk award failed: {bulk.errors}")
        return bulk.status == BulkAward.Status.DONE

    done = wait_for(finished, 60 + count, "the bulk award", interval=0.01)
    result = {
        "tasks": count,
        "awarded": bulk.awarded,
        "enqueue_s": validated,
        "wall_s": done - started,
        "cpu": window.stop(),
        "sessions": sampler.stop(),
    }
    mine = Assertion.objects.filter(
        badge_class_id=badge_class_id, source="bulk", recipient_email__in=list(emails)
    )

    def mailed():
        # Each email sent sets its assertion's emailed_at (one email task covers a chunk).
        return mine.filter(emailed_at__isnull=False).count() >= bulk.awarded

    result["mailed_s"] = wait_for(mailed, 60 + count, "the emails", interval=0.05) - started
    result["without_image"] = mine.filter(image="").count()
    wait_for(
        lambda: all(int(client.get(key(t.name, "done")) or 0) for t in tasks),
        10,
        "the tasks' counters",
    )
    result["task_counts"] = {
        task.name.rsplit(".", 1)[1]: int(client.get(key(task.name, "done")) or 0) for task in tasks
    }
    failed = sum(int(client.get(key(task.name, "failed")) or 0) for task in tasks)
    if failed:
        raise SystemExit(f"{failed} tasks of the bulk award failed: see the worker's log")
    chunk_ms = sorted(float(ms) for ms in client.lrange(key(award_bulk_chunk.name, "ms"), 0, -1))
    result["chunk_ms"] = {"p50": statistics.median(chunk_ms), "max": chunk_ms[-1]}
    return result


class Phases:
    """Time and SQL queries spent in each phase of award_badge, by wrapping its callees."""

    def __init__(self, capture):
        self.capture = capture
        self.seconds = Counter()
        self.queries = Counter()

    def wrap(self, name, function):
        def wrapper(*args, **kwargs):
            started, queries = time.perf_counter(), len(self.capture)
            try:
                return function(*args, **kwargs)
            finally:
                self.seconds[name] += time.perf_counter() - started
                self.queries[name] += len(self.capture) - queries

        return wrapper


def inprocess(badge_class_id, start, count, instrumented, queue):
    """award_badge one call at a time; its email task is published to the run's queue, which
    no worker consumes now. Then the same calls instrumented, phase by phase."""
    from bench.suites import badges_worker  # noqa: F401 - the run's queue for the email tasks

    people = list(User.objects.order_by("pk")[start : start + count + instrumented])
    timed, profiled = people[:count], people[count:]

    def award(user):
        badge_class = BadgeClass.objects.select_related("issuer").get(pk=badge_class_id)
        return award_module.award_badge(
            badge_class=badge_class, email=user.email, recipient=user, source=f"bench:{user.pk}"
        )

    durations = []
    started = time.perf_counter()
    for user in timed:
        began = time.perf_counter()
        award(user)
        durations.append((time.perf_counter() - began) * 1000)
    wall = time.perf_counter() - started
    note(f"award_badge in-process: {count / wall:.0f}/s")

    with CaptureQueriesContext(connection) as capture:
        phases = Phases(capture.connection.queries_log)
        patches = [
            mock.patch.object(target, name, phases.wrap(phase, getattr(target, name)))
            for phase, (target, name) in PHASES.items()
        ]
        patches.append(
            mock.patch.object(
                FileSystemStorage, "_save", phases.wrap("file_write", FileSystemStorage._save)
            )
        )
        with contextlib.ExitStack() as stack:
            for patch in patches:
                stack.enter_context(patch)
            began = time.perf_counter()
            first = len(capture)
            for index, user in enumerate(profiled):
                award(user)
                if index == 0:
                    one_award = [
                        (float(query["time"]) * 1000, query["sql"])
                        for query in capture.captured_queries[first:]
                    ]
            total = time.perf_counter() - began
        sql_seconds = sum(float(query["time"]) for query in capture.captured_queries)
        queries = len(capture)

    # What one request of each URL gunicorn serves costs in SQL (test client, same middleware).
    setup_test_environment()
    from bench.suites import badges_wsgi  # noqa: F401 - its URLs, the minimal JSON view's too

    path = f"/badges/assertions/{Assertion.objects.order_by('pk').first().uuid}"
    etag = Client().get(path, HTTP_ACCEPT=ACCEPT)["ETag"]
    requests = {}
    for name, url, headers in (
        ("probe", PROBE, {}),
        ("assertion", path, {"HTTP_ACCEPT": ACCEPT}),
        ("revalidate", path, {"HTTP_ACCEPT": ACCEPT, "HTTP_IF_NONE_MATCH": etag}),
    ):
        Client().get(url, **headers)
        with CaptureQueriesContext(connection) as capture:
            response = Client().get(url, **headers)
        requests[name] = {"status": response.status_code, "queries": len(capture)}
    return {
        "count": count,
        "rate": count / wall,
        "median_ms": statistics.median(durations),
        "p95_ms": sorted(durations)[int(len(durations) * 0.95) - 1],
        "instrumented": len(profiled),
        "per_award_ms": total * 1000 / len(profiled),
        "phases_ms": {name: s * 1000 / len(profiled) for name, s in phases.seconds.items()},
        "phase_queries": {name: n / len(profiled) for name, n in phases.queries.items()},
        "queries": queries / len(profiled),
        "sql_ms": sql_seconds * 1000 / len(profiled),
        "one_award_sql": one_award,
        "requests": requests,
    }


def bake_alone(samples, start_at):
    """The bare openbadges_bakery.bake() of the badge class's PNG into memory, `samples` times;
    starts at the wall-clock time `start_at` so that parallel children overlap."""
    assertion = Assertion.objects.select_related("badge_class", "version").order_by("pk").first()
    assertion.badge_class.image.open("rb")
    png = assertion.badge_class.image.read()
    assertion.badge_class.image.close()
    document = json.dumps(assertion_document(assertion))
    assertion.image.open("rb")
    baked = assertion.image.read()
    assertion.image.close()
    valid = read_baked(baked) == assertion_document(assertion)
    unbake(io.BytesIO(baked))
    time.sleep(max(0.0, start_at - time.time()))
    started = time.perf_counter()
    for _ in range(samples):
        output = io.BytesIO()
        bake(io.BytesIO(png), document, output)
        output.getvalue()
    seconds = time.perf_counter() - started
    return {
        "samples": samples,
        "seconds": seconds,
        "png_bytes": len(png),
        "json_bytes": len(document),
        "baked_bytes": len(baked),
        "baked_valid": valid,
    }
