"""The indicator dashboards (issue 7) at national scale.

On its own PostgreSQL database (`entrepairs_bench_indicators`, kept for `--reuse`) it runs migrate
and `seed_indicators` (issue 7's volumes by default: 300,000 teachers, 3,000 schools, 20,000
workshops, 2,000,000 attendances, 500,000 assertions, 300,000 PIX; `--scale` divides them), then,
in-process through Django's test client with DEBUG off (server time: middleware, view, queries,
template; no network), times `/indicateurs/` and each export for an académie's reader and for a
platform admin (the whole country), next to hand-written SQL computing the same aggregates on the
same connection. Targets: p95 < 300 ms per page for an académie, < 1 s for the country, within
2× of the hand-written SQL.
"""

from bench.harness import databases, environment
from bench.harness.processes import django_child, manage, say

MEASURES = "bench.suites.indicators_measures"
TARGETS = {"académie": 300, "country": 1000, "hand_sql_ratio": 2}
QUICK = ["--scale", "0.002", "--repeat", "3"]


def add_arguments(parser):
    parser.add_argument("--scale", type=float, default=1.0, help="seed_indicators --scale.")
    parser.add_argument("--repeat", type=int, default=15, help="Requests per page figure.")
    parser.add_argument("--reuse", action="store_true", help="Keep an already seeded database.")


def run(options, workdir):
    """PostgreSQL only (--postgres and --both change nothing here); the database is kept."""
    say("== Indicators, PostgreSQL ==")
    backend = databases.Postgres(workdir, options.database_prefix + "_indicators")
    env = backend.manage_env()
    log = workdir / "indicators.log"
    seed_seconds = 0
    if not options.reuse:
        backend.create()
    manage(["migrate", "--noinput"], env, log)
    if not options.reuse:
        say(f"seed_indicators --scale {options.scale:g} …")
        seed_seconds = manage(["seed_indicators", "--scale", str(options.scale)], env, log)
    measured = django_child(env, f"{MEASURES}.measure", options.repeat)
    return {
        "date": environment.now(utc=True),
        "machine": environment.machine(),
        "load": environment.load_average(),
        "postgres_database": backend.database,
        "seed_seconds": seed_seconds,
        "targets": TARGETS,
        **measured,
    }
