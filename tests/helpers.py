"""Helpers shared by tests of several folders (a conftest holds fixtures, never helpers to
import: tests import from here or from tests.factories)."""

import html
import socket
from datetime import timedelta
from pathlib import Path

import time_machine
from django.contrib.messages import get_messages

ROOT = Path(__file__).resolve().parents[1]  # the repository


def free_port():
    """A loopback TCP port nothing listens on (closed again at once: nothing answers there)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def page_text(response):
    """The response body with HTML entities decoded (apostrophes come out as &#x27;)."""
    return html.unescape(response.content.decode())


def messages_of(response):
    """The messages (level, text) the response's request left for the next page."""
    return [(message.level, str(message)) for message in get_messages(response.wsgi_request)]


def during(session, minutes=30):
    """Travel to `minutes` after the session's start (time frozen there)."""
    return time_machine.travel(session.start + timedelta(minutes=minutes), tick=False)


def status_of(enrollment):
    """The enrolment's status as the database has it now."""
    enrollment.refresh_from_db()
    return enrollment.status


def delete_queue(name):
    """Remove a queue and its bindings from the broker (integration tests)."""
    from kombu import Exchange, Queue

    from cms.celery import app

    with app.connection_for_write() as conn:
        bound = Queue(name, Exchange(name), routing_key=name)(conn.default_channel)
        bound.declare()
        bound.delete()


def built_for_the_module(django_db_blocker, build):
    """The body of a module-scoped fixture that builds data once for a module, as Django's
    setUpTestData does for a class: `yield from built_for_the_module(django_db_blocker, build)`.

    `build()` runs in a transaction rolled back when the module ends, so the next module starts
    from an empty database. Each test's own transaction (its `db`) nests in it as a savepoint:
    what a test writes is gone for the next one. Name the fixture `_<what>_for_the_module` (the
    module's other tests then run first: tests/conftest.py) and give tests a function-scoped
    fixture asking for it and `db`, returning a deep copy of the objects when tests may change
    them in memory.
    """
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
        try:
            data = build()
        except BaseException:
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            raise
    try:
        yield data
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


class MailSink:
    """The handler of an aiosmtpd server: keeps every message it accepts, as raw bytes.

    Set `refuse_with` to an SMTP reply ("451 4.3.0 …") to refuse every message at DATA, as a
    server under load or out of disk space does.
    """

    def __init__(self):
        self.messages = []
        self.refuse_with = ""
        self.port = None

    async def handle_DATA(self, server, session, envelope):
        if self.refuse_with:
            return self.refuse_with
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"
