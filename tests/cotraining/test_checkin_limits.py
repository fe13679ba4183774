"""The 6-digit check-in code cannot be guessed (issue 12): wrong codes are limited per account
and per session, the limit holds even against the right code, and both are audited."""

from datetime import timedelta

import pytest
import time_machine
from django.contrib import messages
from django.contrib.messages import get_messages
from django.urls import reverse
from wagtail.models import ModelLogEntry

from cotraining.constants import Attendance, AuditAction
from cotraining.exceptions import ServiceError
from cotraining.models import Enrollment
from cotraining.services import check_in, checkin_code, enroll
from tests.factories import SessionFactory, teacher

pytestmark = pytest.mark.django_db


@pytest.fixture
def session():
    return SessionFactory(capacity=10)


def participant(session):
    return enroll(user=teacher(), session=session).enrollment


def wrong_codes(session, now, count):
    """`count` codes none of which is valid around `now`."""
    valid = {checkin_code(session=session, now=now + timedelta(seconds=s)) for s in (-30, 0, 30)}
    codes = (f"{n:06d}" for n in range(0, 10**6, 7919))
    return [code for code in codes if code not in valid][:count]


def attempt(user, code, **kwargs):
    try:
        check_in(user=user, code=code, **kwargs)
    except ServiceError as error:
        return error.code
    return "ok"


def test_sixty_wrong_codes_then_the_right_one_is_refused(session):
    enrollment = participant(session)
    now = session.start + timedelta(minutes=5)
    with time_machine.travel(now, tick=False):
        right = checkin_code(session=session)
        results = [attempt(enrollment.user, code) for code in wrong_codes(session, now, 60)]
        assert results[:5] == ["bad_code"] * 5
        assert set(results[5:]) == {"checkin_locked"}
        with pytest.raises(ServiceError) as error:
            check_in(user=enrollment.user, code=right, session=session)
    assert error.value.code == "checkin_locked"
    assert "Trop de codes erronés" in error.value.message
    enrollment.refresh_from_db()
    assert (enrollment.attendance, enrollment.checked_in_at) == ("", None)
    entries = ModelLogEntry.objects.filter(object_id=str(enrollment.pk))
    assert entries.filter(action=AuditAction.CHECK_IN_WRONG_CODE).count() == 5
    assert entries.filter(action=AuditAction.CHECK_IN_LOCKED).count() == 1

    # The window over, the right code is accepted again.
    later = now + timedelta(minutes=11)
    with time_machine.travel(later, tick=False):
        assert attempt(enrollment.user, checkin_code(session=session)) == "ok"
    enrollment.refresh_from_db()
    assert enrollment.attendance == Attendance.PRESENT


def test_a_few_typos_do_not_block_and_a_right_code_gives_its_attempt_back(session):
    enrollment = participant(session)
    now = session.start + timedelta(minutes=5)
    with time_machine.travel(now, tick=False):
        right = checkin_code(session=session)
        for code in wrong_codes(session, now, 4):
            assert attempt(enrollment.user, code) == "bad_code"
        assert attempt(enrollment.user, right) == "ok"
        assert attempt(enrollment.user, right) == "ok"  # a repeat scan of the QR code
        assert attempt(enrollment.user, wrong_codes(session, now, 1)[0]) == "bad_code"


def test_a_session_caps_wrong_codes_across_accounts(session, settings):
    settings.CHECKIN_MAX_WRONG_PER_SESSION = 12
    accomplices = [participant(session) for _ in range(4)]
    honest = participant(session)
    now = session.start + timedelta(minutes=5)
    with time_machine.travel(now, tick=False):
        right = checkin_code(session=session)
        guesses = iter(wrong_codes(session, now, 12))
        for enrollment in accomplices:  # 3 each: under the per-account limit of 5
            for _ in range(3):
                assert attempt(enrollment.user, next(guesses), session=session) == "bad_code"
        assert attempt(accomplices[0].user, right, session=session) == "checkin_locked"
        assert attempt(honest.user, right, session=session) == "checkin_locked"
    assert not Enrollment.objects.filter(session=session, attendance=Attendance.PRESENT).exists()
    assert ModelLogEntry.objects.filter(
        action=AuditAction.CHECK_IN_SESSION_LOCKED, object_id=str(session.pk)
    ).exists()


def test_the_check_in_page_says_why_the_right_code_is_refused(client, session):
    enrollment = participant(session)
    client.force_login(enrollment.user)
    now = session.start + timedelta(minutes=5)
    url = reverse("cotraining:check_in")
    with time_machine.travel(now, tick=False):
        for code in wrong_codes(session, now, 6):
            client.post(url, {"code": code, "seance": str(session.pk)})
        response = client.post(url, {"code": checkin_code(session=session)})
    assert response.status_code == 200
    [(level, text)] = [(m.level, str(m)) for m in get_messages(response.wsgi_request)]
    assert level == messages.ERROR and "Trop de codes erronés" in text
    enrollment.refresh_from_db()
    assert enrollment.checked_in_at is None
