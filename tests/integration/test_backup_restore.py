"""Backup and restore, as OPERATIONS.md says to do it (issue 15, "tested once"): `pg_dump` of a
database holding a workshop and an awarded badge, the media folder archived; a new database
restored from the dump, the archive unpacked elsewhere, `migrate` (a no-op), and a real web
server (gunicorn) on the restored copy serves the home page, the workshop and the hosted
assertion exactly as the original did: same document, same baked image.

The source is this run's own test database (never a shared one); the restored one is created,
served and dropped by the test.
"""

import json
import os
import shutil
import subprocess
import sys
import urllib.request
from uuid import uuid4

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse

from tests.cms.cache_outage import outage_fixtures
from tests.helpers import ROOT, free_port
from tests.integration.faults import wait_for

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def database_url(name):
    db = settings.DATABASES["default"]
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{name}"


def run(*command, env=None, **kwargs):
    """A command of the procedure; its output is shown if it fails."""
    done = subprocess.run(  # noqa: S603 - fixed binaries and our own arguments
        command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=300, **kwargs
    )
    assert done.returncode == 0, f"{command[0]} failed: {done.stdout}\n{done.stderr}"
    return done.stdout


def get(port, path, accept="text/html"):
    request = urllib.request.Request(  # noqa: S310 - our own server on loopback
        f"http://127.0.0.1:{port}{path}", headers={"Accept": accept}
    )
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return response.status, response.read()


def answers(port):
    try:
        return get(port, "/health/")[0] == 200
    except OSError:
        return False


def test_a_dump_restored_into_a_new_database_is_served_as_the_original(client, settings, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    settings.MEDIA_ROOT = media
    session, _person, assertion = outage_fixtures()
    workshop_url = session.workshop.url
    original_image = (media / assertion.image.name).read_bytes()
    hosted = reverse("badges:assertion", kwargs={"uuid": assertion.uuid})
    image_url = reverse("badges:assertion_image", kwargs={"uuid": assertion.uuid})
    response = client.get(hosted, HTTP_ACCEPT="application/ld+json")
    assert response.status_code == 200
    original_document = response.json()

    # Backup (OPERATIONS.md, "Backups and restore").
    source = connection.settings_dict["NAME"]
    dump = tmp_path / "entrepairs.dump"
    with dump.open("wb") as out:
        subprocess.run(  # noqa: S603
            ["pg_dump", "--format=custom", "--no-owner", database_url(source)],
            stdout=out,
            check=True,
            timeout=300,
        )
    archive = tmp_path / "media.tgz"
    run("tar", "-C", str(media.parent), "-czf", str(archive), media.name)

    # Restore into a new database and a new media folder, then migrate (nothing to apply).
    restored = f"{source}_restored_{uuid4().hex[:8]}"
    db = settings.DATABASES["default"]
    server_options = ["-h", db["HOST"] or "127.0.0.1", "-p", str(db["PORT"] or 5432)]
    server_options += ["-U", db["USER"]]
    run("createdb", *server_options, restored)
    server = None
    try:
        run("pg_restore", "--no-owner", f"--dbname={database_url(restored)}", str(dump))
        target = tmp_path / "restored"
        target.mkdir()
        run("tar", "-C", str(target), "-xzf", str(archive))
        env = {
            **os.environ,
            "DJANGO_SETTINGS_MODULE": "cms.settings.test",
            "DATABASE_URL": database_url(restored),
            "ENTREPAIRS_TEST_MEDIA_ROOT": str(target / media.name),
            "CELERY_BROKER_URL": "",
        }
        env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        migrated = run(sys.executable, "manage.py", "migrate", "--no-input", env=env)
        assert "No migrations to apply." in migrated

        # The site, served by gunicorn from the restored copy alone.
        port = free_port()
        server = subprocess.Popen(  # noqa: S603 - our own interpreter and arguments
            [
                sys.executable,
                "-m",
                "gunicorn",
                "cms.wsgi",
                "--workers",
                "1",
                "--bind",
                f"127.0.0.1:{port}",
                "--log-level",
                "warning",
            ],
            cwd=ROOT,
            env=env,
        )
        wait_for(lambda: server.poll() is None and answers(port), "gunicorn on the restored copy")
        assert get(port, "/")[0] == 200
        status, page = get(port, workshop_url)
        assert status == 200
        assert "Atelier hors cache" in page.decode()
        status, document = get(port, hosted, accept="application/ld+json")
        assert status == 200
        assert json.loads(document) == original_document  # verifiers see no change
        status, image = get(port, image_url)
        assert (status, image) == (200, original_image)
    finally:
        if server is not None:
            server.terminate()
            server.wait(timeout=30)
        run("dropdb", *server_options, "--force", restored)
        shutil.rmtree(tmp_path / "restored", ignore_errors=True)
