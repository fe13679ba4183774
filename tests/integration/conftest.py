"""PostgreSQL, Redis and a real Celery worker process, started and stopped by the test session."""

import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

ROOT = Path(__file__).resolve().parents[2]
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
    app.control.purge()
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
