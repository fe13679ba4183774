"""`make bench`, third part: Open Badges, a bulk award through a real Celery worker and the hosted
assertion JSON under gunicorn.

On a scratch PostgreSQL database it runs migrate, creates an issuer, a badge class with a PNG
image and 2,540 teachers (for the warm-up, the bulk award and the in-process calls), then:

1. starts a real `celery worker` (2 prefork processes, `-A bench.badges_worker`: the project's
   app plus the benchmark's award task, one `badges.services.award_badge` call) on Redis, with
   a queue of the run's own and the locmem email backend; sends it 20 warm-up awards (the first
   publishes the badge class version), 1,260 trivial tasks (the ceiling of broker and worker)
   and 1,260 awards (one département's participations), and measures from the first enqueue to
   the last Assertion row (queue → assertion → baked image → email task queued), then to the
   last award email sent; then the same 1,260 teachers through the application's own bulk-award
   job (`validate_bulk_award_csv`, `start_bulk_award`, `badges.tasks.run_bulk_award`);
2. in-process, one at a time: `award_badge` (its email task published to Redis, never consumed),
   where its time goes (SQL, version check, baking, file, audit log, email task), and the bare
   `openbadges_bakery.bake()` into memory, in one process and in two at once;
3. serves the database with gunicorn (2 sync workers, production settings, DEBUG off) and
   measures the hosted assertion JSON (200 assertions in turn, as verifiers ask for them; then
   revalidations answered 304) next to a minimal Django JSON view behind the same middleware
   (`bench/badges_wsgi.py`), with wrk when installed.

The figures go to BENCHMARKS.md under `## Open Badges`, from its marker line (BADGES_MARKER) to
the next marker or the end of the file; the rest is left alone. Targets: at least 300 awards per
second end to end; the assertion JSON at ≥ 70 % of the minimal view's request rate, p99 < 20 ms.

Plain Python (standard library) run by the project's virtualenv:
    .venv/bin/python bench/badges.py [--awards N] [--duration S] [--strict]
`make bench BENCH_ARGS=…` passes bench/run.py's options here too: those that mean nothing here are
ignored; options of this script alone go in `BADGES_ARGS=…`.
"""

import argparse
import contextlib
import http.client
import io
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from datetime import datetime
from importlib import metadata
from pathlib import Path
from unittest import mock

# bench/run.py, beside this file: its scratch backend, `manage`, gunicorn, the machine facts.
from run import (
    BADGES_MARKER,
    OUTPUT,
    POSTGRES_SERVER,
    ROOT,
    Gunicorn,
    PostgresBackend,
    machine,
    manage,
    replace_section,
    say,
)

PYTHON = sys.executable
POSTGRES_DB = "entrepairs_bench_badges"
BROKER_URL = "redis://127.0.0.1:6379/13"  # the integration suite uses 14, bench/run.py 15
AWARDS = 1260  # one département's participations in the source material
WARMUP_AWARDS = 20
WORKER_CONCURRENCY = 2
TARGET_AWARDS = 300  # awards per second, end to end
TARGET_RATIO = 0.7  # the assertion JSON serves ≥ 70 % of the minimal JSON view's request rate
TARGET_P99_MS = 20
SAMPLE_ASSERTIONS = 200  # the hosted URLs asked for in turn
ACCEPT = "application/ld+json"
PROBE = "/bench/json/"
ROWS = [
    ("minimal Django JSON view", "probe"),
    ("hosted assertion JSON", "assertion"),
    ("hosted assertion JSON, revalidated (If-None-Match → 304)", "revalidate"),
]
PHASES = [
    ("publish_version", "`publish_version` (latest version read, document built and compared)"),
    ("bake_image", "`bake_image` (badge image read, assertion JSON, `bake` into memory)"),
    ("file_write", "baked image written (`FileSystemStorage._save`)"),
    ("audit_log", "audit log entry (`wagtail.log_actions.log`)"),
    ("email_task", "email task published to Redis (on commit)"),
]
REST_PHASE = "the rest: duplicate check, Assertion INSERT, UPDATE by `FieldFile.save`, commit"


class Postgres(PostgresBackend):
    """bench/run.py's PostgreSQL scratch database under a name of its own."""

    def __init__(self, workdir):
        super().__init__(workdir)
        self.url = f"{POSTGRES_SERVER}/{POSTGRES_DB}"

    def create(self):
        self.drop()
        self._admin(f'CREATE DATABASE "{POSTGRES_DB}"')

    def drop(self):
        self._admin(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')

    def query(self, sql, params=()):
        import psycopg

        with psycopg.connect(self.url) as connection:
            return connection.execute(sql, params).fetchall()


def worker_env(backend, queue):
    """Development settings with DEBUG off (production's MAILERS would pass SMTP options to the
    locmem backend), a real broker and the run's own queue."""
    env = backend.manage_env()
    env.update(
        CELERY_BROKER_URL=BROKER_URL,
        BENCH_BADGES_QUEUE=queue,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def server_env(backend, queue):
    env = backend.server_env()
    env.update(CELERY_BROKER_URL=BROKER_URL, BENCH_BADGES_QUEUE=queue)
    return env


def child(env, *args, timeout=600):
    """Run this file in a fresh interpreter; its progress goes to stderr, its JSON to stdout."""
    result = subprocess.run(  # noqa: S603
        [PYTHON, __file__, *map(str, args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
        timeout=timeout,
    )
    if result.returncode:
        raise SystemExit(f"bench/badges.py {args[0]} failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


def note(message):
    sys.stderr.write(f"  {message}\n")
    sys.stderr.flush()


def setup_django():
    sys.path.insert(0, str(ROOT))  # run as a script, only bench/ is on the path
    import django

    django.setup()


def redis_client():
    import redis

    return redis.Redis.from_url(BROKER_URL)


def forget_queue(queue):
    """Remove the run's queue (kombu's priority lists too) and the worker's counters."""
    client = redis_client()
    keys = [
        found
        for pattern in (f"{queue}*", f"bench:{queue}:*", f"_kombu.binding*.{queue}")
        for found in client.scan_iter(match=pattern)
    ]
    if keys:
        client.delete(*keys)


# --- Children: inside Django ----------------------------------------------------------------


def badge_png(size=256):
    """A badge-like PNG: a disc with a ring and a few strokes on a transparent square."""
    from PIL import Image, ImageDraw

    image = Image.new("RGBA", (size, size), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    draw.ellipse((4, 4, size - 4, size - 4), fill=(0, 0, 145, 255))
    draw.ellipse((24, 24, size - 24, size - 24), outline=(255, 255, 255, 255), width=6)
    for step in range(0, size, 16):
        draw.line((step, size // 2, size // 2, step), fill=(225, 0, 15, 255), width=3)
    output = io.BytesIO()
    image.save(output, format="PNG")
    return output.getvalue()


def child_setup(people):
    setup_django()
    from django.core.files.base import ContentFile

    from badges.models import BadgeClass, Issuer
    from cotraining.models import User

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


def child_bulk(kind, badge_class_id, start, count, worker_pid):
    """Enqueue `count` tasks to the worker and wait until they are done; times from the first
    enqueue. Awards: to the last Assertion row (its email task is then queued), then to the
    last award email sent. CPU used meanwhile by the worker, PostgreSQL and the machine."""
    setup_django()
    from django.db import connection

    from badges.models import Assertion
    from badges.tasks import send_badge_email
    from bench.badges_worker import award_badge, key, noop
    from cotraining.models import User

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


SESSION_STATES = [
    ("lock", "waiting for a lock"),
    ("wal", "committing (WAL write and sync)"),
    ("active", "running a statement"),
    ("in_transaction", "idle in a transaction (Python work between statements)"),
    ("idle", "idle outside transactions (Celery, Redis, Python)"),
]


class SessionSampler(threading.Thread):
    """Samples the state of the worker's PostgreSQL sessions (pg_stat_activity) every 10 ms."""

    def __init__(self, url, exclude):
        super().__init__(daemon=True)
        self.url, self.exclude = url, set(exclude)
        self.counts = Counter()
        self.running = True

    def run(self):
        import psycopg

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
        return {name: self.counts[name] / total for name, _label in SESSION_STATES}


def child_job(badge_class_id, start, count, worker_pid):
    """The application's own bulk award: a CSV of `count` teachers validated by
    `validate_bulk_award_csv`, recorded by `start_bulk_award`, whose Celery job
    (`badges.tasks.run_bulk_award`) the worker runs; times from the call to the job done, then to
    the last award email sent."""
    setup_django()
    from django.db import connection

    import bench.badges_worker  # noqa: F401 - the run's queue for the job and its emails
    from badges.models import Assertion, BadgeClass, BulkAward
    from badges.services.bulk import start_bulk_award, validate_bulk_award_csv
    from badges.tasks import award_bulk_chunk, run_bulk_award, send_badge_emails
    from bench.badges_worker import key
    from cotraining.models import User

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


def child_inprocess(badge_class_id, start, count, instrumented, queue):
    """award_badge one call at a time; its email task is published to the run's queue, which
    no worker consumes now. Then the same calls instrumented, phase by phase."""
    setup_django()
    from django.core.files.storage import FileSystemStorage
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, setup_test_environment

    import bench.badges_worker  # noqa: F401 - the run's queue for the email tasks
    from badges.models import Assertion, BadgeClass
    from badges.services import awards, baking
    from badges.services.emails import send_badge_email_task
    from cotraining.models import User

    people = list(User.objects.order_by("pk")[start : start + count + instrumented])
    timed, profiled = people[:count], people[count:]

    def award(user):
        badge_class = BadgeClass.objects.select_related("issuer").get(pk=badge_class_id)
        return awards.award_badge(
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
            mock.patch.object(
                awards,
                "publish_version",
                phases.wrap("publish_version", awards.publish_version),
            ),
            mock.patch.object(baking, "bake_image", phases.wrap("bake_image", baking.bake_image)),
            mock.patch.object(awards, "log", phases.wrap("audit_log", awards.log)),
            mock.patch.object(
                send_badge_email_task,
                "enqueue",
                phases.wrap("email_task", send_badge_email_task.enqueue),
            ),
            mock.patch.object(
                FileSystemStorage, "_save", phases.wrap("file_write", FileSystemStorage._save)
            ),
        ]
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
    import bench.badges_wsgi  # noqa: F401 - its URLs, the minimal JSON view's too, from now on

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


def child_bake(samples, start_at):
    """The bare openbadges_bakery.bake() of the badge class's PNG into memory, `samples` times;
    starts at the wall-clock time `start_at` so that parallel children overlap."""
    setup_django()
    from openbadges_bakery import bake, unbake

    from badges.models import Assertion
    from badges.services.baking import read_baked
    from badges.services.openbadges import assertion_document

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


# --- CPU accounting: the machine is shared, so say who used it during a run -----------------

TICKS = os.sysconf("SC_CLK_TCK")


def process_tree(pid):
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        with contextlib.suppress(OSError, ValueError):
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pending.extend(int(child) for child in children)
    return found


def cpu_of(pids):
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total / TICKS


def postgres_pids():
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError):
            if stat.read_text().split(" (", 1)[1].startswith("postgres)"):
                pids.append(int(stat.parent.name))
    return pids


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS, sum(fields[:8]) / TICKS


class CpuWindow:
    """CPU seconds used by the worker, by the PostgreSQL server (every session) and by the whole
    machine between start() and stop()."""

    def __init__(self, worker_pid):
        self.worker_pid = worker_pid

    def sample(self):
        busy, total = machine_cpu()
        return {
            "worker": cpu_of(process_tree(self.worker_pid)),
            "postgres": cpu_of(postgres_pids()),
            "busy": busy,
            "total": total,
            "wall": time.perf_counter(),
        }

    def start(self):
        self.before = self.sample()

    def stop(self):
        after = self.sample()
        used = {name: after[name] - self.before[name] for name in after}
        used["cpus"] = used["total"] / used["wall"] if used["wall"] else 0
        return used


# --- The worker and the server --------------------------------------------------------------


class Worker:
    def __init__(self, env, log):
        self.pid = None
        self.log = open(log, "a", encoding="utf-8")  # closed in stop()
        self.process = subprocess.Popen(  # noqa: S603
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                "bench.badges_worker",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={WORKER_CONCURRENCY}",
                "--pool=prefork",
                f"--hostname=bench-badges-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.pid = self.process.pid

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # warm shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class Server(Gunicorn):
    """bench/run.py's gunicorn, serving bench/badges_wsgi.py instead of cms.wsgi."""

    def __init__(self, env, workers, log):
        real_popen = subprocess.Popen

        def popen(command, **kwargs):
            command = ["bench.badges_wsgi" if part == "cms.wsgi" else part for part in command]
            return real_popen(command, **kwargs)

        with mock.patch("subprocess.Popen", popen):
            super().__init__(env, workers, log)


def get(port, path, headers=None, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


WRK_SCRIPT = """
requests_list = {REQUESTS}
counter = 0
function setup(thread)
  thread:set("offset", counter)
  counter = counter + 37
end
request = function()
  offset = offset + 1
  local entry = requests_list[(offset % #requests_list) + 1]
  return wrk.format("GET", entry[1], entry[2])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(99), latency.max,
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_wrk(port, requests, duration, concurrency, workdir):
    entries = ",\n".join(
        "{"
        + lua_string(path)
        + ", {"
        + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        + "}}"
        for path, headers in requests
    )
    script = workdir / "badges.lua"
    script.write_text(WRK_SCRIPT.replace("{REQUESTS}", "{\n" + entries + "\n}"), encoding="utf-8")
    command = [
        "wrk",
        f"-t{min(2, concurrency)}",
        f"-c{concurrency}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}/",
    ]
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.MULTILINE)
    if not match:
        raise SystemExit(f"Unexpected wrk output:\n{output}")
    count, micros, p50, p99, top, errors = (int(value) for value in match.groups())
    return {
        "requests": count,
        "seconds": micros / 1e6,
        "latencies": None,
        "p50": p50 / 1000,
        "p99": p99 / 1000,
        "max": top / 1000,
        "errors": errors,
    }


def load_threads(port, requests, duration, concurrency, workdir):
    """A closed loop of `concurrency` clients, one connection per request."""
    latencies, failures = [], Counter()
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def client(number):
        mine, failed, turn = [], 0, number * 37
        while time.perf_counter() < deadline:
            path, headers = requests[turn % len(requests)]
            turn += 1
            began = time.perf_counter()
            try:
                status = get(port, path, headers)[0]
            except OSError:
                status = None
            if status in (200, 304):
                mine.append((time.perf_counter() - began) * 1000)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            failures["failed"] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests": len(latencies) + failures["failed"],
        "seconds": time.perf_counter() - started,
        "latencies": latencies,
        "errors": failures["failed"],
    }


def combine(runs):
    requests = sum(run["requests"] for run in runs)
    weight = requests or 1
    result = {
        "requests": requests,
        "rate": requests / sum(run["seconds"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
    }
    if runs[0]["latencies"] is None:  # wrk: percentiles of each round, averaged by weight
        for name in ("p50", "p99"):
            result[name] = sum(run[name] * run["requests"] for run in runs) / weight
        result["max"] = max(run["max"] for run in runs)
    else:
        latencies = [ms for run in runs for ms in run["latencies"]]
        cuts = statistics.quantiles(latencies, n=100)
        result.update(p50=cuts[49], p99=cuts[98], max=max(latencies))
    return result


def measure_http(backend, queue, options, workdir, log):
    uuids = [
        row[0]
        for row in backend.query(
            "SELECT uuid FROM badges_assertion ORDER BY id LIMIT %s", (SAMPLE_ASSERTIONS,)
        )
    ]
    server = Server(server_env(backend, queue), options.workers, log)
    try:
        server.wait_ready(PROBE)
        requests = {"probe": [(PROBE, {})], "assertion": [], "revalidate": []}
        for value in uuids:
            path = f"/badges/assertions/{value}"
            status, headers, body = get(server.port, path, {"Accept": ACCEPT})
            document = json.loads(body)
            if status != 200 or document.get("type") != "Assertion":
                raise SystemExit(f"{path} answered {status}: {body[:200]!r}")
            requests["assertion"].append((path, {"Accept": ACCEPT}))
            requests["revalidate"].append(
                (path, {"Accept": ACCEPT, "If-None-Match": headers["ETag"]})
            )
        path, headers = requests["revalidate"][0]
        status = get(server.port, path, headers)[0]
        if status != 304:
            raise SystemExit(f"a revalidation of {path} answered {status}, not 304")
        load = load_wrk if options.client == "wrk" else load_threads
        runs = {name: [] for _label, name in ROWS}
        for _label, name in ROWS:
            load(server.port, requests[name], options.warmup, options.concurrency, workdir)
            server.wait_idle()
        for _round in range(options.rounds):
            for _label, name in ROWS:
                runs[name].append(
                    load(
                        server.port, requests[name], options.duration, options.concurrency, workdir
                    )
                )
                server.wait_idle()
        return {name: combine(found) for name, found in runs.items()}
    finally:
        server.stop()


# --- One run, end to end --------------------------------------------------------------------


def bench(options, workdir):
    backend = Postgres(workdir)
    queue = f"bench-badges-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    log = workdir / "badges.log"
    env = worker_env(backend, queue)
    backend.create()
    timings = {}
    try:
        timings["migrate"] = manage(["migrate", "--noinput"], env, log)
        started = time.perf_counter()
        setup = child(env, "_setup", WARMUP_AWARDS + 2 * options.awards)
        say(
            f"setup: migrate {timings['migrate']:.0f} s, data {time.perf_counter() - started:.0f} s"
        )
        badge_class = setup["badge_class"]
        worker = Worker(env, workdir / "worker.log")
        try:
            warmup = child(env, "_bulk", "award", badge_class, 0, WARMUP_AWARDS, worker.pid)
            say(f"worker ready, {WARMUP_AWARDS} warm-up awards in {warmup['wall_s']:.1f} s")
            noop = child(env, "_bulk", "noop", badge_class, 0, options.awards, worker.pid)
            say(f"trivial tasks: {options.awards / noop['wall_s']:.0f}/s")
            bulk = child(
                env, "_bulk", "award", badge_class, WARMUP_AWARDS, options.awards, worker.pid
            )
            say(
                f"awards: {options.awards / bulk['wall_s']:.0f}/s "
                f"(emails sent after {bulk['mailed_s']:.1f} s)"
            )
            job = child(env, "_job", badge_class, WARMUP_AWARDS, options.awards, worker.pid)
            say(
                f"bulk-award job: {options.awards / job['wall_s']:.0f}/s "
                f"(emails sent after {job['mailed_s']:.1f} s)"
            )
        except BaseException:
            with contextlib.suppress(OSError):
                say((workdir / "worker.log").read_text(encoding="utf-8")[-3000:])
            raise
        finally:
            worker.stop()
        inprocess = child(
            env,
            "_inprocess",
            badge_class,
            WARMUP_AWARDS + options.awards,
            options.inprocess,
            options.instrumented,
            queue,
        )
        forget_queue(queue)
        bakes = {}
        for processes in (1, WORKER_CONCURRENCY):
            start_at = time.time() + 2.5
            children = [
                subprocess.Popen(  # noqa: S603
                    [PYTHON, __file__, "_bake", str(options.bakes), str(start_at)],
                    cwd=ROOT,
                    env=env,
                    stdout=subprocess.PIPE,
                    text=True,
                )
                for _ in range(processes)
            ]
            results = [json.loads(p.communicate()[0].strip().splitlines()[-1]) for p in children]
            if any(p.returncode for p in children):
                raise SystemExit("bench/badges.py _bake failed")
            bakes[processes] = {
                "rate": sum(r["samples"] for r in results) / max(r["seconds"] for r in results),
                **results[0],
            }
            say(f"bake, {processes} process(es): {bakes[processes]['rate']:.0f}/s")
        http = measure_http(backend, queue, options, workdir, log)
        return {
            "version": backend.version(),
            "timings": timings,
            "setup": setup,
            "warmup": warmup,
            "noop": noop,
            "bulk": bulk,
            "job": job,
            "inprocess": inprocess,
            "bakes": bakes,
            "http": http,
        }
    finally:
        forget_queue(queue)
        if not options.keep:
            backend.drop()


# --- Report ---------------------------------------------------------------------------------


def versions():
    names = [
        "Django",
        "wagtail",
        "celery",
        "kombu",
        "redis",
        "openbadges-bakery",
        "pypng",
        "gunicorn",
        "psycopg",
    ]
    found = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return ", ".join(found)


def redis_version():
    with contextlib.suppress(Exception):
        return "Redis " + redis_client().info("server")["redis_version"]
    return "Redis"


def client_label(options):
    if options.client == "wrk":
        found = subprocess.run(  # noqa: S603
            ["wrk", "--version"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        version = found.stdout.split()[1] if found.stdout.split()[1:] else ""
        threads = min(2, options.concurrency)
        return f"wrk {version}, {threads} threads, {options.concurrency} connections"
    return f"threaded Python client (http.client), {options.concurrency} connections"


def verdict(ok):
    return "PASS" if ok else "FAIL"


def cpu_sentence(bulk):
    cpu, awards = bulk["cpu"], bulk["tasks"]
    other = cpu["busy"] - cpu["worker"] - cpu["postgres"]
    return (
        f"CPU time while its awards ran ({cpu['wall']:.1f} s, {cpu['total']:.0f} CPU-seconds "
        f"available): the worker's processes {cpu['worker']:.1f} s "
        f"({cpu['worker'] * 1000 / awards:.1f} ms per award), the PostgreSQL server (all its "
        f"sessions) {cpu['postgres']:.1f} s ({cpu['postgres'] * 1000 / awards:.1f} ms per award), "
        f"everything else {other:.1f} s (the process sending the tasks and counting the rows, "
        f"Redis, and whatever else ran on the machine); the machine was busy "
        f"{cpu['busy'] / cpu['total'] * 100:.0f} % of the time."
    )


def section(report, options):
    bulk, noop, inprocess = report["bulk"], report["noop"], report["inprocess"]
    job = report["job"]
    counts = job["task_counts"]
    awards = bulk["tasks"]
    award_rate = awards / bulk["wall_s"]
    job_rate = job["tasks"] / job["wall_s"]
    http = report["http"]
    probe, hosted = http["probe"], http["assertion"]
    ratio = hosted["rate"] / probe["rate"] if probe["rate"] else 0
    checks = {
        "awards": max(award_rate, job_rate) >= TARGET_AWARDS,
        "ratio": ratio >= TARGET_RATIO,
        "p99": hosted["p99"] < TARGET_P99_MS,
    }
    bake = report["bakes"]
    one, two = bake[1], bake[WORKER_CONCURRENCY]
    lines = [
        f"### {report['date']} — PostgreSQL",
        "",
        f"- Machine: {report['machine']}; load average {report['load']} when the run started.",
        f"- Services: {report['version']} (scratch database `{POSTGRES_DB}`"
        + (", kept" if options.keep else ", dropped afterwards")
        + f"); {report['redis']} at `{BROKER_URL}` as the broker, a queue of the run's own.",
        f"- Software: {versions()}.",
        f"- Worker: `celery -A bench.badges_worker worker --concurrency={WORKER_CONCURRENCY} "
        "--pool=prefork` (the project's app and settings, `cms.settings.dev` with "
        "`DJANGO_DEBUG=false`, locmem email backend, media on local disk); the award task loads "
        "the badge class and the teacher, then calls `badges.services.award_badge`, whose email "
        "task (`send_badge_email`) goes to the same queue behind the awards; the bulk-award "
        "job's chunk and email tasks go there too.",
        f"- Badge: a {one['png_bytes'] / 1024:.1f} KiB PNG (256×256); the assertion JSON baked "
        f"into it is {one['json_bytes']:,} bytes (baked image {one['baked_bytes'] / 1024:.1f} "
        "KiB, read back equal: " + ("yes" if one["baked_valid"] else "**no**") + f"); "
        f"{awards:,} teachers awarded once each after {WARMUP_AWARDS} warm-up awards (the first "
        "publishes the badge class's version).",
        "",
        "**Bulk award through the worker** — wall time from the first enqueue (tasks sent one by "
        "one with `delay()`) to the last one done, seen from outside (the Assertion rows, the "
        "worker's counters in Redis); *task ms* is the run time of one task in the worker.",
        "",
        "| run | tasks | enqueue s | wall s | per second | task ms p50 / p95 | target |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| trivial task (`bench.noop`): broker and worker alone | {noop['tasks']:,} | "
        f"{noop['enqueue_s']:.2f} | {noop['wall_s']:.2f} | {noop['tasks'] / noop['wall_s']:.0f} "
        f"| {noop['task_ms']['p50']:.1f} / {noop['task_ms']['p95']:.1f} | – |",
        f"| award: queue → assertion → baked image → email task queued | {awards:,} | "
        f"{bulk['enqueue_s']:.2f} | {bulk['wall_s']:.2f} | {award_rate:.0f} | "
        f"{bulk['task_ms']['p50']:.1f} / {bulk['task_ms']['p95']:.1f} | "
        f"≥ {TARGET_AWARDS}/s **{verdict(award_rate >= TARGET_AWARDS)}** |",
        f"| … and every award email sent (locmem), after the awards | {awards:,} | – | "
        f"{bulk['mailed_s']:.2f} | {awards / bulk['mailed_s']:.0f} | "
        f"{bulk['email_ms']:.1f} (email) | – |",
        f"| the application's bulk-award job: CSV validated, `start_bulk_award`, `run_bulk_award` "
        f"fanning out {counts['award_bulk_chunk']} `award_bulk_chunk` tasks "
        f"({job['awarded']:,} awarded), each queueing one `send_badge_emails` task | "
        f"{job['tasks']:,} | {job['enqueue_s']:.2f} | {job['wall_s']:.2f} | {job_rate:.0f} | "
        f"{job['chunk_ms']['p50']:.0f} / {job['chunk_ms']['max']:.0f} (chunk, p50 / max) | "
        f"≥ {TARGET_AWARDS}/s **{verdict(job_rate >= TARGET_AWARDS)}** |",
        f"| … and every award email sent (locmem, {counts['send_badge_emails']} "
        f"`send_badge_emails` tasks, one mail connection each), after the job | "
        f"{job['tasks']:,} | – | {job['mailed_s']:.2f} | {job['tasks'] / job['mailed_s']:.0f} "
        "| – | – |",
        "",
        "*enqueue s* of the job: the CSV validated and the job recorded and queued. Its "
        "*wall s* runs to the job seen `done` (polled every 10 ms): the chunk that completes the "
        "count marks it in the same transaction as its awards, and queues its email task on that "
        "commit. Emails sent are counted by `Assertion.emailed_at`.",
        "",
        "One award per task: " + cpu_sentence(bulk),
        "",
        "The bulk-award job: " + cpu_sentence(job),
        "",
        "The worker's PostgreSQL sessions, sampled every 10 ms (`pg_stat_activity`), one award per "
        "task: "
        + "; ".join(
            f"{label} {bulk['sessions'][name] * 100:.0f} %" for name, label in SESSION_STATES
        )
        + "; the bulk-award job: "
        + "; ".join(
            f"{label} {job['sessions'][name] * 100:.0f} %" for name, label in SESSION_STATES
        )
        + ".",
        "",
        "**In-process references** — one process unless stated, no Celery in between.",
        "",
        "| operation | per second | ms each |",
        "|---|---:|---:|",
        f"| `openbadges_bakery.bake()` into `BytesIO`, {one['samples']:,} times | "
        f"{one['rate']:.0f} | {1000 / one['rate']:.2f} |",
        f"| same, {WORKER_CONCURRENCY} processes at once (the worker's concurrency) | "
        f"{two['rate']:.0f} | – |",
        f"| `award_badge`, one call at a time, {inprocess['count']:,} calls (email task "
        f"published to Redis) | {inprocess['rate']:.0f} | {inprocess['median_ms']:.1f} "
        f"(p95 {inprocess['p95_ms']:.1f}) |",
        "",
        f"**Where an award's time goes** — `award_badge` in-process, {inprocess['instrumented']} "
        "calls with each phase timed and the SQL captured (which slows the calls a little): "
        f"{inprocess['per_award_ms']:.1f} ms and {inprocess['queries']:.0f} SQL queries "
        f"({inprocess['sql_ms']:.1f} ms of database time) per award.",
        "",
        "| phase | ms per award | share | SQL queries |",
        "|---|---:|---:|---:|",
    ]
    phases, phase_queries = inprocess["phases_ms"], inprocess["phase_queries"]
    total = inprocess["per_award_ms"]
    for name, label in PHASES:
        spent = phases.get(name, 0)
        lines.append(
            f"| {label} | {spent:.2f} | {spent / total * 100:.0f} % | "
            f"{phase_queries.get(name, 0):.0f} |"
        )
    rest = total - sum(phases.values())
    rest_queries = inprocess["queries"] - sum(phase_queries.values())
    lines += [
        f"| {REST_PHASE} | {rest:.2f} | {rest / total * 100:.0f} % | {rest_queries:.0f} |",
        "",
        "**Hosted assertion JSON under gunicorn** — `gunicorn bench.badges_wsgi --workers "
        f"{options.workers}` (sync workers; the project's WSGI application with one more URL, "
        f'`{PROBE}`, a view returning `JsonResponse({{"ok": True}})` behind the same '
        "middleware), settings `cms.settings.production` (DEBUG off, `SECURE_SSL_REDIRECT=false`, "
        f"a throwaway secret key). Load: {client_label(options)} on the same machine; per row "
        f"{options.warmup} s of warm-up, then {options.rounds} rounds × {options.duration} s, "
        f"rows alternating. The assertion rows ask for {SAMPLE_ASSERTIONS} assertions in turn "
        f"with `Accept: {ACCEPT}`.",
        "",
        "| URL | req/s | p50 ms | p99 ms | max ms | vs JSON view | SQL queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    queries = {name: found["queries"] for name, found in inprocess["requests"].items()}
    for label, name in ROWS:
        result = http[name]
        path = PROBE if name == "probe" else "/badges/assertions/UUID"
        errors = f" ({result['errors']} errors)" if result["errors"] else ""
        versus = "100 %" if name == "probe" else f"{result['rate'] / probe['rate'] * 100:.0f} %"
        lines.append(
            f"| {label} `{path}` | {result['rate']:.0f}{errors} | {result['p50']:.1f} | "
            f"{result['p99']:.1f} | {result['max']:.0f} | {versus} | {queries[name]} |"
        )
    overall = verdict(all(checks.values()))
    lines += [
        "",
        f"**Targets — {overall}**: awards end to end ≥ {TARGET_AWARDS}/s: {award_rate:.0f}/s "
        f"one award per task, {job_rate:.0f}/s through the bulk-award job "
        f"{verdict(checks['awards'])}; hosted assertion JSON ≥ {TARGET_RATIO * 100:.0f} % of the "
        f"minimal JSON view's rate: {ratio * 100:.0f} % {verdict(checks['ratio'])}; its p99 < "
        f"{TARGET_P99_MS} ms: {hosted['p99']:.1f} ms {verdict(checks['p99'])}.",
        "",
    ]
    return "\n".join(lines), overall


HEADING = """{marker}
## Open Badges

Written by `bench/badges.py`, which `make bench` runs after `bench/enrolment.py`; each run
replaces this section (from the marker line above to the next marker line or the end of the
file). Reproduce with `make bench` or `.venv/bin/python bench/badges.py`: PostgreSQL only, on a
scratch database `{db}` it creates and drops, with Redis as the broker and a real Celery worker
process it starts and stops.

A bulk award of 1,260 badges (one département's participations in the source material) through
a real worker, against the bare `openbadges_bakery.bake()` call and `award_badge` without Celery;
then the request rate of the hosted assertion JSON (the URL every verifier, backpack and LinkedIn
preview asks for) next to a minimal Django JSON view in the same run. Targets: at least
{awards} awards/s end to end on this 2-core machine; the assertion JSON at ≥ {ratio} % of the
minimal view's rate with p99 < {p99} ms. Figures compare with each other on one machine.

"""


EARLIER_HEADING = "#### Earlier runs, for comparison"
EARLIER_KEPT = 10


def earlier_runs(current):
    """The summary lines of earlier runs, newest first: the run this one replaces (the date of
    its heading and its targets line), then the lines it kept itself."""
    start = current.find(BADGES_MARKER)
    if start < 0:
        return []
    text = current[start + len(BADGES_MARKER) :]
    following = text.find("\n<!-- ")
    text = text[:following] if following >= 0 else text
    date = re.search(r"^### (.+?) — PostgreSQL$", text, re.MULTILINE)
    load = re.search(r"load average ([\d. /]+) when the run started", text)
    targets = re.search(r"^\*\*Targets — (\w+)\*\*: (.+)$", text, re.MULTILINE)
    kept = []
    if EARLIER_HEADING in text:
        kept = [
            line for line in text.split(EARLIER_HEADING, 1)[1].splitlines() if line.startswith("- ")
        ]
    if date and targets:
        started = f" (load average {load.group(1).strip()})" if load else ""
        kept.insert(0, f"- {date.group(1)}{started}, {targets.group(1)}: {targets.group(2)}")
    return kept[:EARLIER_KEPT]


def write(report, options):
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    text = (
        HEADING.format(
            marker=BADGES_MARKER,
            db=POSTGRES_DB,
            awards=TARGET_AWARDS,
            ratio=int(TARGET_RATIO * 100),
            p99=TARGET_P99_MS,
        )
        + section(report, options)[0]
    )
    if earlier := earlier_runs(current):
        text = f"{text.rstrip()}\n\n{EARLIER_HEADING}\n\n" + "\n".join(earlier) + "\n"
    OUTPUT.write_text(replace_section(current, BADGES_MARKER, text), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    parser.add_argument("--awards", type=int, default=AWARDS, help=f"Default {AWARDS}.")
    parser.add_argument("--inprocess", type=int, default=200, help="award_badge calls timed.")
    parser.add_argument("--instrumented", type=int, default=50, help="award_badge calls profiled.")
    parser.add_argument("--bakes", type=int, default=20_000, help="bake() calls per process.")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
    parser.add_argument("--concurrency", type=int, default=8, help="Concurrent connections.")
    parser.add_argument("--duration", type=int, default=8, help="Seconds per row and round.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=2, help="Seconds of warm-up per row.")
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="Load generator (default: wrk when installed).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the scratch database.")
    parser.add_argument("--no-write", action="store_true", help="Leave BENCHMARKS.md alone.")
    parser.add_argument("--strict", action="store_true", help="Exit 1 when a target is missed.")
    options, ignored = parser.parse_known_args()
    if ignored:
        say(f"(options of the other scripts, ignored here: {' '.join(ignored)})")

    say("== Open Badges, PostgreSQL ==")
    workdir = Path(tempfile.mkdtemp(prefix="entrepairs-bench-badges-"))
    load_average = " / ".join(f"{value:.2f}" for value in os.getloadavg())
    try:
        report = bench(options, workdir)
    finally:
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say(f"Scratch files kept in {workdir}")
    report.update(
        date=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        machine=machine(),
        load=load_average,
        redis=redis_version(),
    )
    text, overall = section(report, options)
    say("\n" + text)
    say("SQL of one award:")
    for ms, sql in report["inprocess"]["one_award_sql"]:
        say(f"  {ms:6.2f} ms  {sql[:150]}")
    if not options.no_write:
        write(report, options)
        say(f"Written to the Open Badges section of {OUTPUT.relative_to(ROOT)}.")
    if options.strict and overall == "FAIL":
        raise SystemExit(1)


if __name__ == "__main__":
    command, arguments = sys.argv[1:2], sys.argv[2:]
    if command == ["_setup"]:
        found = child_setup(int(arguments[0]))
    elif command == ["_bulk"]:
        kind, badge_class_id, start, count, worker_pid = arguments
        found = child_bulk(kind, int(badge_class_id), int(start), int(count), int(worker_pid))
    elif command == ["_job"]:
        badge_class_id, start, count, worker_pid = (int(value) for value in arguments)
        found = child_job(badge_class_id, start, count, worker_pid)
    elif command == ["_inprocess"]:
        badge_class_id, start, count, instrumented, queue = arguments
        found = child_inprocess(
            int(badge_class_id), int(start), int(count), int(instrumented), queue
        )
    elif command == ["_bake"]:
        found = child_bake(int(arguments[0]), float(arguments[1]))
    else:
        main()
        found = None
    if found is not None:
        sys.stdout.write(json.dumps(found) + "\n")
