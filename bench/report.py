"""BENCHMARKS.md, rendered from the suites' results (`bench/results/<suite>.json`).

`python -m bench` renders it after each suite; `python -m bench.report` renders it again from
the files alone. One section per suite, in `SUITES` order, each judged against the targets its
result records. A suite with no result keeps its section of the current BENCHMARKS.md as it is
(the figures measured before the results were kept as JSON). Results of a `--quick` run are never
rendered into BENCHMARKS.md.
"""

import argparse
import re
import sys
from collections import Counter
from pathlib import Path

from bench.harness import results as stored
from bench.harness.processes import ROOT
from bench.suites import SUITES

OUTPUT = ROOT / "BENCHMARKS.md"
# The catalogue's section is the head of the file; each other suite's starts at its marker line.
MARKERS = {
    "enrolment": "<!-- enrolment -->",
    "badges": "<!-- badges -->",
    "indicators": "<!-- indicators -->",
    "pix_import": "<!-- pix-import -->",
}


def pct(ratio):
    return f"{ratio * 100:.0f} %"


def mib(kib):
    return "–" if kib is None else f"{kib / 1024:.0f}"


def verdict(ok):
    return "PASS" if ok else "FAIL"


def kept(options):
    return ", kept" if options["keep"] else ", dropped afterwards"


# --- The catalogue ----------------------------------------------------------------------------

CATALOGUE = """# Benchmarks

Written by `make bench` (`python -m bench`), which renders this file from the latest results of
each suite (`bench/results/<suite>.json`, `bench/report.py`).
Reproduce with `make bench` (SQLite only) or `make bench BENCH_ARGS=--both` (SQLite, then
PostgreSQL at `{postgres}`, a database the run creates and drops;
`.venv/bin/python -m bench catalogue --help` lists the options).

Each run builds a scratch database (`migrate`, `seed_demo`, `seed_scale --workshops N`), starts
gunicorn with DEBUG off and measures, in the same run, a bare Wagtail page (a `StandardPage`
that does no catalogue work, same site shell) and the catalogue at `/ateliers/`, first page and
with filters and a full-text search. The catalogue caches each listing (filters, facet counts,
result ids) per query string for a minute: its rows are measured with that cache warm (the same
URL again and again) and with every request a miss (a fresh `_bench=N` parameter each time, the
cost of a query nobody asked for lately). Figures are requests per second and latency percentiles
from a closed loop of concurrent connections on the same machine, so they compare pages with
each other rather than machines. In-process, apart from the timing: *alone ms* is the median of
five requests sent one at a time through Django's test client (the service time, without
contention), and the SQL queries of one request with their total time. Timings live here, never
in the test suite.
"""


def catalogue_verdict(run, target):
    """PASS when every catalogue page with its listing cache warm reaches the target."""
    bare = run["pages"][0]["rate"]
    warm = [page for page in run["pages"][1:] if not page["miss"]]
    return verdict(all(bare and page["rate"] / bare >= target for page in warm))


def catalogue_run(run, result):
    options, target = result["options"], result["target"]
    pages, dataset = run["pages"], run["dataset"]
    bare = pages[0]["rate"]
    lines = [
        f"## {run['date']} — {run['backend']}",
        "",
        f"- Machine: {run['machine']}; load average {run['load']} when the run started.",
        f"- Database: {run['database']} (scratch database{kept(options)}).",
        f"- Software: {run['software']}.",
        f"- Server: `gunicorn cms.wsgi --workers {options['workers']}` (sync workers), settings "
        f"{run['settings']}; Django cache in each worker's memory (no `REDIS_URL`).",
        f"- Load: {run['client']} on the same machine; per page {options['warmup']} s of "
        f"warm-up, then {options['rounds']} rounds × {options['duration']} s, pages alternating.",
        f"- Dataset: {dataset['workshops']:,} live workshops ({options['workshops']:,} from "
        f"`seed_scale`, the rest from `seed_demo`), {dataset['workshops_upcoming']:,} with an "
        f"upcoming session; {dataset['sessions']:,} sessions ({dataset['sessions_upcoming']:,} "
        f"upcoming); {dataset['enrollments']:,} enrolments. `seed_scale` took "
        f"{run['timings']['seed_scale']:.0f} s. Planner statistics: "
        + ("`ANALYZE` after loading." if options["analyze"] else "none (`--no-analyze`)."),
        "",
        "| page | URL | req/s | p50 ms | p95 ms | vs bare page | alone ms | SQL queries (ms) "
        "| HTML KiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    ratios = []
    for index, page in enumerate(pages):
        ratio = page["rate"] / bare if bare else 0
        if index == 0:
            versus = "100 %"
        else:
            ratios.append((page["label"], ratio, page["miss"]))
            versus = f"{pct(ratio)} {verdict(ratio >= target)}"
        errors = f" ({page['errors']} errors)" if page["errors"] else ""
        lines.append(
            f"| {page['label']} | `{page['path'].replace('{n}', 'N')}` | {page['rate']:.1f}"
            f"{errors} | {page['p50']:.0f} | {page['p95']:.0f} | {versus} | "
            f"{page['alone_ms']:.0f} | {page['queries']} ({page['sql_ms']:.0f}) | "
            f"{page['bytes'] / 1024:.0f} |"
        )
    memory = run["memory"]
    hwm = memory["workers_hwm"] or [0]
    lines += [
        "",
        f"**Target: the catalogue serves ≥ {pct(target)} of the bare page's request rate — "
        f"{catalogue_verdict(run, target)}** with its listing cache warm ("
        + "; ".join(f"{label}: {pct(ratio)}" for label, ratio, miss in ratios if not miss)
        + "). Every request a cache miss (a query string nobody asked for in the last minute): "
        + "; ".join(f"{label}: {pct(ratio)}" for label, ratio, miss in ratios if miss)
        + ".",
        "",
        f"Peak resident memory (VmHWM) of the gunicorn workers: {mib(max(hwm))} MiB for the "
        f"largest, {mib(sum(hwm))} MiB for the {len(hwm)} together; master "
        f"{mib(memory['master_hwm'])} MiB.",
    ]
    return "\n".join(lines)


def catalogue(result):
    return "\n\n".join(
        [CATALOGUE.format(postgres=result["postgres"]).rstrip()]
        + [catalogue_run(run, result) for run in result["runs"]]
    )


# --- Enrolment --------------------------------------------------------------------------------

ENROLMENT = """## Enrolment

Written by `python -m bench enrolment` (`bench/suites/enrolment.py`), which `make bench` runs after
the catalogue. Reproduce with `make bench` or `.venv/bin/python -m bench enrolment [--postgres |
--both]`; the PostgreSQL run uses a scratch database `{db}` it creates and drops.

Measured in-process with the development settings, DEBUG off. Celery has no broker, so a
notification task runs eagerly in the calling thread once the transaction commits: with
*delivery*, an enrolment call includes rendering its email, convocation PDF and calendar
invitation into the locmem email backend (the cost a Celery worker pays per email, moved into the
request); *no delivery* replaces the task with a stub that records its id, which is what a
request costs with a real broker (minus the publish round trip). Figures compare operations with
each other on one machine; timings live here, never in the test suite.
"""
SERVICES = [
    ("enroll_seat", "`enroll`, a seat is free"),
    ("enroll_waitlist", "`enroll`, session full: waiting list"),
    ("cancel_promote", "`cancel_enrollment`, first in line promoted"),
    ("attendance_completion", "`record_attendance` (present), workshop completed"),
]
DOCUMENTS = [
    ("convocation", "convocation (one session, hybrid)"),
    ("attendance_sheet", "attendance sheet, {people} participants"),
    ("certificate", "certificate (attestation de présence)"),
]


def contention_rows(contention):
    rows = []
    for key, label in (("no_delivery", "no (task recorded)"), ("delivery", "yes (eager)")):
        race = contention[key]
        outcome = ", ".join(
            found + (f" ×{n}" if n > 1 else "")
            for found, n in Counter(race["verdicts"]).most_common()
        )
        walls = ", ".join(f"{wall:.2f}" for wall in race["walls"])
        emails = f"{race['emails']} emails, {race['pdfs']} PDFs" if key == "delivery" else "–"
        rows.append(
            f"| {label} | {race['connections']} (peak {race['peak']}) | "
            f"{race['wall']:.2f} ({walls}) | {race['p50']:.0f} | {race['p95']:.0f} | "
            f"{race['max']:.0f} | {outcome} | {emails} |"
        )
    return rows


def enrolment_run(run, result):
    options, scene = result["options"], result["scene"]
    dataset, contention, timings = run["dataset"], run["contention"], run["timings"]
    journey, plan = dataset["journey"], scene["journey"]
    race = contention["no_delivery"]
    connections = (
        f"on PostgreSQL at most {race['connections']} connections at once "
        f"(`max_connections` {race['max_connections']}, other clients and "
        f"{scene['spare_connections']} spare deducted)"
        if race["max_connections"]
        else "one connection each"
    )
    lines = [
        f"### {run['date']} — {run['backend']}",
        "",
        f"- Machine: {run['machine']}; load average {run['load']} when the run started.",
        f"- Database: {run['database']} (scratch database{kept(options)}).",
        f"- Software: {run['software']}.",
        f"- Settings: {run['settings']}.",
        f"- Dataset: `migrate`, `seed_demo`, `seed_scale --workshops {options['workshops']}` "
        f"({timings['seed_scale']:.0f} s), then what each measure needs: "
        f"{dataset['sessions']:,} sessions and {dataset['enrollments']:,} enrolments at the end. "
        f"Measures took {timings['measures']:.0f} s.",
        "",
        f"**Contention** — {scene['teachers']} teachers (threads of one process, {connections}) "
        f"released by a barrier into one {scene['seats']}-seat session; "
        f"{options['race_rounds']} rounds per row, a new session each. Latency from the common "
        "release to each call's return, all rounds pooled; wall time is the median round (each "
        "round's in brackets). The threads share one interpreter, whose GIL serialises their "
        "Python work: separate worker processes would wait less.",
        "",
        "| notification delivery | connections | wall s | p50 ms | p95 ms | max ms "
        "| confirmed / waitlisted | sent |",
        "|---|---:|---:|---:|---:|---:|---|---|",
        *contention_rows(contention),
        "",
        f"**Single calls** — one at a time, median of {options['samples']} (and the slowest); "
        "SQL queries of one call, delivery included when it is on.",
        "",
        "| service call | no delivery ms (max) | SQL | with delivery ms (max) | SQL "
        "| emails / PDFs per call |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for key, label in SERVICES:
        off, on = run["services"][key]["no_delivery"], run["services"][key]["delivery"]
        lines.append(
            f"| {label} | {off['median']:.1f} ({off['max']:.0f}) | {off['queries']} | "
            f"{on['median']:.1f} ({on['max']:.0f}) | {on['queries']} | "
            f"{on['emails_per_call']:g} / {on['pdfs_per_call']:g} |"
        )
    feed = run["feed"]
    lines += [
        "",
        f"**Documents** — each PDF kind in a fresh process: its first rendering (WeasyPrint's "
        f"import, fonts), then the median of {options['samples']}; peak resident memory (VmHWM) "
        "above the process's RSS before the first rendering, after the first and after all.",
        "",
        "| document | first ms | median ms | SQL | KiB | pages | peak RSS growth MiB, first "
        "/ all | RSS kept MiB |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for kind, label in DOCUMENTS:
        doc = run["documents"][kind]
        lines.append(
            f"| {label.format(people=scene['attendance_sheet_people'])} | {doc['first']:.0f} | "
            f"{doc['median']:.0f} | {doc['queries']} | {doc['kib']:.0f} | {doc['pages'] or '–'} "
            f"| {mib(doc['first_peak_kib'])} / {mib(doc['peak_kib'])} | "
            f"{mib(doc['retained_kib'])} |"
        )
    lines += [
        f"| iCalendar feed (`calendar_feed`), {journey['enrollments']} enrolments, "
        f"{feed['events']} events | – | {feed['median']:.1f} | {feed['queries']} | "
        f"{feed['kib']:.0f} | – | – | – |",
        "",
        f"**Pages** — Django's test client, median of {options['samples']} after a warm-up "
        "request; SQL queries of one request with their total time. The teacher's enrolments "
        f"are on seed_scale sessions: {plan['past_present']} attended (each a completion), "
        f"{plan['past_absent']} missed, {plan['confirmed']} upcoming confirmed, "
        f"{plan['waitlisted']} waitlisted, {plan['pending']} awaiting approval. The "
        "coordinator's sessions are seed_scale's (past and upcoming, with their enrolments), "
        "their workshops moved to an académie of their own.",
        "",
        "| page | URL | median ms | SQL queries (ms) | HTML KiB |",
        "|---|---|---:|---:|---:|",
    ]
    for key, label, url in (
        (
            "journey",
            f"Mon parcours: {journey['enrollments']} enrolments, {journey['completions']} "
            "completions",
            "/mon-parcours/",
        ),
        (
            "sessions",
            f"Mes séances: coordinator, {dataset['coordinator_scope']} sessions in scope",
            "/mes-seances/",
        ),
        ("feed", "private calendar feed, same teacher (no login)", "/agenda/TOKEN.ics"),
    ):
        page = run["pages"][key]
        lines.append(
            f"| {label} | `{url}` | {page['median']:.1f} | {page['queries']} "
            f"({page['sql_ms']:.0f}) | {page['kib']:.0f} |"
        )
    return "\n".join(lines)


def enrolment(result):
    heading = ENROLMENT.format(db=result["postgres_database"]).rstrip()
    return "\n\n".join([heading] + [enrolment_run(run, result) for run in result["runs"]])


# --- Open Badges ------------------------------------------------------------------------------

BADGES = """## Open Badges

Written by `python -m bench badges` (`bench/suites/badges.py`), which `make bench` runs after the
enrolment suite. Reproduce with `make bench` or `.venv/bin/python -m bench badges`: PostgreSQL
only, with Redis as the broker and a real Celery worker process it starts and stops, on a
scratch database it creates and drops, `{db}`.

A bulk award of {awards:,} badges (one département's participations in the source material) through
a real worker, against the bare `openbadges_bakery.bake()` call and `award_badge` without Celery;
then the request rate of the hosted assertion JSON (the URL every verifier, backpack and LinkedIn
preview asks for) next to a minimal Django JSON view in the same run. Targets: at least
{target_awards} awards/s end to end on this 2-core machine; the assertion JSON at ≥ {ratio} of the
minimal view's rate with p99 < {p99} ms. Figures compare with each other on one machine.
"""
PHASES = [
    ("publish_version", "`publish_version` (latest version read, document built and compared)"),
    ("bake_image", "`bake_image` (badge image read, assertion JSON, `bake` into memory)"),
    ("file_write", "baked image written (`FileSystemStorage._save`)"),
    ("audit_log", "audit log entry (`wagtail.log_actions.log`)"),
    ("email_task", "email task published to Redis (on commit)"),
]
REST_PHASE = "the rest: duplicate check, Assertion INSERT, UPDATE by `FieldFile.save`, commit"
ROWS = {
    "probe": "minimal Django JSON view",
    "assertion": "hosted assertion JSON",
    "revalidate": "hosted assertion JSON, revalidated (If-None-Match → 304)",
}
SESSION_STATES = {
    "lock": "waiting for a lock",
    "wal": "committing (WAL write and sync)",
    "active": "running a statement",
    "in_transaction": "idle in a transaction (Python work between statements)",
    "idle": "idle outside transactions (Celery, Redis, Python)",
}
EARLIER_HEADING = "#### Earlier runs, for comparison"
EARLIER_KEPT = 10


def badges_checks(result):
    """The targets' verdicts, the overall one and the sentence that says them."""
    targets, bulk, job = result["targets"], result["bulk"], result["job"]
    award_rate, job_rate = bulk["tasks"] / bulk["wall_s"], job["tasks"] / job["wall_s"]
    probe, hosted = result["http"]["probe"], result["http"]["assertion"]
    ratio = hosted["rate"] / probe["rate"] if probe["rate"] else 0
    checks = {
        "awards": max(award_rate, job_rate) >= targets["awards"],
        "ratio": ratio >= targets["ratio"],
        "p99": hosted["p99"] < targets["p99_ms"],
    }
    sentence = (
        f"awards end to end ≥ {targets['awards']}/s: {award_rate:.0f}/s one award per task, "
        f"{job_rate:.0f}/s through the bulk-award job {verdict(checks['awards'])}; hosted "
        f"assertion JSON ≥ {pct(targets['ratio'])} of the minimal JSON view's rate: "
        f"{pct(ratio)} {verdict(checks['ratio'])}; its p99 < {targets['p99_ms']} ms: "
        f"{hosted['p99']:.1f} ms {verdict(checks['p99'])}."
    )
    return verdict(all(checks.values())), sentence


def cpu_sentence(figures):
    cpu, awards = figures["cpu"], figures["tasks"]
    other = cpu["busy"] - cpu["worker"] - cpu["postgres"]
    return (
        f"CPU time while its awards ran ({cpu['wall']:.1f} s, {cpu['total']:.0f} CPU-seconds "
        f"available): the worker's processes {cpu['worker']:.1f} s "
        f"({cpu['worker'] * 1000 / awards:.1f} ms per award), the PostgreSQL server (all its "
        f"sessions) {cpu['postgres']:.1f} s ({cpu['postgres'] * 1000 / awards:.1f} ms per award), "
        f"everything else {other:.1f} s (the process sending the tasks and counting the rows, "
        f"Redis, and whatever else ran on the machine); the machine was busy "
        f"{cpu['busy'] / cpu['total'] * 100:.0f} % of the time."
    )


def sessions_sentence(sessions):
    return "; ".join(
        f"{label} {sessions[name] * 100:.0f} %" for name, label in SESSION_STATES.items()
    )


def badges_run(result):
    options, targets = result["options"], result["targets"]
    bulk, noop, inprocess, job = result["bulk"], result["noop"], result["inprocess"], result["job"]
    counts, awards, http = job["task_counts"], bulk["tasks"], result["http"]
    award_rate, job_rate = awards / bulk["wall_s"], job["tasks"] / job["wall_s"]
    one, many = result["bakes"]["1"], result["bakes"][str(result["worker_concurrency"])]
    concurrency = result["worker_concurrency"]
    lines = [
        f"### {result['date']} — PostgreSQL",
        "",
        f"- Machine: {result['machine']}; load average {result['load']} when the run started.",
        f"- Services: {result['database']} (scratch database `{result['postgres_database']}`"
        f"{kept(options)}); {result['redis']} at `{result['broker']}` as the broker, a queue of "
        "the run's own.",
        f"- Software: {result['software']}.",
        f"- Worker: `celery -A bench.suites.badges_worker worker --concurrency={concurrency} "
        "--pool=prefork` (the project's app and settings, `cms.settings.dev` with "
        "`DJANGO_DEBUG=false`, locmem email backend, media on local disk); the award task loads "
        "the badge class and the teacher, then calls `award_badge`, whose email task "
        "(`send_badge_email`) goes to the same queue behind the awards; the bulk-award job's "
        "chunk and email tasks go there too.",
        f"- Badge: a {one['png_bytes'] / 1024:.1f} KiB PNG (256×256); the assertion JSON baked "
        f"into it is {one['json_bytes']:,} bytes (baked image {one['baked_bytes'] / 1024:.1f} "
        "KiB, read back equal: " + ("yes" if one["baked_valid"] else "**no**") + f"); "
        f"{awards:,} teachers awarded once each after {result['warmup_awards']} warm-up awards "
        "(the first publishes the badge class's version).",
        "",
        "**Bulk award through the worker** — wall time from the first enqueue (tasks sent one by "
        "one with `delay()`) to the last one done, seen from outside (the Assertion rows, the "
        "worker's counters in Redis); *task ms* is the run time of one task in the worker.",
        "",
        "| run | tasks | enqueue s | wall s | per second | task ms p50 / p95 | target |",
        "|---|---:|---:|---:|---:|---:|---|",
        f"| trivial task (`bench.noop`): broker and worker alone | {noop['tasks']:,} | "
        f"{noop['enqueue_s']:.2f} | {noop['wall_s']:.2f} | {noop['tasks'] / noop['wall_s']:.0f} "
        f"| {noop['task_ms']['p50']:.1f} / {noop['task_ms']['p95']:.1f} | – |",
        f"| award: queue → assertion → baked image → email task queued | {awards:,} | "
        f"{bulk['enqueue_s']:.2f} | {bulk['wall_s']:.2f} | {award_rate:.0f} | "
        f"{bulk['task_ms']['p50']:.1f} / {bulk['task_ms']['p95']:.1f} | "
        f"≥ {targets['awards']}/s **{verdict(award_rate >= targets['awards'])}** |",
        f"| … and every award email sent (locmem), after the awards | {awards:,} | – | "
        f"{bulk['mailed_s']:.2f} | {awards / bulk['mailed_s']:.0f} | "
        f"{bulk['email_ms']:.1f} (email) | – |",
        f"| the application's bulk-award job: CSV validated, `start_bulk_award`, `run_bulk_award` "
        f"fanning out {counts['award_bulk_chunk']} `award_bulk_chunk` tasks "
        f"({job['awarded']:,} awarded), each queueing one `send_badge_emails` task | "
        f"{job['tasks']:,} | {job['enqueue_s']:.2f} | {job['wall_s']:.2f} | {job_rate:.0f} | "
        f"{job['chunk_ms']['p50']:.0f} / {job['chunk_ms']['max']:.0f} (chunk, p50 / max) | "
        f"≥ {targets['awards']}/s **{verdict(job_rate >= targets['awards'])}** |",
        f"| … and every award email sent (locmem, {counts['send_badge_emails']} "
        f"`send_badge_emails` tasks, one mail connection each), after the job | "
        f"{job['tasks']:,} | – | {job['mailed_s']:.2f} | {job['tasks'] / job['mailed_s']:.0f} "
        "| – | – |",
        "",
        "*enqueue s* of the job: the CSV validated and the job recorded and queued. Its "
        "*wall s* runs to the job seen `done` (polled every 10 ms): the chunk that completes the "
        "count marks it in the same transaction as its awards, and queues its email task on that "
        "commit. Emails sent are counted by `Assertion.emailed_at`.",
        "",
        "One award per task: " + cpu_sentence(bulk),
        "",
        "The bulk-award job: " + cpu_sentence(job),
        "",
        "The worker's PostgreSQL sessions, sampled every 10 ms (`pg_stat_activity`), one award per "
        f"task: {sessions_sentence(bulk['sessions'])}; the bulk-award job: "
        f"{sessions_sentence(job['sessions'])}.",
        "",
        "**In-process references** — one process unless stated, no Celery in between.",
        "",
        "| operation | per second | ms each |",
        "|---|---:|---:|",
        f"| `openbadges_bakery.bake()` into `BytesIO`, {one['samples']:,} times | "
        f"{one['rate']:.0f} | {1000 / one['rate']:.2f} |",
        f"| same, {concurrency} processes at once (the worker's concurrency) | "
        f"{many['rate']:.0f} | – |",
        f"| `award_badge`, one call at a time, {inprocess['count']:,} calls (email task "
        f"published to Redis) | {inprocess['rate']:.0f} | {inprocess['median_ms']:.1f} "
        f"(p95 {inprocess['p95_ms']:.1f}) |",
        "",
        f"**Where an award's time goes** — `award_badge` in-process, {inprocess['instrumented']} "
        "calls with each phase timed and the SQL captured (which slows the calls a little): "
        f"{inprocess['per_award_ms']:.1f} ms and {inprocess['queries']:.0f} SQL queries "
        f"({inprocess['sql_ms']:.1f} ms of database time) per award.",
        "",
        "| phase | ms per award | share | SQL queries |",
        "|---|---:|---:|---:|",
    ]
    phases, phase_queries = inprocess["phases_ms"], inprocess["phase_queries"]
    total = inprocess["per_award_ms"]
    for name, label in PHASES:
        spent = phases.get(name, 0)
        lines.append(
            f"| {label} | {spent:.2f} | {spent / total * 100:.0f} % | "
            f"{phase_queries.get(name, 0):.0f} |"
        )
    rest = total - sum(phases.values())
    rest_queries = inprocess["queries"] - sum(phase_queries.values())
    lines += [
        f"| {REST_PHASE} | {rest:.2f} | {rest / total * 100:.0f} % | {rest_queries:.0f} |",
        "",
        "**Hosted assertion JSON under gunicorn** — `gunicorn bench.suites.badges_wsgi --workers "
        f"{options['workers']}` (sync workers; the project's WSGI application with one more URL, "
        f'`{result["probe"]}`, a view returning `JsonResponse({{"ok": True}})` behind the same '
        "middleware), settings `cms.settings.production` (DEBUG off, `SECURE_SSL_REDIRECT=false`, "
        f"a throwaway secret key). Load: {result['client']} on the same machine; per row "
        f"{options['warmup']} s of warm-up, then {options['rounds']} rounds × "
        f"{options['duration']} s, rows alternating. The assertion rows ask for "
        f"{result['sample_assertions']} assertions in turn with `Accept: {result['accept']}`.",
        "",
        "| URL | req/s | p50 ms | p99 ms | max ms | vs JSON view | SQL queries |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    probe = http["probe"]
    for name, label in ROWS.items():
        found = http[name]
        path = result["probe"] if name == "probe" else "/badges/assertions/UUID"
        errors = f" ({found['errors']} errors)" if found["errors"] else ""
        versus = "100 %" if name == "probe" else pct(found["rate"] / probe["rate"])
        lines.append(
            f"| {label} `{path}` | {found['rate']:.0f}{errors} | {found['p50']:.1f} | "
            f"{found['p99']:.1f} | {found['max']:.0f} | {versus} | "
            f"{inprocess['requests'][name]['queries']} |"
        )
    overall, sentence = badges_checks(result)
    lines += ["", f"**Targets — {overall}**: {sentence}"]
    if result.get("earlier"):
        lines += ["", EARLIER_HEADING, "", *result["earlier"]]
    return "\n".join(lines)


def badges(result):
    heading = BADGES.format(
        db=result["postgres_database"],
        awards=result["bulk"]["tasks"],
        target_awards=result["targets"]["awards"],
        ratio=pct(result["targets"]["ratio"]),
        p99=result["targets"]["p99_ms"],
    )
    return heading + "\n" + badges_run(result)


def badges_summary(result):
    """One line of the earlier runs: date, load average, verdict and the targets' sentence."""
    overall, sentence = badges_checks(result)
    return f"- {result['date']} (load average {result['load']}), {overall}: {sentence}"


def earlier_in_markdown(section):
    """The earlier runs of a badges section rendered before the results were kept as JSON:
    its own run's summary line, then the lines it kept."""
    date = re.search(r"^### (.+?) — PostgreSQL$", section, re.MULTILINE)
    load = re.search(r"load average ([\d. /]+) when the run started", section)
    targets = re.search(r"^\*\*Targets — (\w+)\*\*: (.+)$", section, re.MULTILINE)
    lines = []
    if EARLIER_HEADING in section:
        tail = section.split(EARLIER_HEADING, 1)[1]
        lines = [line for line in tail.splitlines() if line.startswith("- ")]
    if date and targets:
        started = f" (load average {load.group(1).strip()})" if load else ""
        lines.insert(0, f"- {date.group(1)}{started}, {targets.group(1)}: {targets.group(2)}")
    return lines


def carry_history(result, previous, current):
    """Keep the summary lines of earlier badges runs in a new result, newest first: the previous
    result's (or, before any, those of the current BENCHMARKS.md's section)."""
    if result["suite"] != "badges" or result.get("quick"):
        return
    if previous and not previous.get("quick"):
        earlier = [badges_summary(previous), *previous.get("earlier", [])]
    else:
        earlier = earlier_in_markdown(section_of(current, "badges") or "")
    result["earlier"] = earlier[:EARLIER_KEPT]


# --- Indicators -------------------------------------------------------------------------------


def indicators(result):
    options, targets, counts = result["options"], result["targets"], result["counts"]
    few = max(5, options["repeat"] // 3)
    seeded = (
        f"; seeding took {result['seed_seconds']:.0f} s."
        if result["seed_seconds"]
        else " (reused)."
    )
    lines = [
        "## Indicators (issue 7)",
        "",
        "Written by `python -m bench indicators` (`bench/suites/indicators.py`). Reproduce with "
        f"`.venv/bin/python -m bench indicators --scale {options['scale']:g}"
        + (" --reuse" if options["reuse"] else "")
        + f"` (or `make bench`): PostgreSQL database `{result['postgres_database']}` (kept for "
        f"`--reuse`), `seed_indicators --scale {options['scale']:g}`, then in-process timings "
        "through Django's test client with DEBUG off (server time: middleware, view, SQL, "
        f"template; no network), p50 and p95 over {options['repeat']} requests after one warm-up "
        f"(CSV: {few}). *Hand SQL* is the same aggregates written by hand and run on the same "
        "connection. The page reads its dashboard's snapshot (`IndicatorSnapshot`, one row per "
        "reader territory and filters) when there is one, refreshed by the beat task every 10 "
        "minutes and on demand; *computed live* is the first request for a dashboard without one.",
        "",
        f"- {result['date']}; {result['machine']}.",
        f"- Data: scale {options['scale']:g} of issue 7's volumes: {counts['teachers']:,} "
        f"teachers, {counts['enrolments']:,} enrolments{seeded}",
        f"- Targets: p95 < {targets['académie']} ms for an académie, < "
        f"{targets['country'] / 1000:g} s for the country, ≤ {targets['hand_sql_ratio']}× "
        "hand SQL.",
        "",
    ]
    for territory in result["territories"]:
        target, sql = targets[territory["target"]], territory["hand_sql"]
        lines += [
            f"### {territory['label']}",
            "",
            "| what | p50 ms | p95 ms | SQL queries |",
            "|---|---:|---:|---:|",
        ]
        for row in territory["rows"]:
            queries = row["queries"] if row["queries"] else ""
            lines.append(f"| {row['what']} | {row['p50']:.0f} | {row['p95']:.0f} | {queries} |")
        lines.append(
            f"| hand SQL, same aggregates ({sql['statements']} statements) | {sql['p50']:.0f} | "
            f"{sql['p95']:.0f} | {sql['statements']} |"
        )
        page, live, within = indicator_checks(territory, targets)
        lines += [
            "",
            f"Page from its snapshot: p95 {page['p95']:.0f} ms against a target of {target} ms "
            f"({'met' if page['p95'] < target else 'missed'}). Computed live (a dashboard without "
            f"a snapshot: new filters, or none computed in the last 24 h): p95 {live['p95']:.0f} "
            f"ms; live p50 / hand SQL p50 = {live['p50'] / sql['p50']:.2f}× "
            f"({'within' if within else 'over'} {targets['hand_sql_ratio']}×).",
            "",
        ]
    warm = result["warm"]
    lines.append(
        f"The beat task's pass on an empty snapshot table (the country and every académie, "
        f"default filters) computed {warm['snapshots']} snapshots in {warm['seconds']:.0f} s."
    )
    return "\n".join(lines)


def indicator_checks(territory, targets):
    """The page from its snapshot, the page computed live, and whether live is within the
    hand SQL's ratio."""
    page = territory["rows"][0]
    live = next(
        row for row in territory["rows"] if row["what"].endswith("computed live (no snapshot)")
    )
    within = live["p50"] <= targets["hand_sql_ratio"] * territory["hand_sql"]["p50"]
    return page, live, within


def indicators_verdict(result):
    targets = result["targets"]
    for territory in result["territories"]:
        page, _live, within = indicator_checks(territory, targets)
        if page["p95"] >= targets[territory["target"]] or not within:
            return "FAIL"
    return "PASS"


# --- PIX import -------------------------------------------------------------------------------


def pix_import_run(run):
    flag = " --postgres" if run["backend"] == "PostgreSQL" else ""
    lines = [
        f"`.venv/bin/python -m bench pix_import{flag}` on {run['database']}, {run['machine']}. "
        "Each import runs in a fresh process as the Celery job does (validate every line, "
        "then write in one transaction); peak memory is that "
        "process's VmHWM, Django and the app included: compare the two file sizes.",
        "",
        "| file | run | status | lines/s | wall | peak RSS |",
        "|---|---|---|---:|---:|---:|",
    ]
    for row in run["rows"]:
        rate = row["lines"] / row["seconds"] if row["seconds"] else 0
        lines.append(
            f"| {row['size']:,} lines ({row['mib']:.1f} MiB) | {row['label']} | {row['status']}"
            f" (created {row['created']:,}, unchanged {row['unchanged']:,}, errors "
            f"{row['errors']}) | {rate:,.0f} | {row['seconds']:.1f} s | "
            f"{row['hwm_kib'] / 1024:.0f} MiB |"
        )
    return "\n".join(lines)


def pix_import(result):
    return "\n\n".join(
        ["## PIX import (Pix Orga CSV)"] + [pix_import_run(run) for run in result["runs"]]
    )


# --- The file ---------------------------------------------------------------------------------

RENDERERS = {
    "catalogue": catalogue,
    "enrolment": enrolment,
    "badges": badges,
    "indicators": indicators,
    "pix_import": pix_import,
}


def suite_verdict(result):
    """PASS or FAIL against the suite's targets; None for a suite without one."""
    if result["suite"] == "catalogue":
        found = {catalogue_verdict(run, result["target"]) for run in result["runs"]}
        return "FAIL" if "FAIL" in found else "PASS"
    if result["suite"] == "badges":
        return badges_checks(result)[0]
    if result["suite"] == "indicators":
        return indicators_verdict(result)
    return None


def render_suite(result):
    """A suite's section of BENCHMARKS.md, its marker line first (the catalogue has none)."""
    text = RENDERERS[result["suite"]](result)
    marker = MARKERS.get(result["suite"])
    return f"{marker}\n{text}" if marker else text


def section_of(text, suite):
    """A suite's section in a rendered BENCHMARKS.md (the catalogue's is everything before the
    first marker line), or None."""
    starts = {
        name: found.start()
        for name, marker in MARKERS.items()
        if (found := re.search(rf"^{re.escape(marker)}$", text, re.MULTILINE))
    }
    if suite == "catalogue":
        head = text[: min(starts.values())] if starts else text
        return head.strip() or None
    if suite not in starts:
        return None
    start = starts[suite]
    after = [offset for offset in starts.values() if offset > start]
    return text[start : min(after) if after else len(text)].strip()


def render(results, current="", *, quick=False):
    """BENCHMARKS.md from `results` ({suite: result}); a suite without one keeps its section of
    `current`. Quick results render only when `quick` (never into the repository's file)."""
    sections = []
    for suite in SUITES:
        if suite in results:
            if results[suite].get("quick") and not quick:
                raise SystemExit(
                    f"{suite}: results of a --quick run are not rendered into BENCHMARKS.md"
                )
            sections.append(render_suite(results[suite]))
        elif found := section_of(current, suite):
            sections.append(found)
    head = "> A `--quick` smoke run: small data, short loads, no figure to compare.\n\n"
    return (head if quick else "") + "\n\n".join(sections) + "\n"


def write(directory, output=OUTPUT, *, quick=False):
    """Render BENCHMARKS.md (or `output`) from the results in `directory`."""
    output = Path(output)
    current = output.read_text(encoding="utf-8") if output.exists() else ""
    text = render(stored.load(directory, SUITES), current, quick=quick)
    output.write_text(text, encoding="utf-8")
    return output


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--results", default=str(stored.RESULTS), help="Results directory.")
    parser.add_argument("--output", default=str(OUTPUT), help="The file to write.")
    options = parser.parse_args(argv)
    written = write(options.results, options.output, quick=Path(options.output) != OUTPUT)
    sys.stdout.write(f"Written to {written}.\n")


if __name__ == "__main__":
    main()
