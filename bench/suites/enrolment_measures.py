"""Inside Django (`processes.django_child`): the enrolment suite's scene and measures.

The application's code this suite needs is imported here, and only here (the block below):
when a service, a model or the PDF module moves, this is the one place to follow it.
"""

import contextlib
import io
import statistics
import threading
import time
from collections import Counter
from datetime import timedelta
from functools import partial
from types import SimpleNamespace
from unittest import mock

from django.core import mail
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bench.harness.processes import memory_kib, note, reset_peak
from bench.suites.enrolment import (
    ATTENDANCE_SHEET_PEOPLE,
    COORDINATOR_SESSIONS,
    JOURNEY,
    SEATS,
    SPARE_CONNECTIONS,
    TEACHERS,
)
from cotraining import pdfs as documents  # convocation_pdf, attendance_sheet_pdf, certificate_pdf
from cotraining.calendar import calendar_feed
from cotraining.constants import (
    Attendance,
    EnrollmentStatus,
    Modality,
    NotificationKind,
    NotificationStatus,
    Role,
    SessionStatus,
)
from cotraining.models import (
    Academie,
    CalendarFeed,
    Completion,
    Enrollment,
    Establishment,
    Notification,
    Session,
    User,
    WorkshopPage,
)
from cotraining.permissions import managed_sessions
from cotraining.services import (
    cancel_enrollment,
    enroll,
    evaluate_completion,
    grant_role,
    notifications,
    record_attendance,
)

VISIO = "https://visio.education.fr/meeting/123456789"
# "No delivery" replaces the notification task where the services look it up with a stub that
# records the ids it is given (however it is enqueued).
NOTIFICATION_TASK = (notifications, "deliver_notification_task")
SERVICES = ["enroll_seat", "enroll_waitlist", "cancel_promote", "attendance_completion"]


def ms(seconds):
    return seconds * 1000


def percentiles(values):
    cuts = statistics.quantiles(values, n=100) if len(values) > 1 else list(values) * 99
    return {"p50": cuts[49], "p95": cuts[94], "max": max(values)}


@contextlib.contextmanager
def delivery(enabled):
    """With delivery, Celery's eager mode sends each email in the calling thread after the
    commit. Without, `deliver_notification_task.enqueue_on_commit` only records the id, as a
    broker would."""
    if enabled:
        yield None
        return
    published = []
    record = published.append
    stub = SimpleNamespace(delay=record, enqueue=record, enqueue_on_commit=record)
    with mock.patch.object(*NOTIFICATION_TASK, stub):
        yield published


def outbox():
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
    with CaptureQueriesContext(connection) as queries:
        result = call()
    return result, len(queries), sum(float(q["time"]) for q in queries.captured_queries) * 1000


class Scene:
    """The people, sessions and enrolments the measures need, on top of seed_demo + seed_scale."""

    def __init__(self):
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


# --- 1. Contention --------------------------------------------------------------------------------


def connection_budget(wanted):
    """How many connections the race may hold at once: all of them on SQLite; on PostgreSQL
    what max_connections leaves (100 by default, other clients included), less a few spare."""
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


# --- 2. Single calls ---


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


def measure_services(scene, samples):
    report = {}
    # A first call pays for imports and WeasyPrint's fonts; it is not what the figures show.
    with delivery(True):
        service_calls(scene, "enroll_seat", 1)[0]()
    drain_outbox()
    for operation in SERVICES:
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


# --- 3 and 4. Feed and pages ---


def measure_feed(user, samples):
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


def measure(samples, rounds):
    """Everything but the documents, in one process."""

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


def document(kind, pk, samples):
    """One kind of PDF, in a process of its own (`processes.django_child`) so that its first
    rendering (WeasyPrint's import, fonts) and its memory are its own."""
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

    baseline = memory_kib("self", "VmRSS")
    exact = reset_peak()
    started = time.perf_counter()
    pdf = render()
    first = ms(time.perf_counter() - started)
    first_peak = memory_kib("self", "VmHWM") - baseline
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
        "peak_kib": memory_kib("self", "VmHWM") - baseline,
        "retained_kib": memory_kib("self", "VmRSS") - baseline,
        "exact_peak": exact,
    }
