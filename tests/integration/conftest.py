"""PostgreSQL, Redis and a real Celery worker process, started and stopped by the test session."""

import os
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from types import SimpleNamespace
from uuid import uuid4

import pytest
from django.conf import settings
from django.db import connection

from tests.helpers import ROOT, MailSink, delete_queue, free_port

INTEGRATION_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.path.is_relative_to(INTEGRATION_DIR):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session", autouse=True)
def _real_services(request):
    """Integration tests need the production-like mode: refuse to pass on the embedded one."""
    if not any(item.path.is_relative_to(INTEGRATION_DIR) for item in request.session.items):
        return
    problems = []
    if not settings.DATABASES["default"]["ENGINE"].endswith("postgresql"):
        problems.append("DATABASE_URL is not a PostgreSQL URL")
    if not settings.CELERY_BROKER_URL:
        problems.append("CELERY_BROKER_URL is not set")
    if problems:
        message = "integration suite needs real services (make test-integration): " + "; ".join(
            problems
        )
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)


def purge_all_queues():
    """Drop what an earlier run left in any of the platform's queues (app.control.purge only
    empties the queues a worker consumes, and none runs yet)."""
    from cms.celery import app

    with app.connection_for_write() as conn:
        channel = conn.default_channel
        for name in settings.ENTREPAIRS_QUEUES:
            try:
                channel.queue_purge(name)
            except Exception:  # noqa: S110 - a queue never declared has nothing to purge
                pass


@pytest.fixture(scope="session")
def celery_worker(django_db_setup, django_db_blocker):
    """A real `celery worker` process on the test database and the configured broker."""
    from cms.celery import app

    with django_db_blocker.unblock():
        test_db = connection.settings_dict["NAME"]
    db = settings.DATABASES["default"]
    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "cms.settings.test",
        "DATABASE_URL": (
            f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{test_db}"
        ),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    hostname = f"test-worker-{os.getpid()}@%h"
    purge_all_queues()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
        [
            sys.executable,
            "-m",
            "celery",
            "-A",
            "cms",
            "worker",
            "--loglevel=WARNING",
            "--concurrency=2",
            "--pool=prefork",
            f"--hostname={hostname}",
            # Every queue of the platform (CELERY_TASK_ROUTES): one worker does all the work.
            f"--queues={','.join(settings.ENTREPAIRS_QUEUES)}",
            "--without-gossip",
            "--without-mingle",
        ],
        cwd=ROOT,
        env=env,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"the Celery worker exited with code {process.returncode}")
            replies = app.control.ping(timeout=1.0) or []
            names = [name for reply in replies for name in reply]
            if any(name.startswith(f"test-worker-{os.getpid()}@") for name in names):
                break
        else:
            pytest.fail("the Celery worker did not answer within 60 s")
        yield {"process": process, "database": test_db}
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


# --- Email through a real SMTP server, and a worker that sends to it ----------------------------


@contextmanager
def running_smtp_server():
    from aiosmtpd.controller import Controller

    sink = MailSink()
    controller = Controller(sink, hostname="127.0.0.1", port=free_port())
    controller.start()
    sink.port = controller.port
    try:
        yield sink
    finally:
        controller.stop()


@pytest.fixture
def smtp_server():
    """A real SMTP server on loopback, for this test only."""
    with running_smtp_server() as sink:
        yield sink


@pytest.fixture
def closed_smtp_port():
    """A loopback port where no SMTP server answers (a server that is down)."""
    return free_port()


@pytest.fixture
def mailer_to(settings):
    """A function that points this process's default mailer at an SMTP server on loopback.

    Django 6.1 reads MAILERS at each send (no cache to reset); the test runner had replaced it
    with the locmem backend, and the `settings` fixture restores that after the test.
    """

    def point(port):
        settings.MAILERS = {
            "default": {
                "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 5},
            }
        }

    return point


@pytest.fixture
def smtp_mailer(mailer_to, smtp_server):
    """This process sends its email over SMTP to `smtp_server`."""
    mailer_to(smtp_server.port)
    return smtp_server


@contextmanager
def routed_notifications(queue):
    """Publish deliver_notification to `queue` instead of Celery's default queue, so that only
    the worker (if any) consuming that queue runs them, never another test's worker."""
    from cms.celery import app

    previous = app.conf.task_routes
    app.conf.update(task_routes={"cotraining.tasks.deliver_notification": {"queue": queue}})
    try:
        yield
    finally:
        app.conf.update(task_routes=previous)


class TaskQueue:
    """A broker queue that no worker consumes: the test reads what was published to it."""

    def __init__(self, name):
        self.name = name

    def drain(self):
        """Take every message off the queue: [(task name, args)], in publishing order."""
        from cms.celery import app

        messages = []
        with app.connection_for_read() as conn:
            queue = conn.SimpleQueue(self.name, no_ack=True, accept=["json"])
            try:
                while True:
                    try:
                        message = queue.get(block=False)
                    except queue.Empty:
                        break
                    args, _kwargs, _embed = message.payload
                    messages.append((message.headers["task"], args))
            finally:
                queue.close()
        return messages

    def notification_ids(self):
        """The ids of the deliver_notification tasks published, in order."""
        return [
            args[0]
            for task, args in self.drain()
            if task == "cotraining.tasks.deliver_notification"
        ]


@pytest.fixture
def notification_queue():
    """deliver_notification tasks go to a queue of this test's own, which nothing consumes."""
    queue = TaskQueue(f"test-notifications-{os.getpid()}-{uuid4().hex[:8]}")
    with routed_notifications(queue.name):
        yield queue
    delete_queue(queue.name)


@pytest.fixture(scope="module")
def smtp_celery_worker(django_db_setup, django_db_blocker):
    """A second real `celery worker` process whose email goes to a loopback SMTP server.

    It consumes only a queue of its own (tests route deliver_notification there with the
    `smtp_worker` fixture), so it never takes the session worker's tasks, nor the other way round.
    """
    from cms.celery import app

    with django_db_blocker.unblock():
        test_db = connection.settings_dict["NAME"]
    db = settings.DATABASES["default"]
    queue = f"test-smtp-{os.getpid()}-{uuid4().hex[:8]}"
    hostname_prefix = f"test-smtp-worker-{os.getpid()}@"
    with running_smtp_server() as sink:
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cms.settings.test",
            "DATABASE_URL": (
                f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}"
                f"/{test_db}"
            ),
            "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "EMAIL_HOST": "127.0.0.1",
            "EMAIL_PORT": str(sink.port),
            "EMAIL_USE_TLS": "false",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "cms",
                "worker",
                "--loglevel=WARNING",
                "--concurrency=2",
                "--pool=prefork",
                f"--hostname={hostname_prefix}%h",
                f"--queues={queue}",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
        )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                if process.poll() is not None:
                    pytest.fail(f"the SMTP Celery worker exited with code {process.returncode}")
                replies = app.control.ping(timeout=1.0) or []
                if any(name.startswith(hostname_prefix) for reply in replies for name in reply):
                    break
            else:
                pytest.fail("the SMTP Celery worker did not answer within 60 s")
            yield SimpleNamespace(process=process, sink=sink, queue=queue, database=test_db)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
            delete_queue(queue)


@pytest.fixture
def smtp_worker(smtp_celery_worker):
    """This test's notification emails are sent by the SMTP worker; its mailbox starts empty."""
    smtp_celery_worker.sink.messages.clear()
    with routed_notifications(smtp_celery_worker.queue):
        yield smtp_celery_worker
