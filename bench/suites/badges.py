"""Open Badges: a bulk award through a real Celery worker and the hosted assertion JSON under
gunicorn.

On a scratch PostgreSQL database it runs migrate, creates an issuer, a badge class with a PNG
image and 2,540 teachers (for the warm-up, the bulk award and the in-process calls), then:

1. starts a real `celery worker` (2 prefork processes, `-A bench.suites.badges_worker`: the
   project's app plus the benchmark's award task, one `award_badge` call) on Redis, with a queue
   of the run's own and the locmem email backend; sends it 20 warm-up awards (the first publishes
   the badge class version), 1,260 trivial tasks (the ceiling of broker and worker) and 1,260
   awards (one département's participations), and measures from the first enqueue to the last
   Assertion row (queue → assertion → baked image → email task queued), then to the last award
   email sent; then the same 1,260 teachers through the application's own bulk-award job
   (`validate_bulk_award_csv`, `start_bulk_award`, `badges.tasks.run_bulk_award`);
2. in-process, one at a time: `award_badge` (its email task published to Redis, never consumed),
   where its time goes (SQL, version check, baking, file, audit log, email task), and the bare
   `openbadges_bakery.bake()` into memory, in one process and in two at once;
3. serves the database with gunicorn (2 sync workers, production settings, DEBUG off) and
   measures the hosted assertion JSON (200 assertions in turn, as verifiers ask for them; then
   revalidations answered 304) next to a minimal Django JSON view behind the same middleware
   (`bench/suites/badges_wsgi.py`).

Targets: at least 300 awards per second end to end; the assertion JSON at ≥ 70 % of the minimal
view's request rate, p99 < 20 ms.
"""

import json
import os
import time
import uuid

from bench.harness import databases, environment, load
from bench.harness.processes import (
    CeleryWorker,
    Gunicorn,
    child_result,
    django_child,
    http_get,
    manage,
    say,
    start_django_child,
)

MEASURES = "bench.suites.badges_measures"
AWARDS = 1260  # one département's participations in the source material
WARMUP_AWARDS = 20
WORKER_CONCURRENCY = 2
TARGETS = {
    "awards": 300,  # awards per second, end to end
    "ratio": 0.7,  # the assertion JSON serves ≥ 70 % of the minimal JSON view's request rate
    "p99_ms": 20,
}
SAMPLE_ASSERTIONS = 200  # the hosted URLs asked for in turn
ACCEPT = "application/ld+json"
PROBE = "/bench/json/"
ROWS = ["probe", "assertion", "revalidate"]  # the URLs measured under gunicorn
SESSION_STATES = ["lock", "wal", "active", "in_transaction", "idle"]  # pg_stat_activity, sampled
QUICK = [
    *("--awards", "60", "--inprocess", "20", "--instrumented", "10", "--bakes", "500"),
    *("--duration", "2", "--rounds", "1", "--warmup", "1"),
]
SOFTWARE = [
    "Django",
    "wagtail",
    "celery",
    "kombu",
    "redis",
    "openbadges-bakery",
    "pypng",
    "gunicorn",
    "psycopg",
]


def add_arguments(parser):
    parser.add_argument("--awards", type=int, default=AWARDS, help=f"Default {AWARDS}.")
    parser.add_argument("--inprocess", type=int, default=200, help="award_badge calls timed.")
    parser.add_argument("--instrumented", type=int, default=50, help="award_badge calls profiled.")
    parser.add_argument("--bakes", type=int, default=20_000, help="bake() calls per process.")
    load.add_arguments(parser, duration=8, warmup=2, unit="row")


def worker_env(backend, queue):
    """Development settings with DEBUG off (production's MAILERS would pass SMTP options to the
    locmem backend), a real broker and the run's own queue."""
    env = backend.manage_env()
    env.update(
        CELERY_BROKER_URL=databases.BROKER_URL,
        BENCH_BADGES_QUEUE=queue,
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
    )
    return env


def run(options, workdir):
    """PostgreSQL only (--postgres and --both change nothing here)."""
    say("== Open Badges, PostgreSQL ==")
    load_average = environment.load_average()
    backend = databases.Postgres(workdir, options.database_prefix + "_badges")
    queue = f"bench-badges-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    log = workdir / "badges.log"
    env = worker_env(backend, queue)
    backend.create()
    try:
        migrate = manage(["migrate", "--noinput"], env, log)
        started = time.perf_counter()
        setup = django_child(env, f"{MEASURES}.setup", WARMUP_AWARDS + 2 * options.awards)
        say(f"setup: migrate {migrate:.0f} s, data {time.perf_counter() - started:.0f} s")
        figures = through_worker(env, setup["badge_class"], options, workdir)
        figures["inprocess"] = django_child(
            env,
            f"{MEASURES}.inprocess",
            setup["badge_class"],
            WARMUP_AWARDS + options.awards,
            options.inprocess,
            options.instrumented,
            queue,
        )
        databases.forget_queue(queue)
        figures["bakes"] = bakes(env, options)
        figures["http"] = measure_http(backend, queue, options, workdir, log)
        version = backend.version()
    finally:
        databases.forget_queue(queue)
        if not options.keep:
            backend.drop()
    for ms, sql in figures["inprocess"]["one_award_sql"]:
        say(f"  SQL of one award: {ms:6.2f} ms  {sql[:150]}")
    return {
        "database": version,
        "postgres_database": backend.database,
        "broker": databases.BROKER_URL,
        "redis": databases.redis_version(),
        **environment.describe(),
        "load": load_average,
        "software": environment.versions(SOFTWARE),
        "client": load.client_label(options.client, options.concurrency),
        "targets": TARGETS,
        "warmup_awards": WARMUP_AWARDS,
        "worker_concurrency": WORKER_CONCURRENCY,
        "sample_assertions": SAMPLE_ASSERTIONS,
        "accept": ACCEPT,
        "probe": PROBE,
        "timings": {"migrate": migrate},
        "setup": setup,
        **figures,
    }


def through_worker(env, badge_class, options, workdir):
    """Warm-up, trivial tasks, one award per task, then the application's bulk-award job."""
    worker = CeleryWorker(
        env,
        workdir / "worker.log",
        app="bench.suites.badges_worker",
        concurrency=WORKER_CONCURRENCY,
        name="bench-badges",
    )
    bulk = f"{MEASURES}.bulk"
    try:
        warmup = django_child(env, bulk, "award", badge_class, 0, WARMUP_AWARDS, worker.pid)
        say(f"worker ready, {WARMUP_AWARDS} warm-up awards in {warmup['wall_s']:.1f} s")
        noop = django_child(env, bulk, "noop", badge_class, 0, options.awards, worker.pid)
        say(f"trivial tasks: {options.awards / noop['wall_s']:.0f}/s")
        awards = django_child(
            env, bulk, "award", badge_class, WARMUP_AWARDS, options.awards, worker.pid
        )
        say(
            f"awards: {options.awards / awards['wall_s']:.0f}/s "
            f"(emails sent after {awards['mailed_s']:.1f} s)"
        )
        job = django_child(
            env, f"{MEASURES}.job", badge_class, WARMUP_AWARDS, options.awards, worker.pid
        )
        say(
            f"bulk-award job: {options.awards / job['wall_s']:.0f}/s "
            f"(emails sent after {job['mailed_s']:.1f} s)"
        )
    except BaseException:
        worker.stop()
        say((workdir / "worker.log").read_text(encoding="utf-8")[-3000:])
        raise
    worker.stop()
    return {"warmup": warmup, "noop": noop, "bulk": awards, "job": job}


def bakes(env, options):
    """The bare bakery in one process, then in as many at once as the worker has."""
    found = {}
    for processes in (1, WORKER_CONCURRENCY):
        start_at = time.time() + 2.5  # every child has imported Django by then
        children = [
            start_django_child(env, f"{MEASURES}.bake_alone", options.bakes, start_at)
            for _ in range(processes)
        ]
        results = [child_result(child) for child in children]
        found[str(processes)] = {
            "rate": sum(r["samples"] for r in results) / max(r["seconds"] for r in results),
            **results[0],
        }
        say(f"bake, {processes} process(es): {found[str(processes)]['rate']:.0f}/s")
    return found


def measure_http(backend, queue, options, workdir, log):
    uuids = [
        row[0]
        for row in backend.query(
            "SELECT uuid FROM badges_assertion ORDER BY id LIMIT %s", (SAMPLE_ASSERTIONS,)
        )
    ]
    env = backend.server_env()
    env.update(CELERY_BROKER_URL=databases.BROKER_URL, BENCH_BADGES_QUEUE=queue)
    server = Gunicorn(env, options.workers, log, app="bench.suites.badges_wsgi")
    try:
        server.wait_ready(PROBE)
        requests = {"probe": [(PROBE, {})], "assertion": [], "revalidate": []}
        for value in uuids:
            path = f"/badges/assertions/{value}"
            status, headers, body = http_get(server.port, path, {"Accept": ACCEPT})
            document = json.loads(body)
            if status != 200 or document.get("type") != "Assertion":
                raise SystemExit(f"{path} answered {status}: {body[:200]!r}")
            requests["assertion"].append((path, {"Accept": ACCEPT}))
            requests["revalidate"].append(
                (path, {"Accept": ACCEPT, "If-None-Match": headers["ETag"]})
            )
        path, headers = requests["revalidate"][0]
        status = http_get(server.port, path, headers)[0]
        if status != 304:
            raise SystemExit(f"a revalidation of {path} answered {status}, not 304")

        def one_run(name, seconds):
            return load.run(
                options.client, server.port, requests[name], seconds, options.concurrency, workdir
            )

        runs = {name: [] for name in ROWS}
        for name in ROWS:
            one_run(name, options.warmup)
            server.wait_idle()
        for _round in range(options.rounds):
            for name in ROWS:  # rows alternate so that a noisy neighbour hits them all alike
                runs[name].append(one_run(name, options.duration))
                server.wait_idle()
        return {name: load.combine(found) for name, found in runs.items()}
    finally:
        server.stop()
