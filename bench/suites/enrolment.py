"""Enrolment under contention, service times, documents, pages.

On a scratch database (a SQLite file; PostgreSQL with --postgres, both with --both) it runs
migrate, seed_demo and `seed_scale --workshops 1000`, then measures in child processes with the
development settings, DEBUG off, Celery eager (no broker) and the locmem email backend, so that
an enrolment call includes sending its email, convocation PDF and calendar invitation unless a
figure says "no delivery" (the task is then only recorded, as a broker would receive it):

1. contention: 100 teachers released together by a barrier, each thread on its own database
   connection, enrol into one 20-seat session; wall time, latency from the common start, and the
   outcome (20 confirmed, 80 waitlisted in order 1..80, one email owed per enrolment);
2. single calls, one at a time (median): enrol (seat), enrol (waiting list), cancel with
   promotion, record attendance that completes a workshop;
3. documents, each kind in a fresh process: convocation, attendance sheet for 30 people and
   certificate (WeasyPrint), and a 50-enrolment iCalendar feed: time and peak resident memory;
4. pages through Django's test client: "Mon parcours" for a teacher with 50 enrolments and 10
   completions, "Mes séances" for a coordinator with 500 sessions in scope, the feed's URL.
"""

import time

from bench.harness import databases, environment
from bench.harness.processes import django_child, manage, say

MEASURES = "bench.suites.enrolment_measures"
SCALE_WORKSHOPS = 1000  # background volume; the figures do not depend on it much
TEACHERS = 100  # the racers, and the people of every other measure
SEATS = 20
ATTENDANCE_SHEET_PEOPLE = 30
JOURNEY = {"past_present": 10, "past_absent": 10, "confirmed": 24, "waitlisted": 4, "pending": 2}
COORDINATOR_SESSIONS = 500
SPARE_CONNECTIONS = 5  # PostgreSQL connections left to everything else on the server
DOCUMENTS = ["convocation", "attendance_sheet", "certificate"]
QUICK = ["--samples", "3", "--race-rounds", "1", "--scale-workshops", "600"]
SETTINGS_LABEL = (
    "`cms.settings.dev` with `DJANGO_DEBUG=false`, no `CELERY_BROKER_URL` (tasks run eagerly, "
    "in the calling thread, after the commit) and "
    "`EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend`"
)
SOFTWARE = ["Django", "wagtail", "celery", "weasyprint", "pydyf", "fonttools", "icalendar"]


def add_arguments(parser):
    parser.add_argument(
        "--samples", type=int, default=10, help="Calls, renderings or requests per median."
    )
    parser.add_argument("--race-rounds", type=int, default=2, help="Races per delivery mode.")
    parser.add_argument(
        "--scale-workshops",
        dest="workshops",
        type=int,
        default=SCALE_WORKSHOPS,
        help=f"seed_scale --workshops (default {SCALE_WORKSHOPS}).",
    )


def run(options, workdir):
    if options.samples < 3 or options.samples > TEACHERS // 2 - 1:
        raise SystemExit(f"enrolment: --samples must be between 3 and {TEACHERS // 2 - 1}")
    return {
        "postgres_database": options.database_prefix + "_enrol",
        "scene": {
            "teachers": TEACHERS,
            "seats": SEATS,
            "journey": JOURNEY,
            "attendance_sheet_people": ATTENDANCE_SHEET_PEOPLE,
            "spare_connections": SPARE_CONNECTIONS,
        },
        "runs": [
            bench_backend(backend, options)
            for backend in databases.backends(options, workdir, suffix="_enrol")
        ],
    }


def bench_backend(backend, options):
    say(f"== Enrolment, {backend.label} ==")
    load_average = environment.load_average()
    log = backend.workdir / f"enrolment-{backend.name}.log"
    backend.create()
    try:
        env = backend.manage_env()  # development settings on both databases
        env["EMAIL_BACKEND"] = "django.core.mail.backends.locmem.EmailBackend"
        timings = {
            "migrate": manage(["migrate", "--noinput"], env, log),
            "seed_demo": manage(["seed_demo"], env, log),
            "seed_scale": manage(["seed_scale", "--workshops", str(options.workshops)], env, log),
        }
        say("setup: " + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in timings.items()))
        started = time.perf_counter()
        measured = django_child(env, f"{MEASURES}.measure", options.samples, options.race_rounds)
        documents = {}
        for kind in DOCUMENTS:
            pk = measured["document_ids"][kind]
            documents[kind] = django_child(env, f"{MEASURES}.document", kind, pk, options.samples)
            say(f"{kind}: {documents[kind]['median']:.0f} ms")
        timings["measures"] = time.perf_counter() - started
        version = backend.version()
    finally:
        if not options.keep:
            backend.drop()
    return {
        "backend": backend.label,
        "settings": SETTINGS_LABEL,
        "database": version,
        **environment.describe(),
        "load": load_average,
        "software": environment.versions(SOFTWARE),
        "timings": timings,
        "documents": documents,
        **measured,
    }
