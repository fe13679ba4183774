"""A hundred teachers race for twenty seats on PostgreSQL: the session row lock decides.

Every thread has its own database connection (Django gives one per thread) and a barrier releases
them all at the same instant, so the enrolments really interleave inside PostgreSQL; no sleep puts
them in order. Seats are only safe because enroll() and cancel_enrollment() lock the session row
(SELECT … FOR UPDATE) before counting them: the second test watches that lock block a second
caller, and the third shows a write that the lock does not cover. On SQLite the lock is a no-op and
the database-wide write lock hides the race, hence the checks that these tests run on PostgreSQL.
"""

import threading
import time
from collections import Counter
from datetime import timedelta
from functools import partial

import pytest
from django.db import connection, transaction
from django.utils import timezone

from cotraining.constants import Attendance, EnrollmentStatus, NotificationKind, Role
from cotraining.exceptions import ServiceError
from cotraining.models import Completion, Enrollment, Notification, Session
from cotraining.services import cancel_enrollment, enroll, grant_role, record_attendance
from cotraining.services.attendance import complete_ended_sessions
from tests.factories import SessionFactory, UserFactory

# Transactional: each thread's connection must see the others' commits, as in production.
# serialized_rollback: the flush after the test would otherwise take the reference data
# (académies, départements, the Wagtail tree) away from the tests that follow.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SEATS = 20
TEACHERS = 100
CANCELLATIONS = 10
# Connections kept free for everything else on the server (psql, a dev server) while we race.
SPARE_CONNECTIONS = 3


def teacher():
    user = UserFactory()
    grant_role(user=user, role=Role.TEACHER)
    return user


def connection_slots():
    """How many connections PostgreSQL would accept from us if this thread's one were closed."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT current_setting('max_connections')::int
                 - CASE WHEN (SELECT rolsuper FROM pg_roles WHERE rolname = current_user) THEN 0
                        ELSE current_setting('superuser_reserved_connections')::int END
                 - (SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'client backend')
                 + 1
            """
        )
        return cursor.fetchone()[0]


class Race:
    """Run calls in threads released together by a barrier, each on its own connection.

    PostgreSQL's max_connections (100 by default, the test's own connection included) may be
    fewer than the callers: a semaphore then caps the connections open at once, and `peak`
    records how many calls were actually in flight together.
    """

    def __init__(self, calls, *, connections):
        self.calls = calls
        self.barrier = threading.Barrier(len(calls))
        self.slots = threading.BoundedSemaphore(connections)
        self.lock = threading.Lock()
        self.in_flight = 0
        self.peak = 0
        self.results = [None] * len(calls)
        self.errors = []

    def _run(self, index):
        try:
            self.barrier.wait(timeout=30)
            with self.slots:
                with self.lock:
                    self.in_flight += 1
                    self.peak = max(self.peak, self.in_flight)
                try:
                    self.results[index] = self.calls[index]()
                finally:
                    with self.lock:
                        self.in_flight -= 1
                    connection.close()
        except BaseException as exc:  # reported by the test, never swallowed
            self.errors.append(exc)
            connection.close()

    def run(self):
        threads = [
            threading.Thread(target=self._run, args=(i,), daemon=True)
            for i in range(len(self.calls))
        ]
        for thread in threads:
            thread.start()
        deadline = time.monotonic() + 60
        for thread in threads:
            thread.join(timeout=max(0.0, deadline - time.monotonic()))
        assert not any(thread.is_alive() for thread in threads), "a thread is stuck (deadlock?)"
        assert self.errors == []
        return self.results


def race(calls):
    """Close this thread's connection (it counts against max_connections) and race `calls`."""
    slots = connection_slots() - SPARE_CONNECTIONS
    assert slots > SEATS, f"PostgreSQL accepts only {slots} more connections: too few to race"
    connection.close()
    contest = Race(calls, connections=min(len(calls), slots))
    results = contest.run()
    return results, contest.peak


def waiting_list(session):
    """[(enrolment id, waitlist_position)] in queue order."""
    rows = Enrollment.objects.filter(session=session).with_waitlist_position().waiting_queue()
    return [(row.pk, row.waitlist_position) for row in rows]


def statuses(session):
    return Counter(Enrollment.objects.filter(session=session).values_list("status", flat=True))


def test_a_hundred_teachers_racing_for_twenty_seats(notification_queue):
    assert connection.vendor == "postgresql"  # SQLite would serialise the writers for us
    session = SessionFactory(capacity=SEATS)
    session = Session.objects.select_related("workshop").get(pk=session.pk)
    teachers = [teacher() for _ in range(TEACHERS)]

    results, peak = race([partial(enroll, user=user, session=session) for user in teachers])

    # More callers than seats were inside enroll() together: only the lock kept the count.
    assert peak > SEATS
    assert all(result.changed for result in results)
    told = Counter(result.enrollment.status for result in results)
    assert told == {EnrollmentStatus.CONFIRMED: SEATS, EnrollmentStatus.WAITLISTED: 80}
    assert statuses(session) == told
    queue = waiting_list(session)
    assert [position for _pk, position in queue] == list(range(1, 81))
    by_user = {result.enrollment.user_id: result.enrollment.status for result in results}
    assert set(by_user) == {user.pk for user in teachers}

    # One email recorded per enrolment, and its task published exactly once after the commit.
    notifications = Notification.objects.filter(enrollment__session=session)
    assert Counter(notifications.values_list("kind", flat=True)) == {
        NotificationKind.CONVOCATION: SEATS,
        NotificationKind.WAITLISTED: 80,
    }
    assert sorted(notification_queue.notification_ids()) == sorted(
        notifications.values_list("pk", flat=True)
    )

    # Ten confirmed people withdraw at the same instant: the first ten in line get their seats.
    leaving = list(
        Enrollment.objects.filter(session=session, status=EnrollmentStatus.CONFIRMED)
        .select_related("user")
        .order_by("pk")[:CANCELLATIONS]
    )
    first_in_line = [pk for pk, _position in queue[:CANCELLATIONS]]

    results, _peak = race([partial(cancel_enrollment, enrollment=e, by=e.user) for e in leaving])

    assert {result.status for result in results} == {EnrollmentStatus.CANCELLED}
    assert statuses(session) == {
        EnrollmentStatus.CONFIRMED: SEATS,
        EnrollmentStatus.WAITLISTED: 70,
        EnrollmentStatus.CANCELLED: CANCELLATIONS,
    }
    promoted = Enrollment.objects.filter(pk__in=first_in_line)
    assert set(promoted.values_list("status", flat=True)) == {EnrollmentStatus.CONFIRMED}
    assert all(e.confirmed_at and e.waitlisted_at is None for e in promoted)
    # The others moved up by ten, in the same order, still without gaps or repeats.
    assert waiting_list(session) == [
        (pk, position - CANCELLATIONS) for pk, position in queue[CANCELLATIONS:]
    ]
    assert sorted(
        Notification.objects.filter(kind=NotificationKind.PROMOTED).values_list(
            "enrollment_id", flat=True
        )
    ) == sorted(first_in_line)
    assert sorted(
        Notification.objects.filter(kind=NotificationKind.ENROLLMENT_CANCELLED).values_list(
            "enrollment_id", flat=True
        )
    ) == sorted(e.pk for e in leaving)
    assert len(notification_queue.notification_ids()) == 2 * CANCELLATIONS


def backend_pid():
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        return cursor.fetchone()[0]


def blocked_statement(pid, blocker):
    """The statement `pid` is waiting on, if `blocker` holds the lock it waits for; else None."""
    with connection.cursor() as cursor:
        # The statistics are a snapshot taken once per transaction: take a fresh one.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT query FROM pg_stat_activity"
            " WHERE pid = %s AND wait_event_type = 'Lock' AND %s = ANY(pg_blocking_pids(pid))",
            [pid, blocker],
        )
        row = cursor.fetchone()
    return row and row[0]


def test_enrolling_waits_for_the_session_row_lock_and_only_that_row(notification_queue):
    assert connection.vendor == "postgresql"
    session, other_session = SessionFactory(capacity=1), SessionFactory(capacity=1)
    waiting_teacher, other_teacher = teacher(), teacher()
    outcome = {}

    def enroll_in_thread(key, user, session, pid_ready=None):
        try:
            if pid_ready is not None:
                outcome[f"{key}_pid"] = backend_pid()
                pid_ready.set()
            outcome[key] = enroll(user=user, session=session).enrollment.status
        except BaseException as exc:
            outcome[key] = exc
        finally:
            connection.close()

    pid_ready = threading.Event()
    with transaction.atomic():
        # What a concurrent enrolment holds between counting the seats and committing.
        Session.objects.select_for_update().get(pk=session.pk)
        holder = backend_pid()

        # Another session's row is free: that enrolment goes through while this one is locked.
        other = threading.Thread(
            target=enroll_in_thread, args=("other", other_teacher, other_session), daemon=True
        )
        other.start()
        other.join(timeout=30)
        assert outcome.get("other") == EnrollmentStatus.CONFIRMED

        blocked = threading.Thread(
            target=enroll_in_thread,
            args=("blocked", waiting_teacher, session, pid_ready),
            daemon=True,
        )
        blocked.start()
        assert pid_ready.wait(timeout=30)
        deadline = time.monotonic() + 30
        while (statement := blocked_statement(outcome["blocked_pid"], holder)) is None:
            assert blocked.is_alive(), outcome.get("blocked")
            assert time.monotonic() < deadline, "enroll() never waited for the session row"
            time.sleep(0.01)
        # It waits in a read of the session row, before counting any seat. A plain SELECT never
        # waits for a row lock in PostgreSQL: only SELECT … FOR UPDATE does (pg_stat_activity
        # cuts the text at 1 kB, before the FOR UPDATE of this long select_related query).
        assert statement.startswith('SELECT "cotraining_session".')
        assert "blocked" not in outcome
    # Commit: the lock is released and the waiting enrolment takes the seat.
    blocked.join(timeout=30)
    assert outcome["blocked"] == EnrollmentStatus.CONFIRMED
    assert statuses(session) == {EnrollmentStatus.CONFIRMED: 1}


def test_a_withdrawal_racing_the_attendance_sheet_leaves_them_consistent(notification_queue):
    """Both are allowed in the half hour before the start: check-in is open, the seat can still
    be given back. Whichever wins, a completion must match an attended, confirmed enrolment."""
    assert connection.vendor == "postgresql"
    session = SessionFactory(start=timezone.now().replace(microsecond=0) + timedelta(minutes=20))
    person, trainer = teacher(), UserFactory()
    enrollment = enroll(user=person, session=session).enrollment
    outcome = {}

    def withdraw():
        try:
            outcome["pid"] = backend_pid()
            pid_ready.set()
            outcome["status"] = cancel_enrollment(enrollment=enrollment, by=person).status
        except BaseException as exc:
            outcome["status"] = exc
        finally:
            connection.close()

    pid_ready = threading.Event()
    withdrawal = threading.Thread(target=withdraw, daemon=True)
    with transaction.atomic():
        # The trainer's record_attendance() has locked the enrolment row (as it does) ...
        Enrollment.objects.select_for_update().get(pk=enrollment.pk)
        holder = backend_pid()
        withdrawal.start()
        assert pid_ready.wait(timeout=30)
        # ... when the withdrawal, holding the session lock, waits for the enrolment row: no
        # sleep, PostgreSQL says who waits for whom.
        deadline = time.monotonic() + 30
        while (statement := blocked_statement(outcome["pid"], holder)) is None:
            assert withdrawal.is_alive(), outcome.get("status")
            assert time.monotonic() < deadline, "the withdrawal never waited for the row"
            time.sleep(0.01)
        assert '"cotraining_enrollment"' in statement  # its SELECT … FOR UPDATE of the row
        record_attendance(enrollment=enrollment, attendance=Attendance.PRESENT, by=trainer)
    withdrawal.join(timeout=30)
    # Withdrawn, or refused because the person is already marked present: either is fine.
    assert outcome["status"] == EnrollmentStatus.CANCELLED or isinstance(
        outcome["status"], ServiceError
    )

    attended = Enrollment.objects.filter(
        pk=enrollment.pk,
        status=EnrollmentStatus.CONFIRMED,
        attendance__in=[Attendance.PRESENT, Attendance.PARTIAL],
    ).exists()
    # Completion follows once the session is over (beat): the sheet and the seat must agree.
    ended = timezone.now() - timedelta(minutes=1)
    Session.objects.filter(pk=session.pk).update(start=ended - timedelta(hours=2), end=ended)
    complete_ended_sessions()
    completed = Completion.objects.filter(user=person, workshop=session.workshop).exists()
    assert completed == attended
