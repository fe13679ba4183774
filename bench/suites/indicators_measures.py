# ruff: noqa: E501, S608 — hand-written SQL from fixed fragments (values are bound parameters)
"""Inside Django (`processes.django_child`): the indicator dashboards' timings, next to the same
aggregates written by hand in SQL. The application's code this suite needs is imported here,
and only here (the block below)."""

import statistics
import time

from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext

from badges.constants import CRCN_CODES, level_field
from cotraining.constants import Role
from cotraining.models import Academie, Enrollment, RoleAssignment, User
from indicators.filters import IndicatorFilterSet
from indicators.models import IndicatorSnapshot
from indicators.report import build_report
from indicators.scope import Scope
from indicators.snapshots import refresh_snapshots

PAGE = "page `/indicateurs/`, from its snapshot"
LIVE = "page `/indicateurs/`, computed live (no snapshot)"


def percentiles(samples):
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return statistics.median(ordered), p95


def timed(function, repeat, before=None):
    """p50 and p95 in ms of `repeat` calls after one warm-up (connection, caches, planner)."""
    function()
    samples = []
    for _ in range(repeat):
        if before:
            before()
        started = time.perf_counter()
        function()
        samples.append(1000 * (time.perf_counter() - started))
    return percentiles(samples)


def row(what, p50_p95, queries=None):
    p50, p95 = p50_p95
    return {"what": what, "p50": p50, "p95": p95, "queries": queries}


def measure(repeat):
    """`/indicateurs/` and each export for the reader of the académie with the most schools and
    for a platform admin (the country), from the snapshot and computed live; the hand SQL; the
    beat task's pass on an empty snapshot table."""
    academie = (
        Academie.objects.filter(departements__establishments__isnull=False)
        .annotate(n=Count("departements__establishments"))
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
    few = max(3, repeat // 3)
    territories = []
    for label, target, user, academie_id in (
        (f"académie ({academie.name})", "académie", reader, academie.pk),
        ("country", "country", admin, None),
    ):
        client = Client(HTTP_HOST="127.0.0.1")
        client.force_login(user)

        def forget():
            IndicatorSnapshot.objects.all().delete()

        def count_queries(client=client):
            with CaptureQueriesContext(connection) as queries:
                client.get("/indicateurs/")
            return len(queries.captured_queries)

        def get(url, client=client):
            return lambda: client.get(url)

        forget()
        live_queries = count_queries()
        served_queries = count_queries()
        rows = [
            row(PAGE, timed(get("/indicateurs/"), repeat), served_queries),
            row(
                "XLSX export, every table, from the snapshot",
                timed(get("/indicateurs/export.xlsx"), repeat),
            ),
        ]
        for slug in slugs:
            rows.append(
                row(
                    f"CSV `{slug}`, from the snapshot",
                    timed(get(f"/indicateurs/export/{slug}.csv"), few),
                )
            )
        rows.append(row(LIVE, timed(get("/indicateurs/"), few, before=forget), live_queries))
        rows.append(
            row(
                "XLSX export, computed live (no snapshot)",
                timed(get("/indicateurs/export.xlsx"), few, before=forget),
            )
        )
        statements, params = hand_sql(academie_id, cur, prev)

        def run_sql(statements=statements, params=params):
            with connection.cursor() as cursor:
                for sql in statements:
                    cursor.execute(sql, params)
                    cursor.fetchall()

        p50, p95 = timed(run_sql, few)
        territories.append(
            {
                "label": label,
                "target": target,
                "rows": rows,
                "hand_sql": {"p50": p50, "p95": p95, "statements": len(statements)},
            }
        )
    IndicatorSnapshot.objects.all().delete()
    started = time.perf_counter()
    computed = refresh_snapshots(limit=1000)
    return {
        "territories": territories,
        "counts": {
            "teachers": User.objects.filter(email__startswith="enseignant-").count(),
            "enrolments": Enrollment.objects.count(),
        },
        "warm": {"snapshots": computed, "seconds": time.perf_counter() - started},
    }


# --- Hand-written SQL of the same aggregates ----------------------------------------------------
# The same figures as the indicator queries, written directly: territory as a join on the
# académie's establishments (or none for the country), current and previous period in one pass.


def hand_sql(academie_id, cur, prev):
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
