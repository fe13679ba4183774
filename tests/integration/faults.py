"""Fault injection for the integration suite (issue 15): a Redis broker, Celery workers and an
SMTP server of the test's own, which the test stops, restarts, kills and holds.

Never the shared services: each fault test starts `redis-server` on a free port, points this
process's Celery app at it (`celery_app_on`) and starts its own worker processes against it.
"""

import asyncio
import os
import signal
import subprocess
import sys
import threading
import time
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlsplit
from uuid import uuid4

import pytest
import redis
from django.conf import settings
from django.db import connection
from django.db.models import F
from kombu import pools as kombu_pools

from tests.helpers import ROOT, MailSink, free_port


def wait_for(condition, what, timeout=90, interval=0.1, state=None):
    """Poll `condition` until it is true; fail the test after `timeout` seconds, saying what
    `state()` (if given) reads then."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            found = f": {state()}" if state else ""
            pytest.fail(f"timed out after {timeout} s waiting for {what}{found}")
        time.sleep(interval)


class RedisServer:
    """`redis-server` on a free loopback port, without persistence: a restart loses everything
    it held (queued tasks, unacknowledged ones, bindings), as a Redis restarted without its disk
    does."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    def url(self, db=0):
        return f"redis://127.0.0.1:{self.port}/{db}"

    def start(self):
        self.process = subprocess.Popen(  # noqa: S603 - a fixed binary and our own arguments
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        client = redis.Redis(port=self.port)
        deadline = time.monotonic() + 20
        while True:
            try:
                client.ping()
                return
            except redis.ConnectionError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    self.process.kill()
                    pytest.fail("the test's redis-server did not start")
                time.sleep(0.05)
            finally:
                client.close()

    def stop(self):
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=20)
        self.process = None

    def restart(self):
        self.stop()
        self.start()

    def queued(self):
        """How many tasks wait in the platform's queues."""
        client = redis.Redis(port=self.port)
        try:
            return sum(client.llen(name) for name in settings.ENTREPAIRS_QUEUES)
        finally:
            client.close()


@contextmanager
def redis_server():
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        if server.process is not None:
            server.process.kill()
            server.process.wait(timeout=10)


def forget_connections(app):
    """Drop this process's pooled broker and result connections (they point at a Redis that
    has restarted, or another broker): the next use opens new ones. Kombu keeps its pools in a
    registry keyed by URL, which `pools.reset()` closes and empties."""
    kombu_pools.reset()
    app._pool = None
    app.amqp._producer_pool = None
    app._backend_cache = None
    app._local = threading.local()


@contextmanager
def celery_app_on(url):
    """This process's Celery app publishes to (and reads results from) the broker at `url`:
    what a request or a test enqueues goes to the test's own Redis."""
    from cms.celery import app

    # broker_url itself resolves to the CELERY_ setting read at start; the read and write URLs,
    # unset by the platform, take precedence over it.
    keys = ("broker_read_url", "broker_write_url", "result_backend", "CELERY_RESULT_BACKEND")
    previous = {key: app.conf.get(key) for key in keys}
    app.conf.update(dict.fromkeys(keys, url))
    forget_connections(app)
    # Never the shared broker by mistake: the fault would hit everyone's tasks.
    assert app.connection_for_write().port == urlsplit(url).port
    try:
        yield app
    finally:
        app.conf.update(previous)
        forget_connections(app)


def run_task(app, name, timeout=60):
    """Run a task by name on the workers (as beat does) and wait for its result."""
    return app.send_task(name, ignore_result=False).get(timeout=timeout)


class Worker:
    """A real `celery worker` process, in a process group of its own so that `kill()` takes
    down the main process and its pool children at once (`kill -9`, an out-of-memory kill of
    the machine's worker, a power cut)."""

    def __init__(self, broker_url, *, media_root, smtp_port=None, concurrency=2, env=None):
        db = settings.DATABASES["default"]
        self.hostname = f"fault-{uuid4().hex[:8]}@localhost"
        self.env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cms.settings.test",
            "DATABASE_URL": (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                f"/{connection.settings_dict['NAME']}"
            ),
            "CELERY_BROKER_URL": broker_url,
            "CELERY_RESULT_BACKEND": broker_url,
            "ENTREPAIRS_TEST_MEDIA_ROOT": str(media_root),
            **(env or {}),
        }
        if smtp_port is not None:
            self.env.update(
                EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend",
                EMAIL_HOST="127.0.0.1",
                EMAIL_PORT=str(smtp_port),
                EMAIL_USE_TLS="false",
            )
        self.env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        self.concurrency = concurrency
        self.process = None

    def start(self, app):
        """Start it and wait until it answers on the broker (it then queues the lost work:
        cms.celery.resume_lost_work)."""
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cms",
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={self.concurrency}",
                "--pool=prefork",
                f"--hostname={self.hostname}",
                f"--queues={','.join(settings.ENTREPAIRS_QUEUES)}",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
        )

        def answers():
            if self.process.poll() is not None:
                pytest.fail(f"the Celery worker exited with code {self.process.returncode}")
            replies = app.control.ping(destination=[self.hostname], timeout=1.0) or []
            return any(self.hostname in reply for reply in replies)

        wait_for(answers, "the Celery worker to answer", timeout=120, interval=0)
        return self

    def kill(self):
        """`kill -9` of the whole worker: nothing it held is acknowledged or given back."""
        os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=20)

    def stop(self):
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=20)

    def idle(self, app, broker):
        """True when the broker's queues are empty and the worker runs and holds no task."""
        if broker.queued():
            return False
        inspect = app.control.inspect(destination=[self.hostname], timeout=1.0)
        try:
            for tasks in (inspect.active(), inspect.reserved()):
                if (tasks or {}).get(self.hostname) != []:
                    return False
        except (redis.ConnectionError, OSError):  # a connection to a Redis restarted since
            forget_connections(app)
            return False
        return not broker.queued()


class HoldingMailSink(MailSink):
    """A mail server that counts what it accepts per recipient, and can hold one message: once
    `hold_next()` is called, the next message is received whole and left without an answer
    (the moment at which a sender killed never learns whether its email left, although it did)
    until `release` is set. Kill the sender at once: it gives up after its own timeout (10 s)
    otherwise."""

    def __init__(self):
        super().__init__()
        self.armed = threading.Event()
        self.holding = threading.Event()
        self.release = threading.Event()
        self.held_for = None
        self.recipients = Counter()

    def hold_next(self):
        self.armed.set()

    async def handle_DATA(self, server, session, envelope):
        # Counted as soon as it is in, whether or not the sender is still there to read the
        # answer: a mail server that has the whole message delivers it.
        self.recipients.update(address.lower() for address in envelope.rcpt_tos)
        self.messages.append(envelope.content)
        if self.armed.is_set() and not self.holding.is_set():
            self.held_for = [address.lower() for address in envelope.rcpt_tos]
            self.holding.set()
            while not self.release.is_set():  # cancelled when the sender's connection drops
                await asyncio.sleep(0.02)
        return "250 Message accepted for delivery"


@contextmanager
def mail_server():
    from aiosmtpd.controller import Controller

    sink = HoldingMailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        sink.release.set()
        controller.stop()


def age(queryset, by, *fields):
    """Move these timestamps `by` into the past: what beat and the catch-ups see that much later.

    Used once the workers are stopped or idle, on rows that no task is touching, instead of
    shortening the platform's delays for the test (a claim timeout of a few seconds would let a
    live sender's claim expire on a loaded machine, and the counts would be flaky)."""
    return queryset.update(**{field: F(field) - by for field in fields})


def age_files(folder, by=timedelta(hours=2)):
    """Move the modification time of every file under `folder` into the past."""
    seconds = by.total_seconds()
    for path in folder.rglob("*"):
        if path.is_file():
            stat = path.stat()
            os.utime(path, (stat.st_atime - seconds, stat.st_mtime - seconds))


class HeldTransaction:
    """A transaction of this test, on a connection of its own (a thread), that runs `work`
    and stays open until `rollback()`: whatever it wrote or locked stays locked meanwhile."""

    def __init__(self, work):
        self.work = work
        self.ready = threading.Event()
        self.done = threading.Event()
        self.errors = []
        self.pid = None
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        from django.db import connection as own
        from django.db import transaction

        try:
            with transaction.atomic():
                with own.cursor() as cursor:
                    cursor.execute("SELECT pg_backend_pid()")
                    self.pid = cursor.fetchone()[0]
                self.work()
                self.ready.set()
                self.done.wait(timeout=300)
                transaction.set_rollback(True)
        except BaseException as exc:  # reported by the test
            self.errors.append(exc)
            self.ready.set()
        finally:
            own.close()

    def __enter__(self):
        self.thread.start()
        self.ready.wait(timeout=60)
        assert self.errors == []
        return self

    def rollback(self):
        self.done.set()
        self.thread.join(timeout=60)
        assert not self.thread.is_alive()

    def __exit__(self, *exc):
        self.rollback()

    def waiters(self):
        """How many database sessions wait for a lock this transaction holds."""
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE %s = ANY(pg_blocking_pids(pid))",
                [self.pid],
            )
            return cursor.fetchone()[0]
