"""Scratch databases (a SQLite file, or a PostgreSQL database the run creates and drops), the
settings each process runs with on them, and the Redis broker of the suites that need one."""

import contextlib
import os
import secrets
import sqlite3

POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
DEFAULT_PREFIX = "entrepairs_bench"  # every scratch database's name starts with it
# The integration suite uses Redis databases 14 and 15: the benchmarks stay off them.
BROKER_URL = "redis://127.0.0.1:6379/13"


def add_arguments(parser):
    """The database options `python -m bench` gives every suite."""
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite.")
    where.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL.")
    parser.add_argument(
        "--database-prefix",
        default=DEFAULT_PREFIX,
        help=f"Name (prefix) of the scratch PostgreSQL databases (default {DEFAULT_PREFIX}).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the scratch databases.")


def backends(options, workdir, suffix=""):
    """The scratch databases a run asked for (--postgres, --both; SQLite by default)."""
    postgres = Postgres(workdir, options.database_prefix + suffix)
    if options.both:
        return [SQLite(workdir), postgres]
    return [postgres if options.postgres else SQLite(workdir)]


class Scratch:
    """A scratch database and the settings the processes run with on it."""

    def __init__(self, name, workdir):
        self.name = name
        self.workdir = workdir

    def base_env(self):
        env = {
            key: value
            for key, value in os.environ.items()
            # Nothing from the caller's environment may point the bench at a real service.
            if key
            not in {"DATABASE_URL", "CELERY_BROKER_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE"}
        }
        env.update(
            DJANGO_DEBUG="false",
            MEDIA_ROOT=str(self.workdir / "media"),
            LOG_LEVEL="WARNING",
            PYTHONUNBUFFERED="1",
            # Production settings require an https origin on an allowed host, and every process
            # (the seeds with dev settings, gunicorn) must issue and serve badges on the same one.
            SITE_URL="https://127.0.0.1",
        )
        return env


class SQLite(Scratch):
    label = "SQLite"
    # Production settings refuse SQLite on purpose: dev settings with DEBUG forced off.
    settings_label = "`cms.settings.dev` with `DJANGO_DEBUG=false` (DEBUG off)"

    def __init__(self, workdir):
        super().__init__("sqlite", workdir)
        self.path = workdir / "bench.sqlite3"

    def create(self):
        pass

    def drop(self):
        pass

    def version(self):
        return f"SQLite {sqlite3.sqlite_version}"

    def env(self):
        env = self.base_env()
        env.update(DATABASE_URL=f"sqlite:///{self.path}", DJANGO_SETTINGS_MODULE="cms.settings.dev")
        return env

    manage_env = server_env = env


class Postgres(Scratch):
    label = "PostgreSQL"
    settings_label = (
        "`cms.settings.production` (DEBUG off; `SECURE_SSL_REDIRECT=false` for plain HTTP, "
        "a throwaway secret key, an unused broker URL)"
    )

    def __init__(self, workdir, database):
        super().__init__("postgres", workdir)
        self.database = database
        self.url = f"{POSTGRES_SERVER}/{database}"
        self.secret = secrets.token_urlsafe(50)

    def _admin(self, sql):
        import psycopg  # the project's driver, from the virtualenv

        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchone() if cursor.description else None

    def create(self):
        self.drop()
        self._admin(f'CREATE DATABASE "{self.database}"')

    def drop(self):
        self._admin(f'DROP DATABASE IF EXISTS "{self.database}" WITH (FORCE)')

    def version(self):
        return "PostgreSQL " + self._admin("SHOW server_version")[0]

    def query(self, sql, params=()):
        import psycopg

        with psycopg.connect(self.url) as connection:
            return connection.execute(sql, params).fetchall()

    def manage_env(self):
        # seed_demo and seed_scale refuse production settings: they run with dev settings.
        env = self.base_env()
        env.update(DATABASE_URL=self.url, DJANGO_SETTINGS_MODULE="cms.settings.dev")
        return env

    def server_env(self):
        env = self.base_env()
        env.update(
            DATABASE_URL=self.url,
            DJANGO_SETTINGS_MODULE="cms.settings.production",
            DJANGO_SECRET_KEY=self.secret,
            ALLOWED_HOSTS="127.0.0.1,localhost",
            CELERY_BROKER_URL=BROKER_URL,  # required by the settings, never used by a page view
            SECURE_SSL_REDIRECT="false",
        )
        return env


def redis_client():
    import redis

    return redis.Redis.from_url(BROKER_URL)


def redis_version():
    with contextlib.suppress(Exception):  # a label only: a run without Redis fails loudly
        return "Redis " + redis_client().info("server")["redis_version"]
    return "Redis"


def forget_queue(queue):
    """Remove a run's queue (kombu's priority lists too) and its counters from the broker."""
    client = redis_client()
    keys = [
        found
        for pattern in (f"{queue}*", f"bench:{queue}:*", f"_kombu.binding*.{queue}")
        for found in client.scan_iter(match=pattern)
    ]
    if keys:
        client.delete(*keys)
