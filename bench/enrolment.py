"""`make bench`, second part: enrolment under contention, service times, documents, pages.

On a scratch database (a SQLite file in a temporary directory; PostgreSQL with --postgres) it
runs migrate, seed_demo and `seed_scale --workshops 1000` as bench/run.py does, then measures in
child processes with the development settings, DEBUG off, Celery eager (no broker) and the
locmem email backend, so that an enrolment call includes sending its email, convocation PDF and
calendar invitation unless a figure says "no delivery" (the task is then only recorded, as a
broker would receive it):

1. contention: 100 teachers released together by a barrier, each thread on its own database
   connection, enrol into one 20-seat session; wall time, latency from the common start, and the
   outcome (20 confirmed, 80 waitlisted in order 1..80, one email owed per enrolment);
2. single calls, one at a time (median): enrol (seat), enrol (waiting list), cancel with
   promotion, record attendance that completes a workshop;
3. documents, each kind in a fresh process: convocation, attendance sheet for 30 people and
   certificate (WeasyPrint), and a 50-enrolment iCalendar feed: time and peak resident memory;
4. pages through Django's test client: "Mon parcours" for a teacher with 50 enrolments and 10
   completions, "Mes séances" for a coordinator with 500 sessions in scope, the feed's URL.

The figures go to BENCHMARKS.md under `## Enrolment`, from the marker line bench/run.py keeps
(ENROLMENT_MARKER) to the next marker or the end of the file; the rest is left alone.

Plain Python (standard library) run by the project's virtualenv:
    .venv/bin/python bench/enrolment.py [--postgres | --both] [--samples N] [--race-rounds N]
`make bench BENCH_ARGS=…` passes its options to both scripts: those of bench/run.py that mean
nothing here are ignored; options of this script alone go in `ENROLMENT_ARGS=…`.
"""

import argparse
import contextlib
import io
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from datetime import datetime, timedelta
from functools import partial
from importlib import metadata
from pathlib import Path
from types import SimpleNamespace
from unittest import mock

# bench/run.py, beside this file: its scratch backends, `manage`, the machine facts, the marker.
from run import (
    ENROLMENT_MARKER,
    OUTPUT,
    POSTGRES_SERVER,
    ROOT,
    PostgresBackend,
    SQLiteBackend,
    machine,
    manage,
    replace_section,
    say,
)

PYTHON = sys.executable
POSTGRES_DB = "entrepairs_bench_enrol"
SETTINGS_LABEL = (
    "`cms.settings.dev` with `DJANGO_DEBUG=false`, no `CELERY_BROKER_URL` (tasks run eagerly, "
    "in the calling thread, after the commit) and "
    "`EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend`"
)
SCALE_WORKSHOPS = 1000  # background volume; the figures below do not depend on it much
TEACHERS = 100
SEATS = 20
ATTENDANCE_SHEET_PEOPLE = 30
JOURNEY = {"past_present": 10, "past_absent": 10, "confirmed": 24, "waitlisted": 4, "pending": 2}
COORDINATOR_SESSIONS = 500
SPARE_CONNECTIONS = 5  # PostgreSQL connections left to everything else on the server
DOCUMENTS = ["convocation", "attendance_sheet", "certificate"]
VISIO = "https://visio.education.fr/meeting/123456789"


# --- Scratch databases ----------------------------------------------------------------------


class Postgres(PostgresBackend):
    """bench/run.py's PostgreSQL scratch database under a name of its own (both may run)."""

    def __init__(self, workdir):
        super().__init__(workdir)
        self.url = f"{POSTGRES_SERVER}/{POSTGRES_DB}"

    def create(self):
        self.drop()
        self._admin(f'CREATE DATABASE "{POSTGRES_DB}"')

    def drop(self):
        self._admin(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')


def bench_env(backend):
    env = backend.manage_env()  # development settings on both databases
    env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
    return env


def child(env, *args):
    """Run this file in a fresh interpreter; its progress goes to stderr, its JSON to stdout."""
    result = subprocess.run(  # noqa: S603
        [PYTHON, __file__, *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"bench/enrolment.py {args[0]} failed ({result.returncode})")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- Helpers that run inside Django ---------------------------------------------------------


def setup_django():
    sys.path.insert(0, str(ROOT))  # run as a script, only bench/ is on the path
    # WhiteNoise warns once that STATIC_ROOT is missing: the test client serves no static file.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()


def note(message):
    sys.stderr.write(f"  {message}\n")
    sys.stderr.flush()


def ms(seconds):
    return seconds * 1000


def percentiles(values):
    cuts = statistics.quantiles(values, n=100) if len(values) > 1 else list(values) * 99
    return {"p50": cuts[49], "p95": cuts[94], "max": max(values)}


def vm_kib(field):
    """VmRSS (now) or VmHWM (peak) of this process in KiB, from /proc (Linux)."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # peak, in KiB on Linux


def reset_peak():
    """Make VmHWM start again from the current RSS (Linux ≥ 4.0), so a peak is this step's."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
        return True
    return False


@contextlib.contextmanager
def delivery(enabled):
    """With delivery, Celery's eager mode sends each email in the calling thread after the
    commit. Without, `deliver_notification.delay` only records the id, as a broker would."""
    if enabled:
        yield None
        return
    from cotraining import tasks

    published = []
    with mock.patch.object(tasks, "deliver_notification", SimpleNamespace(delay=published.append)):
        yield published


def outbox():
    from django.core import mail

    if not hasattr(mail, "outbox"):
        mail.outbox = []
    return mail.outbox


def drain_outbox():
    """(emails, PDF attachments) sent since the last call; the messages are dropped."""
    box = outbox()
    emails = len(box)
    pdfs = sum(
        1 for message in box for attachment in message.attachments if attachment[0].endswith(".pdf")
    )
    box.clear()
    return emails, pdfs


def captured(call):
    """Run `call` once and return (result, number of SQL queries, their total ms)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as queries:
        result = call()
    return result, len(queries), sum(float(q["time"]) for q in queries.captured_queries) * 1000


class Scene:
    """The people, sessions and enrolments the measures need, on top of seed_demo + seed_scale."""

    def __init__(self):
        from django.utils import timezone

        from cotraining.constants import Role
        from cotraining.models import Academie, Establishment, User, WorkshopPage
        from cotraining.services import grant_role

        self.now = timezone.now()
        self.poitiers = Academie.objects.get(code="13")
        self.teachers = list(
            User.objects.filter(
                email__startswith="enseignant-", email__endswith="@charge.entrepairs.test"
            ).order_by("pk")[:TEACHERS]
        )
        if len(self.teachers) < TEACHERS:
            raise SystemExit(f"seed_scale made {len(self.teachers)} teachers, {TEACHERS} needed")
        self.establishment = Establishment.objects.filter(
            departement__academie=self.poitiers
        ).first()
        self.other_academie = Academie.objects.exclude(code="13").order_by("code").first()
        self.coordinator = User.objects.create_user(
            "coordination-bench@bench.entrepairs.test", first_name="Dominique", last_name="Banc"
        )
        grant_role(user=self.coordinator, role=Role.COORDINATOR, academie=self.other_academie)
        self._coordinator_scope()
        # Each session made here goes on a workshop of its own: a completion is per person and
        # workshop, so no measure finds one another measure left.
        self.free_workshops = iter(
            WorkshopPage.objects.filter(
                slug__startswith="charge-", approval_required=False, academie=self.poitiers
            ).order_by("pk")
        )

    def _coordinator_scope(self):
        """Exactly COORDINATOR_SESSIONS sessions in the coordinator's académie: seed_scale's
        workshops (their sessions, past and upcoming, and enrolments) moved there, last first."""
        from django.db.models import Count

        from cotraining.models import Session, WorkshopPage

        counts = (
            Session.objects.filter(workshop__slug__startswith="charge-")
            .values("workshop")
            .annotate(n=Count("pk"))
            .order_by("-workshop")
        )
        chosen, total = [], 0
        for row in counts:
            if total + row["n"] <= COORDINATOR_SESSIONS:
                chosen.append(row["workshop"])
                total += row["n"]
            if total == COORDINATOR_SESSIONS:
                break
        WorkshopPage.objects.filter(pk__in=chosen).update(academie=self.other_academie)

    def session(self, *, capacity, start=None, hours=3):
        from cotraining.constants import Modality
        from cotraining.models import Session

        start = start or self.now + timedelta(days=30)
        session = Session.objects.create(
            workshop=next(self.free_workshops),
            start=start,
            end=start + timedelta(hours=hours),
            modality=Modality.HYBRID,
            establishment=self.establishment,
            room="Salle 12",
            visio_url=VISIO,
            capacity=capacity,
        )
        # As the enrolment view fetches it.
        return Session.objects.select_related("workshop").get(pk=session.pk)

    def past_session(self, people, *, attendance=lambda n: ""):
        """A session that ended an hour ago with `people` confirmed on it (bulk rows); the
        attendance of the n-th person is `attendance(n)` ("" while nothing is recorded)."""
        from cotraining.constants import Attendance, EnrollmentStatus
        from cotraining.models import Enrollment

        session = self.session(capacity=len(people), start=self.now - timedelta(hours=3), hours=2)
        rows = []
        for n, user in enumerate(people):
            mark = attendance(n)
            hours = {Attendance.PRESENT: session.hours, Attendance.ABSENT: 0}.get(mark)
            rows.append(
                Enrollment(
                    session=session,
                    user=user,
                    status=EnrollmentStatus.CONFIRMED,
                    confirmed_at=session.start - timedelta(days=10),
                    attendance=mark,
                    hours_attended=hours,
                )
            )
        Enrollment.objects.bulk_create(rows)
        return session

    def journey_teacher(self):
        """A teacher with 50 enrolments across 50 workshops of seed_scale: 20 past (10 attended,
        completed through the service), 24 confirmed, 4 waitlisted and 2 awaiting approval."""
        from cotraining.constants import Attendance, EnrollmentStatus, Role, SessionStatus
        from cotraining.models import CalendarFeed, Enrollment, Session, User
        from cotraining.services import evaluate_completion, grant_role

        user = User.objects.create_user(
            "parcours-bench@bench.entrepairs.test",
            first_name="Camille",
            last_name="Parcours",
            establishment=self.establishment,
        )
        grant_role(user=user, role=Role.TEACHER)

        def one_per_workshop(sessions, count):
            seen, picked = set(), []
            for session in sessions:
                if session.workshop_id not in seen:
                    seen.add(session.workshop_id)
                    picked.append(session)
                if len(picked) == count:
                    return picked
            raise SystemExit("seed_scale made too few sessions for the journey teacher")

        scheduled = Session.objects.filter(
            workshop__slug__startswith="charge-",
            workshop__academie=self.poitiers,
            status=SessionStatus.SCHEDULED,
        )
        past = one_per_workshop(
            scheduled.filter(end__lt=self.now).order_by("-start"),
            JOURNEY["past_present"] + JOURNEY["past_absent"],
        )
        upcoming = one_per_workshop(
            scheduled.filter(start__gt=self.now).order_by("start"),
            JOURNEY["confirmed"] + JOURNEY["waitlisted"] + JOURNEY["pending"],
        )
        rows = []
        for n, session in enumerate(past):
            present = n < JOURNEY["past_present"]
            rows.append(
                Enrollment(
                    session=session,
                    user=user,
                    status=EnrollmentStatus.CONFIRMED,
                    confirmed_at=session.start - timedelta(days=20),
                    attendance=Attendance.PRESENT if present else Attendance.ABSENT,
                    hours_attended=session.hours if present else 0,
                )
            )
        for n, session in enumerate(upcoming):
            if n < JOURNEY["confirmed"]:
                status = EnrollmentStatus.CONFIRMED
            elif n < JOURNEY["confirmed"] + JOURNEY["waitlisted"]:
                status = EnrollmentStatus.WAITLISTED
            else:
                status = EnrollmentStatus.PENDING_APPROVAL
            rows.append(
                Enrollment(
                    session=session,
                    user=user,
                    status=status,
                    confirmed_at=self.now if status == EnrollmentStatus.CONFIRMED else None,
                    waitlisted_at=self.now if status == EnrollmentStatus.WAITLISTED else None,
                )
            )
        Enrollment.objects.bulk_create(rows)
        with delivery(False):
            for session in past[: JOURNEY["past_present"]]:
                evaluate_completion(user=user, workshop=session.workshop)
        CalendarFeed.objects.create(user=user)
        return user


# --- 1. Contention --------------------------------------------------------------------------


def connection_budget(wanted):
    """How many connections the race may hold at once: all of them on SQLite; on PostgreSQL
    what max_connections leaves (100 by default, other clients included), less a few spare."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return wanted, None
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT current_setting('max_connections')::int
                 - CASE WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN 0
                        ELSE current_setting('superuser_reserved_connections')::int END
                 - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')
                 + 1,
                   current_setting('max_connections')::int
            """
        )
        free, maximum = cursor.fetchone()
    return max(1, min(wanted, free - SPARE_CONNECTIONS)), maximum


def race(calls, connections):
    """Release `calls` together (a barrier), each in its own thread and database connection.

    Up to `connections` threads open their connection before the barrier, as persistent
    connections of running workers would be; the others wait for a free one once released, as
    requests wait for a worker. Latency runs from the common release to each call's return.
    """
    from django.db import connection

    count = len(calls)
    slots = threading.BoundedSemaphore(connections)
    started = {}
    barrier = threading.Barrier(count, action=lambda: started.setdefault("at", time.perf_counter()))
    results, finished, errors = [None] * count, [None] * count, []
    lock = threading.Lock()
    flight = {"now": 0, "peak": 0}

    def run(index):
        holding = slots.acquire(blocking=False)
        try:
            if holding:
                connection.ensure_connection()
            barrier.wait(timeout=120)
            if not holding:
                slots.acquire()
                holding = True
            with lock:
                flight["now"] += 1
                flight["peak"] = max(flight["peak"], flight["now"])
            try:
                results[index] = calls[index]()
            finally:
                finished[index] = time.perf_counter()
                with lock:
                    flight["now"] -= 1
        except BaseException as exc:  # reported with the outcome, never swallowed
            errors.append(f"{type(exc).__name__}: {exc}"[:300])
        finally:
            connection.close()
            if holding:
                slots.release()

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    if any(thread.is_alive() for thread in threads):
        raise SystemExit("a racing thread is stuck after 300 s (deadlock?)")
    done = [at - started["at"] for at in finished if at is not None]
    return results, [ms(value) for value in done], errors, flight["peak"]


def race_outcome(session, results, errors, published):
    """Whether the race ended as it must: exactly the seats confirmed, the rest waiting in
    order 1..n, one email owed (and, with delivery, sent) per enrolment."""
    from cotraining.constants import EnrollmentStatus, NotificationKind, NotificationStatus
    from cotraining.models import Enrollment, Notification

    statuses = Counter(Enrollment.objects.filter(session=session).values_list("status", flat=True))
    queue = Enrollment.objects.filter(session=session).with_waitlist_position().waiting_queue()
    positions = [row.waitlist_position for row in queue]
    waiting = TEACHERS - SEATS
    notifications = Notification.objects.filter(enrollment__session=session)
    kinds = Counter(notifications.values_list("kind", flat=True))
    problems = [f"{n}× {error}" for error, n in Counter(errors).most_common()]
    if statuses != {EnrollmentStatus.CONFIRMED: SEATS, EnrollmentStatus.WAITLISTED: waiting}:
        problems.append(f"statuses {dict(statuses)}")
    if positions != list(range(1, waiting + 1)):
        problems.append("waiting-list positions are not 1..n")
    if not all(result and result.changed for result in results):
        problems.append("a call reported no change")
    if kinds != {NotificationKind.CONVOCATION: SEATS, NotificationKind.WAITLISTED: waiting}:
        problems.append(f"notifications {dict(kinds)}")
    emails, pdfs = drain_outbox()
    if published is None:
        sent = notifications.filter(status=NotificationStatus.SENT).count()
        if (sent, emails, pdfs) != (TEACHERS, TEACHERS, SEATS):
            problems.append(f"{sent} sent, {emails} emails, {pdfs} PDFs")
    elif sorted(published) != sorted(notifications.values_list("pk", flat=True)):
        problems.append("tasks published ≠ notifications recorded")
    confirmed = statuses.get(EnrollmentStatus.CONFIRMED, 0)
    waitlisted = statuses.get(EnrollmentStatus.WAITLISTED, 0)
    verdict = f"{confirmed} / {waitlisted} " + (
        f"✘ ({'; '.join(problems[:2])})" if problems else "✔"
    )
    return {"verdict": verdict, "emails": emails, "pdfs": pdfs, "problems": problems}


def measure_contention(scene, rounds):
    from django.db import connection

    from cotraining.services import enroll

    report = {}
    for deliver in (False, True):
        runs = []
        for _round in range(rounds):
            session = scene.race_session = scene.session(capacity=SEATS)
            connections, maximum = connection_budget(TEACHERS)
            connection.close()  # this thread's connection counts against max_connections too
            calls = [partial(enroll, user=user, session=session) for user in scene.teachers]
            drain_outbox()
            with delivery(deliver) as published:
                results, latencies, errors, peak = race(calls, connections)
            outcome = race_outcome(session, results, errors, published)
            runs.append(
                {
                    "wall": max(latencies) / 1000 if latencies else 0,
                    "latencies": latencies,
                    "connections": connections,
                    "max_connections": maximum,
                    "peak": peak,
                    **outcome,
                }
            )
            note(
                f"race, delivery {'on' if deliver else 'off'}: {runs[-1]['wall']:.2f} s, "
                f"{outcome['verdict']}, peak {peak} in flight"
            )
        latencies = [value for run in runs for value in run["latencies"]]
        report["delivery" if deliver else "no_delivery"] = {
            "rounds": len(runs),
            "wall": statistics.median(run["wall"] for run in runs),
            "walls": [run["wall"] for run in runs],
            **percentiles(latencies),
            "connections": min(run["connections"] for run in runs),
            "max_connections": runs[0]["max_connections"],
            "peak": min(run["peak"] for run in runs),
            "verdicts": [run["verdict"] for run in runs],
            "emails": sum(run["emails"] for run in runs),
            "pdfs": sum(run["pdfs"] for run in runs),
            "problems": [problem for run in runs for problem in run["problems"]],
        }
    return report


# --- 2. Single calls ------------------------------------------------------------------------


def timed_calls(calls):
    """The first call counts SQL queries; the others are timed one at a time (no capture)."""
    first, *rest = calls
    _result, queries, _sql_ms = captured(first)
    durations = []
    for call in rest:
        started = time.perf_counter()
        call()
        durations.append(ms(time.perf_counter() - started))
    emails, pdfs = drain_outbox()
    return {
        "median": statistics.median(durations),
        "max": max(durations),
        "queries": queries,
        "emails_per_call": emails / len(calls),
        "pdfs_per_call": pdfs / len(calls),
    }


def service_calls(scene, operation, samples):
    """`samples` + 1 independent calls of one operation, each on its own fixture."""
    from cotraining.constants import Attendance, EnrollmentStatus
    from cotraining.models import Enrollment
    from cotraining.services import cancel_enrollment, enroll, record_attendance

    people = scene.teachers[: samples + 1]
    if operation == "enroll_seat":
        session = scene.session(capacity=len(people))
        return [partial(enroll, user=user, session=session) for user in people]
    if operation == "enroll_waitlist":
        session = scene.session(capacity=1)
        with delivery(False):
            enroll(user=scene.teachers[-1], session=session)  # the only seat is taken
        return [partial(enroll, user=user, session=session) for user in people]
    if operation == "cancel_promote":
        # As many seats as calls, all taken, as many people waiting: each cancellation frees
        # a seat and promotes the first in line.
        session = scene.session(capacity=len(people))
        waiting = scene.teachers[len(people) : 2 * len(people)]
        if len(waiting) < len(people):
            raise SystemExit("--samples too large: not enough teachers to wait in line")
        with delivery(False):
            for user in [*people, *waiting]:
                enroll(user=user, session=session)
        drain_outbox()
        confirmed = list(
            Enrollment.objects.filter(session=session, status=EnrollmentStatus.CONFIRMED)
            .select_related("session__workshop", "user")
            .order_by("pk")
        )
        return [partial(cancel_enrollment, enrollment=e, by=e.user) for e in confirmed]
    if operation == "attendance_completion":
        session = scene.past_session(people)
        enrollments = Enrollment.objects.filter(session=session).select_related("user")
        return [
            partial(
                record_attendance,
                enrollment=enrollment,
                attendance=Attendance.PRESENT,
                by=scene.coordinator,
            )
            for enrollment in enrollments.order_by("pk")
        ]
    raise ValueError(operation)


SERVICES = [
    ("enroll_seat", "`enroll`, a seat is free"),
    ("enroll_waitlist", "`enroll`, session full: waiting list"),
    ("cancel_promote", "`cancel_enrollment`, first in line promoted"),
    ("attendance_completion", "`record_attendance` (present), workshop completed"),
]


def measure_services(scene, samples):
    report = {}
    # A first call pays for imports and WeasyPrint's fonts; it is not what the figures show.
    with delivery(True):
        service_calls(scene, "enroll_seat", 1)[0]()
    drain_outbox()
    for operation, _label in SERVICES:
        report[operation] = {}
        for deliver in (False, True):
            calls = service_calls(scene, operation, samples)
            with delivery(deliver):
                report[operation]["delivery" if deliver else "no_delivery"] = timed_calls(calls)
        note(
            f"{operation}: {report[operation]['no_delivery']['median']:.1f} ms without delivery, "
            f"{report[operation]['delivery']['median']:.1f} ms with"
        )
    return report


# --- 3 and 4. Feed and pages ----------------------------------------------------------------


def measure_feed(user, samples):
    from cotraining.calendar import calendar_feed

    def feed():
        return calendar_feed(user)

    body, queries, _sql_ms = captured(feed)
    durations = []
    for _n in range(samples):
        started = time.perf_counter()
        feed()
        durations.append(ms(time.perf_counter() - started))
    return {
        "median": statistics.median(durations),
        "queries": queries,
        "kib": len(body) / 1024,
        "events": body.count(b"BEGIN:VEVENT"),
    }


def measure_page(user, url, samples):
    from django.test import Client

    client = Client(HTTP_HOST="localhost")
    if user is not None:
        client.force_login(user)
    client.get(url)  # caches warm (site root paths, templates) as in a live worker
    response, queries, sql_ms = captured(lambda: client.get(url))
    if response.status_code != 200:
        raise SystemExit(f"{url} answered {response.status_code}")
    durations = []
    for _n in range(samples):
        started = time.perf_counter()
        client.get(url)
        durations.append(ms(time.perf_counter() - started))
    return {
        "median": statistics.median(durations),
        "queries": queries,
        "sql_ms": sql_ms,
        "kib": len(response.content) / 1024,
    }


def child_measure(samples, rounds):
    """`enrolment.py _measure`: everything but the documents, in one process."""
    setup_django()
    from django.db import connection
    from django.urls import reverse

    from cotraining.constants import Attendance, EnrollmentStatus
    from cotraining.models import Enrollment, Session
    from cotraining.permissions import managed_sessions

    started = time.perf_counter()
    outbox()
    scene = Scene()
    teacher = scene.journey_teacher()
    scope = managed_sessions(scene.coordinator).count()
    note(f"scene ready in {time.perf_counter() - started:.1f} s")

    feed_url = reverse("cotraining:calendar_feed", kwargs={"token": teacher.calendar_feed.token})
    pages = {
        "journey": measure_page(teacher, reverse("cotraining:my_journey"), samples),
        "sessions": measure_page(scene.coordinator, reverse("cotraining:my_sessions"), samples),
        "feed": measure_page(None, feed_url, samples),
    }
    note("pages: " + ", ".join(f"{k} {v['median']:.0f} ms" for k, v in pages.items()))
    feed = measure_feed(teacher, samples)
    services = measure_services(scene, samples)
    contention = measure_contention(scene, rounds)

    # What the document children render: a convocation from the contention's last race, an
    # attendance sheet of 30 people (attendance half recorded), a certificate just awarded.
    convocation = Enrollment.objects.filter(
        session=scene.race_session, status=EnrollmentStatus.CONFIRMED
    ).first()
    sheet = scene.past_session(
        scene.teachers[:ATTENDANCE_SHEET_PEOPLE],
        attendance=lambda n: [Attendance.PRESENT, Attendance.ABSENT, ""][n % 3],
    )
    completion = teacher.completions.order_by("pk").first()
    dataset = {
        "sessions": Session.objects.count(),
        "enrollments": Enrollment.objects.count(),
        "coordinator_scope": scope,
        "journey": {
            "enrollments": teacher.enrollments.count(),
            "completions": teacher.completions.count(),
        },
    }
    connection.close()
    return {
        "pages": pages,
        "feed": feed,
        "services": services,
        "contention": contention,
        "dataset": dataset,
        "document_ids": {
            "convocation": convocation.pk,
            "attendance_sheet": sheet.pk,
            "certificate": completion.pk,
        },
        "seconds": time.perf_counter() - started,
    }


def page_count(pdf):
    """Pages of a PDF (pydyf compresses its page objects into object streams: pypdf reads them)."""
    try:
        from pypdf import PdfReader  # a dev dependency, installed by `make bench`
    except ImportError:
        return None
    return len(PdfReader(io.BytesIO(pdf)).pages)


def child_document(kind, pk, samples):
    """`enrolment.py _document KIND PK`: one kind of PDF in a fresh process, so that its first
    rendering (WeasyPrint's import, fonts) and its memory are its own."""
    setup_django()
    from cotraining import pdfs as documents
    from cotraining.models import Completion, Enrollment, Session

    if kind == "convocation":
        target = Enrollment.objects.select_related(
            "session__workshop__academie", "session__establishment", "user__establishment"
        ).get(pk=pk)
        render = partial(documents.convocation_pdf, target)
    elif kind == "attendance_sheet":
        target = Session.objects.select_related("workshop__academie", "establishment").get(pk=pk)
        render = partial(documents.attendance_sheet_pdf, target)
    else:
        target = Completion.objects.select_related("workshop__academie", "user").get(pk=pk)
        render = partial(documents.certificate_pdf, target)

    baseline = vm_kib("VmRSS")
    exact = reset_peak()
    started = time.perf_counter()
    pdf = render()
    first = ms(time.perf_counter() - started)
    first_peak = vm_kib("VmHWM") - baseline
    _pdf, queries, _sql_ms = captured(render)
    durations = []
    for _n in range(samples):
        started = time.perf_counter()
        render()
        durations.append(ms(time.perf_counter() - started))
    return {
        "first": first,
        "median": statistics.median(durations),
        "queries": queries,
        "kib": len(pdf) / 1024,
        "pages": page_count(pdf),
        "first_peak_kib": first_peak if exact else None,
        "peak_kib": vm_kib("VmHWM") - baseline,
        "retained_kib": vm_kib("VmRSS") - baseline,
        "exact_peak": exact,
    }


# --- One backend, end to end ----------------------------------------------------------------


def bench_backend(backend, options):
    say(f"== Enrolment, {backend.label} ==")
    log = backend.workdir / f"enrolment-{backend.name}.log"
    backend.create()
    try:
        env = bench_env(backend)
        timings = {
            "migrate": manage(["migrate", "--noinput"], env, log),
            "seed_demo": manage(["seed_demo"], env, log),
            "seed_scale": manage(["seed_scale", "--workshops", str(options.workshops)], env, log),
        }
        say("setup: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
        started = time.perf_counter()
        measured = child(env, "_measure", str(options.samples), str(options.race_rounds))
        documents = {}
        for kind in DOCUMENTS:
            documents[kind] = child(
                env, "_document", kind, str(measured["document_ids"][kind]), str(options.samples)
            )
            say(f"{kind}: {documents[kind]['median']:.0f} ms")
        timings["measures"] = time.perf_counter() - started
        return {
            "backend": backend,
            "version": backend.version(),
            "timings": timings,
            "documents": documents,
            **measured,
        }
    finally:
        if not options.keep:
            backend.drop()


# --- Report ---------------------------------------------------------------------------------


def versions():
    names = ["Django", "wagtail", "celery", "weasyprint", "pydyf", "fonttools", "icalendar"]
    found = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return ", ".join(found)


def mib(kib):
    return "–" if kib is None else f"{kib / 1024:.0f}"


def contention_rows(contention):
    rows = []
    for key, label in (("no_delivery", "no (task recorded)"), ("delivery", "yes (eager)")):
        race_ = contention[key]
        verdicts = Counter(race_["verdicts"])
        outcome = ", ".join(
            verdict + (f" ×{n}" if n > 1 else "") for verdict, n in verdicts.most_common()
        )
        walls = ", ".join(f"{wall:.2f}" for wall in race_["walls"])
        emails = f"{race_['emails']} emails, {race_['pdfs']} PDFs" if key == "delivery" else "–"
        rows.append(
            f"| {label} | {race_['connections']} (peak {race_['peak']}) | "
            f"{race_['wall']:.2f} ({walls}) | {race_['p50']:.0f} | {race_['p95']:.0f} | "
            f"{race_['max']:.0f} | {outcome} | {emails} |"
        )
    return rows


def backend_section(report, options):
    backend = report["backend"]
    dataset = report["dataset"]
    contention = report["contention"]
    race_ = contention["no_delivery"]
    connections = (
        f"on PostgreSQL at most {race_['connections']} connections at once "
        f"(`max_connections` {race_['max_connections']}, other clients and "
        f"{SPARE_CONNECTIONS} spare deducted)"
        if race_["max_connections"]
        else "one connection each"
    )
    timings = report["timings"]
    journey = dataset["journey"]
    lines = [
        f"### {report['date']} — {backend.label}",
        "",
        f"- Machine: {report['machine']}; load average {report['load']} when the run started.",
        f"- Database: {report['version']} (scratch database"
        + (", kept)." if options.keep else ", dropped afterwards)."),
        f"- Software: {versions()}.",
        f"- Settings: {SETTINGS_LABEL}.",
        f"- Dataset: `migrate`, `seed_demo`, `seed_scale --workshops {options.workshops}` "
        f"({timings['seed_scale']:.0f} s), then what each measure needs: "
        f"{dataset['sessions']:,} sessions and {dataset['enrollments']:,} enrolments at the end. "
        f"Measures took {timings['measures']:.0f} s.",
        "",
        f"**Contention** — {TEACHERS} teachers (threads of one process, {connections}) released "
        f"by a barrier into one {SEATS}-seat session; {options.race_rounds} rounds per row, a new "
        "session each. Latency from the common release to each call's return, all rounds "
        "pooled; wall time is the median round (each round's in brackets). The threads share "
        "one interpreter, whose GIL serialises their Python work: separate worker processes "
        "would wait less.",
        "",
        "| notification delivery | connections | wall s | p50 ms | p95 ms | max ms "
        "| confirmed / waitlisted | sent |",
        "|---|---:|---:|---:|---:|---:|---|---|",
        *contention_rows(contention),
        "",
        f"**Single calls** — one at a time, median of {options.samples} (and the slowest); SQL "
        "queries of one call, delivery included when it is on.",
        "",
        "| service call | no delivery ms (max) | SQL | with delivery ms (max) | SQL "
        "| emails / PDFs per call |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for key, label in SERVICES:
        off = report["services"][key]["no_delivery"]
        on = report["services"][key]["delivery"]
        lines.append(
            f"| {label} | {off['median']:.1f} ({off['max']:.0f}) | {off['queries']} | "
            f"{on['median']:.1f} ({on['max']:.0f}) | {on['queries']} | "
            f"{on['emails_per_call']:g} / {on['pdfs_per_call']:g} |"
        )
    documents = report["documents"]
    feed = report["feed"]
    lines += [
        "",
        f"**Documents** — each PDF kind in a fresh process: its first rendering (WeasyPrint's "
        f"import, fonts), then the median of {options.samples}; peak resident memory (VmHWM) "
        "above the process's RSS before the first rendering, after the first and after all.",
        "",
        "| document | first ms | median ms | SQL | KiB | pages | peak RSS growth MiB, first "
        "/ all | RSS kept MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    labels = {
        "convocation": "convocation (one session, hybrid)",
        "attendance_sheet": f"attendance sheet, {ATTENDANCE_SHEET_PEOPLE} participants",
        "certificate": "certificate (attestation de présence)",
    }
    for kind in DOCUMENTS:
        doc = documents[kind]
        lines.append(
            f"| {labels[kind]} | {doc['first']:.0f} | {doc['median']:.0f} | {doc['queries']} | "
            f"{doc['kib']:.0f} | {doc['pages'] or '–'} | {mib(doc['first_peak_kib'])} / "
            f"{mib(doc['peak_kib'])} | {mib(doc['retained_kib'])} |"
        )
    lines += [
        f"| iCalendar feed (`calendar_feed`), {journey['enrollments']} enrolments, "
        f"{feed['events']} events | – | {feed['median']:.1f} | {feed['queries']} | "
        f"{feed['kib']:.0f} | – | – | – |",
        "",
        f"**Pages** — Django's test client, median of {options.samples} after a warm-up "
        "request; SQL queries of one request with their total time. The teacher's enrolments "
        f"are on seed_scale sessions: {JOURNEY['past_present']} attended (each a completion), "
        f"{JOURNEY['past_absent']} missed, {JOURNEY['confirmed']} upcoming confirmed, "
        f"{JOURNEY['waitlisted']} waitlisted, {JOURNEY['pending']} awaiting approval. The "
        "coordinator's sessions are seed_scale's (past and upcoming, with their enrolments), "
        "their workshops moved to an académie of their own.",
        "",
        "| page | URL | median ms | SQL queries (ms) | HTML KiB |",
        "|---|---|---:|---:|---:|",
    ]
    pages = report["pages"]
    for key, label, url in (
        (
            "journey",
            f"Mon parcours: {journey['enrollments']} enrolments, {journey['completions']} "
            "completions",
            "/mon-parcours/",
        ),
        (
            "sessions",
            f"Mes séances: coordinator, {dataset['coordinator_scope']} sessions in scope",
            "/mes-seances/",
        ),
        ("feed", "private calendar feed, same teacher (no login)", "/agenda/TOKEN.ics"),
    ):
        page = pages[key]
        lines.append(
            f"| {label} | `{url}` | {page['median']:.1f} | {page['queries']} "
            f"({page['sql_ms']:.0f}) | {page['kib']:.0f} |"
        )
    return "\n".join(lines) + "\n"


HEADING = """{marker}
## Enrolment

Written by `bench/enrolment.py`, which `make bench` runs after `bench/run.py`; each run replaces
this section (from the marker line above to the next marker line or the end of the file, which
`bench/run.py` keeps when it rewrites the catalogue's figures). Reproduce with `make bench` or
`.venv/bin/python bench/enrolment.py [--postgres | --both]`; the PostgreSQL run uses a scratch
database `{db}` it creates and drops.

Measured in-process with the development settings, DEBUG off. Celery has no broker, so a
notification task runs eagerly in the calling thread once the transaction commits: with
*delivery*, an enrolment call includes rendering its email, convocation PDF and calendar
invitation into the locmem email backend (the cost a Celery worker pays per email, moved into the
request); *no delivery* replaces the task with a stub that records its id, which is what a
request costs with a real broker (minus the publish round trip). Figures compare operations with
each other on one machine; timings live here, never in the test suite.

"""


def write(reports, options):
    """Replace this script's section of BENCHMARKS.md (its marker to the next marker or the end);
    keep everything else."""
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    section = HEADING.format(marker=ENROLMENT_MARKER, db=POSTGRES_DB) + "\n".join(
        backend_section(report, options) for report in reports
    )
    OUTPUT.write_text(replace_section(current, ENROLMENT_MARKER, section), encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], allow_abbrev=False)
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite.")
    where.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL.")
    parser.add_argument(
        "--samples", type=int, default=10, help="Calls, renderings or requests per median."
    )
    parser.add_argument("--race-rounds", type=int, default=2, help="Races per delivery mode.")
    parser.add_argument(
        "--scale-workshops",
        dest="workshops",
        type=int,
        default=SCALE_WORKSHOPS,
        help=f"seed_scale --workshops (default {SCALE_WORKSHOPS}).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the scratch databases.")
    parser.add_argument("--no-write", action="store_true", help="Leave BENCHMARKS.md alone.")
    options, ignored = parser.parse_known_args()
    if ignored:
        say(f"(bench/run.py options, ignored here: {' '.join(ignored)})")
    if options.samples < 3 or options.samples > TEACHERS // 2 - 1:
        parser.error(f"--samples must be between 3 and {TEACHERS // 2 - 1}")

    workdir = Path(tempfile.mkdtemp(prefix="entrepairs-bench-enrol-"))
    kinds = [SQLiteBackend, Postgres] if options.both else []
    kinds = kinds or [Postgres if options.postgres else SQLiteBackend]
    reports = []
    try:
        for kind in kinds:
            load_average = " / ".join(f"{value:.2f}" for value in os.getloadavg())
            report = bench_backend(kind(workdir), options)
            report.update(
                date=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                machine=machine(),
                load=load_average,
            )
            reports.append(report)
            say("\n" + backend_section(report, options))
            if not options.no_write:  # after each backend: a later failure keeps this one
                write(reports, options)
    finally:
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say(f"Scratch files kept in {workdir}")
    if not options.no_write:
        say(f"Written to the Enrolment section of {OUTPUT.relative_to(ROOT)}.")


if __name__ == "__main__":
    command = sys.argv[1:2]
    if command == ["_measure"]:
        samples, rounds = (int(value) for value in sys.argv[2:4])
        sys.stdout.write(json.dumps(child_measure(samples, rounds)) + "\n")
    elif command == ["_document"]:
        kind, pk, samples = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
        sys.stdout.write(json.dumps(child_document(kind, pk, samples)) + "\n")
    else:
        main()
