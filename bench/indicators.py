# ruff: noqa: E501, S608 — hand-written SQL from fixed fragments (values are bound parameters)
"""`make bench`, fourth part: the indicator dashboards (issue 7) at national scale.

On its own PostgreSQL database (`entrepairs_bench_indicators`) it runs migrate and
`seed_indicators` (issue 7's volumes by default: 300,000 teachers, 3,000 schools, 20,000
workshops, 2,000,000 attendances, 500,000 assertions, 300,000 PIX; `--scale` divides them),
then, in-process through Django's test client with DEBUG off (server time: middleware, view,
queries, template; no network), times `/indicateurs/` and each export for an académie's reader
and for a platform admin (the whole country), next to hand-written SQL computing the same
aggregates on the same connection. The figures go to BENCHMARKS.md under the
`<!-- indicators -->` marker (that section only). Targets: p95 < 300 ms per page for an
académie, < 1 s for the country, within 2× of the hand-written SQL.

    .venv/bin/python bench/indicators.py [--scale 0.1] [--reuse] [--repeat 15]
"""

import argparse
import os
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

from run import INDICATORS_MARKER, OUTPUT, POSTGRES_SERVER, ROOT, machine, replace_section, say

DB = "entrepairs_bench_indicators"
URL = f"{POSTGRES_SERVER}/{DB}"
TARGETS = {"académie": 300, "country": 1000}


def admin_sql(sql):
    import psycopg

    with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
        connection.execute(sql)


def manage(*args, env):
    started = time.monotonic()
    subprocess.run(  # noqa: S603 — our own manage.py with fixed arguments
        [sys.executable, str(ROOT / "manage.py"), *args], env=env, check=True, cwd=ROOT
    )
    return time.monotonic() - started


def percentiles(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(function, repeat, before=None):
    function()  # warm-up: connection, caches, planner
    samples = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        function()
        samples.append(1000 * (time.perf_counter() - started))
    return percentiles(samples)


# --- Hand-written SQL of the same aggregates ----------------------------------------------------
# The same figures as badges/indicators/queries.py, written directly: territory as a join on the
# académie's establishments (or none for the country), current and previous period in one pass.


def hand_sql(academie_id, cur, prev):
    from badges.constants import CRCN_CODES, level_field

    scope_est = (
        "e.id IN (SELECT e2.id FROM cotraining_establishment e2 JOIN cotraining_departement d2 "
        "ON d2.id = e2.departement_id WHERE d2.academie_id = %(a)s)"
    )
    person = (
        f"AND u.establishment_id IN (SELECT e.id FROM cotraining_establishment e WHERE {scope_est})"
        if academie_id
        else ""
    )  # noqa: E501
    held = (
        f"AND (s.establishment_id IN (SELECT e.id FROM cotraining_establishment e WHERE {scope_est}) "  # noqa: E501
        "OR (s.establishment_id IS NULL AND w.academie_id = %(a)s))"
        if academie_id
        else ""
    )
    both_dt = (
        "((s.start >= %(cs)s AND s.start < %(ce)s) OR (s.start >= %(ps)s AND s.start < %(pe)s))"  # noqa: E501
    )
    c_dt = "s.start >= %(cs)s AND s.start < %(ce)s"
    p_dt = "s.start >= %(ps)s AND s.start < %(pe)s"
    levels = ", ".join(
        f"count(*) FILTER (WHERE p.taken_on >= %(cd)s AND p.taken_on < %(ced)s AND p.{level_field(c)} = {n})"  # noqa: E501
        for c in CRCN_CODES
        for n in range(9)
    )
    statements = [
        # 1. training actions by plan, + capacity by modality, + monthly
        f"""SELECT w.training_plan, count(*) FILTER (WHERE {c_dt}), count(DISTINCT s.workshop_id) FILTER (WHERE {c_dt}),
                   count(*) FILTER (WHERE {p_dt}), count(DISTINCT s.workshop_id) FILTER (WHERE {p_dt})
            FROM cotraining_session s JOIN cotraining_workshoppage w ON w.page_ptr_id = s.workshop_id
            WHERE s.status <> 'cancelled' AND {both_dt} {held} GROUP BY ROLLUP (w.training_plan)""",
        f"""SELECT s.modality, sum(s.capacity) FILTER (WHERE {c_dt}), sum(s.capacity) FILTER (WHERE {p_dt})
            FROM cotraining_session s JOIN cotraining_workshoppage w ON w.page_ptr_id = s.workshop_id
            WHERE s.status <> 'cancelled' AND {both_dt} {held} GROUP BY s.modality""",
        f"""SELECT date_trunc('month', s.start AT TIME ZONE 'Europe/Paris'), count(*) FILTER (WHERE {c_dt}), count(*) FILTER (WHERE {p_dt})
            FROM cotraining_session s JOIN cotraining_workshoppage w ON w.page_ptr_id = s.workshop_id
            WHERE s.status <> 'cancelled' AND {both_dt} {held} GROUP BY 1""",
        # 5. participation by modality, monthly attendances
        f"""SELECT s.modality,
                   count(*) FILTER (WHERE {c_dt} AND en.status = 'confirmed'),
                   count(*) FILTER (WHERE {c_dt} AND en.status = 'confirmed' AND en.attendance IN ('present', 'partial')),
                   count(*) FILTER (WHERE {c_dt} AND en.status = 'confirmed' AND en.attendance = 'absent'),
                   count(*) FILTER (WHERE {c_dt} AND en.status = 'waitlisted' AND s.start < now()),
                   count(DISTINCT en.user_id) FILTER (WHERE {c_dt} AND en.status = 'confirmed' AND en.attendance IN ('present', 'partial')),
                   count(*) FILTER (WHERE {p_dt} AND en.status = 'confirmed' AND en.attendance IN ('present', 'partial'))
            FROM cotraining_enrollment en JOIN cotraining_session s ON s.id = en.session_id
            JOIN cotraining_workshoppage w ON w.page_ptr_id = s.workshop_id
            WHERE s.status <> 'cancelled' AND {both_dt} {held} GROUP BY s.modality""",
        f"""SELECT date_trunc('month', s.start AT TIME ZONE 'Europe/Paris'),
                   count(*) FILTER (WHERE {c_dt}), count(*) FILTER (WHERE {p_dt})
            FROM cotraining_enrollment en JOIN cotraining_session s ON s.id = en.session_id
            JOIN cotraining_workshoppage w ON w.page_ptr_id = s.workshop_id
            WHERE s.status <> 'cancelled' AND en.status = 'confirmed' AND en.attendance IN ('present', 'partial')
              AND {both_dt} {held} GROUP BY 1""",
        # 2. PIX totals, medians and levels; Pix+ Édu; monthly
        f"""SELECT count(*) FILTER (WHERE p.taken_on >= %(cd)s AND p.taken_on < %(ced)s AND p.status = 'verified'),
                   count(*) FILTER (WHERE p.taken_on >= %(cd)s AND p.taken_on < %(ced)s AND p.status = 'declared'),
                   avg(p.score) FILTER (WHERE p.taken_on >= %(cd)s AND p.taken_on < %(ced)s),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY p.score) FILTER (WHERE p.taken_on >= %(cd)s AND p.taken_on < %(ced)s),
                   count(*) FILTER (WHERE p.taken_on >= %(pd)s AND p.taken_on < %(ped)s),
                   percentile_cont(0.5) WITHIN GROUP (ORDER BY p.score) FILTER (WHERE p.taken_on >= %(pd)s AND p.taken_on < %(ped)s),
                   {levels}
            FROM badges_pixcertification p JOIN cotraining_user u ON u.id = p.user_id
            WHERE p.status <> 'rejected' AND ((p.taken_on >= %(cd)s AND p.taken_on < %(ced)s) OR (p.taken_on >= %(pd)s AND p.taken_on < %(ped)s)) {person}""",
        f"""SELECT r.scope, r.level, count(*) FILTER (WHERE p.taken_on >= %(cd)s), count(*) FILTER (WHERE p.taken_on < %(ped)s)
            FROM badges_pixpluseduresult r JOIN badges_pixcertification p ON p.id = r.certification_id
            JOIN cotraining_user u ON u.id = p.user_id
            WHERE p.status <> 'rejected' AND ((p.taken_on >= %(cd)s AND p.taken_on < %(ced)s) OR (p.taken_on >= %(pd)s AND p.taken_on < %(ped)s)) {person}
            GROUP BY 1, 2""",
        f"""SELECT date_trunc('month', p.taken_on), count(*) FILTER (WHERE p.taken_on >= %(cd)s), count(*) FILTER (WHERE p.taken_on < %(ped)s)
            FROM badges_pixcertification p JOIN cotraining_user u ON u.id = p.user_id
            WHERE p.status <> 'rejected' AND ((p.taken_on >= %(cd)s AND p.taken_on < %(ced)s) OR (p.taken_on >= %(pd)s AND p.taken_on < %(ped)s)) {person}
            GROUP BY 1""",
        # 3. badges: totals, by class, by issuer, monthly
        f"""SELECT count(*) FILTER (WHERE a.issued_on >= %(cs)s), count(DISTINCT a.recipient_email) FILTER (WHERE a.issued_on >= %(cs)s),
                   count(DISTINCT a.recipient_email) FILTER (WHERE a.issued_on >= %(cs)s AND b.kind = 'trainer'),
                   count(*) FILTER (WHERE a.issued_on < %(pe)s)
            FROM badges_assertion a JOIN badges_badgeclass b ON b.id = a.badge_class_id LEFT JOIN cotraining_user u ON u.id = a.recipient_id
            WHERE NOT a.revoked AND ((a.issued_on >= %(cs)s AND a.issued_on < %(ce)s) OR (a.issued_on >= %(ps)s AND a.issued_on < %(pe)s)) {person}""",
        f"""SELECT b.id, b.name, i.name, count(*) FILTER (WHERE a.issued_on >= %(cs)s), count(*) FILTER (WHERE a.issued_on < %(pe)s),
                   count(DISTINCT a.recipient_email) FILTER (WHERE a.issued_on >= %(cs)s)
            FROM badges_assertion a JOIN badges_badgeclass b ON b.id = a.badge_class_id JOIN badges_issuer i ON i.id = b.issuer_id
            LEFT JOIN cotraining_user u ON u.id = a.recipient_id
            WHERE NOT a.revoked AND ((a.issued_on >= %(cs)s AND a.issued_on < %(ce)s) OR (a.issued_on >= %(ps)s AND a.issued_on < %(pe)s)) {person}
            GROUP BY b.id, b.name, i.name""",
        f"""SELECT i.id, i.name, count(*) FILTER (WHERE a.issued_on >= %(cs)s), count(*) FILTER (WHERE a.issued_on < %(pe)s),
                   count(DISTINCT a.recipient_email) FILTER (WHERE a.issued_on >= %(cs)s)
            FROM badges_assertion a JOIN badges_badgeclass b ON b.id = a.badge_class_id JOIN badges_issuer i ON i.id = b.issuer_id
            LEFT JOIN cotraining_user u ON u.id = a.recipient_id
            WHERE NOT a.revoked AND ((a.issued_on >= %(cs)s AND a.issued_on < %(ce)s) OR (a.issued_on >= %(ps)s AND a.issued_on < %(pe)s)) {person}
            GROUP BY i.id, i.name""",
        f"""SELECT date_trunc('month', a.issued_on AT TIME ZONE 'Europe/Paris'), count(*) FILTER (WHERE a.issued_on >= %(cs)s), count(*) FILTER (WHERE a.issued_on < %(pe)s)
            FROM badges_assertion a LEFT JOIN cotraining_user u ON u.id = a.recipient_id
            WHERE NOT a.revoked AND ((a.issued_on >= %(cs)s AND a.issued_on < %(ce)s) OR (a.issued_on >= %(ps)s AND a.issued_on < %(pe)s)) {person}
            GROUP BY 1""",
        # 4. hours per teacher (both periods in one pass), teachers registered, monthly
        f"""WITH t AS (SELECT en.user_id, ({c_dt}) AS cur, sum(en.hours_attended) AS h
                  FROM cotraining_enrollment en JOIN cotraining_session s ON s.id = en.session_id
                  JOIN cotraining_user u ON u.id = en.user_id
                  WHERE s.status <> 'cancelled' AND en.status = 'confirmed' AND en.attendance IN ('present', 'partial')
                    AND {both_dt} {person} GROUP BY 1, 2)
            SELECT cur, count(*), sum(h), avg(h), percentile_cont(0.5) WITHIN GROUP (ORDER BY h),
                   count(*) FILTER (WHERE h >= 18), count(*) FILTER (WHERE h < 3), count(*) FILTER (WHERE h >= 3 AND h < 6),
                   count(*) FILTER (WHERE h >= 6 AND h < 12), count(*) FILTER (WHERE h >= 12 AND h < 18),
                   count(*) FILTER (WHERE h >= 18 AND h < 36), count(*) FILTER (WHERE h >= 36)
            FROM t GROUP BY cur""",
        f"""SELECT count(*) FROM cotraining_user u WHERE EXISTS (SELECT 1 FROM cotraining_roleassignment r
              WHERE r.user_id = u.id AND r.role = 'teacher') {person}""",
        f"""SELECT date_trunc('month', s.start AT TIME ZONE 'Europe/Paris'), sum(en.hours_attended) FILTER (WHERE {c_dt}),
                   count(DISTINCT en.user_id) FILTER (WHERE {c_dt}), sum(en.hours_attended) FILTER (WHERE {p_dt}),
                   count(DISTINCT en.user_id) FILTER (WHERE {p_dt})
            FROM cotraining_enrollment en JOIN cotraining_session s ON s.id = en.session_id
            JOIN cotraining_user u ON u.id = en.user_id
            WHERE s.status <> 'cancelled' AND en.status = 'confirmed' AND en.attendance IN ('present', 'partial')
              AND {both_dt} {person} GROUP BY 1""",
    ]
    params = {
        "a": academie_id, "cs": cur[0], "ce": cur[1], "ps": prev[0], "pe": prev[1],
        "cd": cur[0].date(), "ced": cur[1].date(), "pd": prev[0].date(), "ped": prev[1].date(),
    }  # fmt: skip
    return statements, params


def measure(options):
    os.environ.update(DATABASE_URL=URL, DJANGO_SETTINGS_MODULE="cms.settings.dev")
    os.environ["DJANGO_DEBUG"] = "false"
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cotraining.constants import Role
    from cotraining.models import Academie, Enrollment, RoleAssignment, User
    from indicators.filters import IndicatorFilterSet
    from indicators.models import IndicatorSnapshot
    from indicators.report import build_report
    from indicators.scope import Scope
    from indicators.snapshots import refresh_snapshots

    # The académie with the most schools: a large one.
    academie = (
        Academie.objects.filter(departements__establishments__isnull=False)
        .annotate(n=django.db.models.Count("departements__establishments"))
        .order_by("-n")
        .first()
    )
    reader, _ = User.objects.get_or_create(email="lecteur-bench@indicateurs.entrepairs.test")
    RoleAssignment.objects.get_or_create(user=reader, role=Role.INDICATOR_READER, academie=academie)
    admin, _ = User.objects.get_or_create(
        email="admin-bench@indicateurs.entrepairs.test", defaults={"is_superuser": True}
    )
    report = build_report(IndicatorFilterSet(None, scope=Scope(everything=True)).criteria())
    slugs = [table.slug for table in report.tables]
    cur = report.period.aware()
    prev = report.previous.aware()
    results = []
    for label, user, academie_id in (
        (f"académie ({academie.name})", reader, academie.pk),
        ("country", admin, None),
    ):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)

        def forget(user=user):
            IndicatorSnapshot.objects.all().delete()

        def count_queries(client=client):
            with CaptureQueriesContext(connection) as queries:
                client.get("/indicateurs/")
            return len(queries.captured_queries)

        forget()
        live_queries = count_queries()
        served_queries = count_queries()
        few = max(3, options.repeat // 3)
        rows = [
            (
                "page `/indicateurs/`, from its snapshot",
                *timed(lambda c=client: c.get("/indicateurs/"), options.repeat),
                served_queries,
            ),
            (
                "XLSX export, every table, from the snapshot",
                *timed(lambda c=client: c.get("/indicateurs/export.xlsx"), options.repeat),
                None,
            ),
        ]
        for slug in slugs:
            rows.append(
                (
                    f"CSV `{slug}`, from the snapshot",
                    *timed(lambda c=client, s=slug: c.get(f"/indicateurs/export/{s}.csv"), few),
                    None,
                )
            )
        rows.append(
            (
                "page `/indicateurs/`, computed live (no snapshot)",
                *timed(lambda c=client: c.get("/indicateurs/"), few, before=forget),
                live_queries,
            )
        )
        rows.append(
            (
                "XLSX export, computed live (no snapshot)",
                *timed(lambda c=client: c.get("/indicateurs/export.xlsx"), few, before=forget),
                None,
            )
        )
        statements, params = hand_sql(academie_id, cur, prev)

        def run_sql(statements=statements, params=params):
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()

        sql = timed(run_sql, few)
        results.append((label, rows, sql, len(statements)))
    # The beat task's pass on an empty snapshot table: the country and every académie.
    IndicatorSnapshot.objects.all().delete()
    started = time.perf_counter()
    warm = (refresh_snapshots(limit=1000), time.perf_counter() - started)
    counts = {
        "teachers": User.objects.filter(email__startswith="enseignant-").count(),
        "enrolments": Enrollment.objects.count(),
    }
    return results, counts, warm


def section(results, counts, warm, options, seed_seconds):
    now = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        INDICATORS_MARKER,
        "## Indicators (issue 7)",
        "",
        "Written by `bench/indicators.py` (`make bench` runs it last; this section only). "
        f"Reproduce with `.venv/bin/python bench/indicators.py --scale {options.scale:g}"
        + (" --reuse" if options.reuse else "")
        + f"` (or `make bench`): PostgreSQL database `{DB}` (kept for `--reuse`), `seed_indicators --scale "
        f"{options.scale:g}`, then in-process timings through Django's test client with DEBUG "
        "off (server time: middleware, view, SQL, template; no network), p50 and p95 over "
        f"{options.repeat} requests after one warm-up (CSV: {max(5, options.repeat // 3)}). "
        "*Hand SQL* is the same aggregates written by hand and run on the same connection. "
        "The page reads its dashboard's snapshot (`IndicatorSnapshot`, one row per reader "
        "territory and filters) when there is one, refreshed by the beat task every 10 minutes "
        "and on demand; *computed live* is the first request for a dashboard without one.",
        "",
        f"- {now}; {machine()}.",
        f"- Data: scale {options.scale:g} of issue 7's volumes: {counts['teachers']:,} teachers, "
        f"{counts['enrolments']:,} enrolments"
        + (f"; seeding took {seed_seconds:.0f} s." if seed_seconds else " (reused)."),
        "- Targets: p95 < 300 ms for an académie, < 1 s for the country, ≤ 2× hand SQL.",
        "",
    ]
    for label, rows, sql, n_sql in results:
        target = TARGETS["country" if label == "country" else "académie"]
        lines += [
            f"### {label}",
            "",
            "| what | p50 ms | p95 ms | SQL queries |",
            "|---|---:|---:|---:|",
        ]
        for name, p50, p95, queries in rows:
            lines.append(f"| {name} | {p50:.0f} | {p95:.0f} | {queries if queries else ''} |")
        lines.append(
            f"| hand SQL, same aggregates ({n_sql} statements) | {sql[0]:.0f} | {sql[1]:.0f} | {n_sql} |"
        )
        page, live = (
            rows[0],
            next(row for row in rows if row[0].startswith("page `/indicateurs/`, computed live")),
        )
        lines += [
            "",
            f"Page from its snapshot: p95 {page[2]:.0f} ms against a target of {target} ms "
            f"({'met' if page[2] < target else 'missed'}). Computed live (a dashboard without a "
            f"snapshot: new filters, or none computed in the last 24 h): p95 {live[2]:.0f} ms; "
            f"live p50 / hand SQL p50 = {live[1] / sql[0]:.2f}× "
            f"({'within' if live[1] <= 2 * sql[0] else 'over'} 2×).",
            "",
        ]
    lines.append(
        f"The beat task's pass on an empty snapshot table (the country and every académie, "
        f"default filters) computed {warm[0]} snapshots in {warm[1]:.0f} s."
    )
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reuse", action="store_true", help="Keep an already seeded database.")
    options, _unknown = parser.parse_known_args()  # make bench passes bench/run.py's options too
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(DATABASE_URL=URL, DJANGO_SETTINGS_MODULE="cms.settings.dev", DJANGO_DEBUG="false")
    seed_seconds = 0
    if options.reuse:
        manage("migrate", "-v0", env=env)
    else:
        admin_sql(f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
        admin_sql(f'CREATE DATABASE "{DB}"')
        manage("migrate", "-v0", env=env)
        say(f"seed_indicators --scale {options.scale:g} …")
        seed_seconds = manage("seed_indicators", "--scale", str(options.scale), env=env)
    results, counts, warm = measure(options)
    text = section(results, counts, warm, options, seed_seconds)
    say(text)
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    OUTPUT.write_text(replace_section(current, INDICATORS_MARKER, text) + "\n", encoding="utf-8")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
