"""`make bench`: the workshop catalogue under gunicorn, next to a bare Wagtail page, same run.

On a scratch database (a SQLite file in a temporary directory; PostgreSQL with --postgres) it
runs migrate, seed_demo and `seed_scale --workshops 10000`, creates a bare standard page, starts
gunicorn with DEBUG off, and measures each page's request rate and latency with concurrent
connections (wrk when installed, a threaded client otherwise). In-process, apart from the timing,
it counts the SQL queries of one request per page. It then rewrites BENCHMARKS.md at the root of
the repository with the figures and the target: the catalogue serves at least half the bare
page's request rate.

Plain Python (standard library) run by the project's virtualenv:
    .venv/bin/python bench/run.py [--postgres | --both] [--workshops N] [--duration S]
"""

import argparse
import contextlib
import http.client
import json
import os
import platform
import re
import secrets
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from datetime import datetime
from importlib import metadata
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable
OUTPUT = ROOT / "BENCHMARKS.md"
TARGET = 0.5  # the catalogue serves at least half the bare page's request rate
POSTGRES_SERVER = "postgres://postgres@127.0.0.1:5432"
POSTGRES_DB = "entrepairs_bench"
# bench/enrolment.py and bench/badges.py each own BENCHMARKS.md from their marker line to the
# next marker or the end: every rewrite here keeps everything from the first marker on.
ENROLMENT_MARKER = "<!-- enrolment -->"
BADGES_MARKER = "<!-- badges -->"
PIX_IMPORT_MARKER = "<!-- pix-import -->"
INDICATORS_MARKER = "<!-- indicators -->"
MARKERS = (ENROLMENT_MARKER, BADGES_MARKER, PIX_IMPORT_MARKER, INDICATORS_MARKER)

BARE_SLUG = "banc-essai"
FILTERS = "/ateliers/?" + urlencode(
    {"theme": "enseigner", "modality": "distanciel", "q": "numérique"}
)
# `{n}` becomes a fresh value on every request: a query string the catalogue's listing cache
# (cotraining/catalogue_cache.py) has never seen, so each request computes its listing.
MISS = "_bench={n}"
PAGES = [
    ("bare Wagtail page (StandardPage)", f"/{BARE_SLUG}/"),
    ("catalogue, first page", "/ateliers/"),
    ("catalogue, 2 filters + search", FILTERS),
    ("catalogue, first page, cache miss", f"/ateliers/?{MISS}"),
    ("catalogue, 2 filters + search, cache miss", f"{FILTERS}&{MISS}"),
]


def is_miss(path):
    return "{n}" in path


def concrete(path, n):
    return path.replace("{n}", str(n))


# Run by `manage.py shell -c`: a standard page under the home page, no catalogue work at all.
BARE_PAGE_CODE = f"""
from wagtail.models import Site
from cms.models import StandardPage
home = Site.objects.get(is_default_site=True).root_page
if not StandardPage.objects.child_of(home).filter(slug="{BARE_SLUG}").exists():
    page = home.add_child(instance=StandardPage(
        title="Banc d'essai", slug="{BARE_SLUG}",
        intro="Une page sans travail de catalogue : la référence de make bench."))
    page.save_revision().publish()
"""


# Planner statistics after the bulk load, as PostgreSQL's autovacuum gathers them on its own.
# SQLite never does: --no-analyze measures a database as the application leaves it.
ANALYZE_CODE = """
from django.db import connection
with connection.cursor() as cursor:
    cursor.execute("ANALYZE")
"""


def say(message=""):
    sys.stdout.write(f"{message}\n")
    sys.stdout.flush()


# --- Environments ---------------------------------------------------------------------------


class Backend:
    """A scratch database and the settings the server runs with on it."""

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


class SQLiteBackend(Backend):
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


class PostgresBackend(Backend):
    label = "PostgreSQL"
    settings_label = (
        "`cms.settings.production` (DEBUG off; `SECURE_SSL_REDIRECT=false` for plain HTTP, "
        "a throwaway secret key, an unused broker URL)"
    )

    def __init__(self, workdir):
        super().__init__("postgres", workdir)
        self.url = f"{POSTGRES_SERVER}/{POSTGRES_DB}"
        self.secret = secrets.token_urlsafe(50)

    def _admin(self, sql):
        import psycopg  # the project's driver, from the virtualenv

        with psycopg.connect(f"{POSTGRES_SERVER}/postgres", autocommit=True) as connection:
            cursor = connection.execute(sql)
            return cursor.fetchone() if cursor.description else None

    def create(self):
        self.drop()
        self._admin(f'CREATE DATABASE "{POSTGRES_DB}"')

    def drop(self):
        self._admin(f'DROP DATABASE IF EXISTS "{POSTGRES_DB}" WITH (FORCE)')

    def version(self):
        return "PostgreSQL " + self._admin("SHOW server_version")[0]

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
            CELERY_BROKER_URL="redis://127.0.0.1:6379/15",  # required, never used by a page view
            SECURE_SSL_REDIRECT="false",
        )
        return env


def manage(args, env, log):
    started = time.monotonic()
    with open(log, "a", encoding="utf-8") as out:
        out.write(f"\n$ manage.py {' '.join(args)}\n")
        out.flush()
        result = subprocess.run(  # noqa: S603
            [PYTHON, str(ROOT / "manage.py"), *args],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if result.returncode:
        say(Path(log).read_text(encoding="utf-8")[-3000:])
        raise SystemExit(f"manage.py {args[0]} failed (log: {log})")
    return time.monotonic() - started


# --- The server -----------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def fetch(port, path, timeout=30):
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path)
        response = connection.getresponse()
        return response.status, response.read()
    finally:
        connection.close()


class Gunicorn:
    def __init__(self, env, workers, log):
        self.port = free_port()
        self.workers = workers
        self.log = open(log, "a", encoding="utf-8")  # closed in stop()
        command = [
            str(VENV_BIN / "gunicorn"),
            "cms.wsgi",
            "--workers",
            str(workers),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--timeout",
            "120",
        ]
        self.process = subprocess.Popen(  # noqa: S603
            command, cwd=ROOT, env=env, stdout=self.log, stderr=subprocess.STDOUT
        )

    def wait_ready(self, path, timeout=90):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(
                    f"gunicorn exited ({self.process.returncode}), see {self.log.name}"
                )
            with contextlib.suppress(OSError):
                status, _body = fetch(self.port, path, timeout=10)
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return
            time.sleep(0.5)
        raise SystemExit(f"gunicorn did not answer 200 on {path} within {timeout} s")

    def worker_pids(self):
        master = self.process.pid
        children = Path(f"/proc/{master}/task/{master}/children")
        if children.exists():
            return [int(pid) for pid in children.read_text().split()]
        pids = []
        for stat in Path("/proc").glob("[0-9]*/stat"):
            with contextlib.suppress(OSError, IndexError, ValueError):
                if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == master:
                    pids.append(int(stat.parent.name))
        return pids

    def cpu_ticks(self):
        total = 0
        for pid in self.worker_pids():
            with contextlib.suppress(OSError, IndexError, ValueError):
                fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime + stime
        return total

    def wait_idle(self, timeout=120):
        """Let the workers finish the requests a load run left queued before the next one."""
        deadline = time.monotonic() + timeout
        before = self.cpu_ticks()
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = self.cpu_ticks()
            if now - before <= 1:
                return
            before = now

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)  # gunicorn's graceful shutdown
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


def memory_kib(pid, field):
    """VmRSS (now) or VmHWM (peak resident set) of a process, in KiB, from /proc."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


# --- Load generation ------------------------------------------------------------------------

WRK_SCRIPT = """
path_template = [[PATH_TEMPLATE]]
threads_created = 0
function setup(thread)
  threads_created = threads_created + 1
  thread:set("prefix", tostring(threads_created))
end
counter = 0
if string.find(path_template, "{n}", 1, true) then
  request = function()
    counter = counter + 1
    local path = string.gsub(path_template, "{n}", prefix .. "-" .. counter)
    return wrk.format("GET", path)
  end
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("BENCH %d %d %d %d %d\\n", summary.requests, summary.duration,
    latency:percentile(50), latency:percentile(95),
    e.connect + e.read + e.write + e.status + e.timeout))
end
"""


def load_wrk(port, path, duration, concurrency, workdir):
    script = workdir / "report.lua"
    script.write_text(WRK_SCRIPT.replace("PATH_TEMPLATE", path), encoding="utf-8")
    command = [
        "wrk",
        f"-t{min(2, concurrency)}",
        f"-c{concurrency}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(script),
        f"http://127.0.0.1:{port}{concrete(path, 0)}",
    ]
    output = subprocess.run(  # noqa: S603
        command, capture_output=True, text=True, check=True
    ).stdout
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.MULTILINE)
    if not match:
        raise SystemExit(f"Unexpected wrk output:\n{output}")
    requests, micros, p50, p95, errors = (int(value) for value in match.groups())
    return {
        "requests": requests,
        "seconds": micros / 1e6,
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "errors": errors,
    }


def load_threads(port, path, duration, concurrency, workdir):
    """A closed loop of `concurrency` clients; gunicorn's sync workers close each connection."""
    latencies, errors = [], Counter()
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def client(number):
        mine, failed = [], 0
        while time.perf_counter() < deadline:
            started = time.perf_counter()
            try:
                status, _body = fetch(port, concrete(path, f"{number}-{len(mine) + failed}"))
            except OSError:
                status = None
            if status == 200:
                mine.append((time.perf_counter() - started) * 1000)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            errors["failed"] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else [0] * 99
    return {
        "requests": len(latencies) + errors["failed"],
        "seconds": seconds,
        "p50": cuts[49],
        "p95": cuts[94],
        "errors": errors["failed"],
    }


def combine(runs):
    """Rounds of one page: total requests over total time; percentiles averaged by weight."""
    requests = sum(run["requests"] for run in runs)
    weight = requests or 1
    return {
        "requests": requests,
        "rate": requests / sum(run["seconds"] for run in runs),
        "p50": sum(run["p50"] * run["requests"] for run in runs) / weight,
        "p95": sum(run["p95"] * run["requests"] for run in runs) / weight,
        "errors": sum(run["errors"] for run in runs),
    }


# --- In-process probe: query counts and dataset (run with the server's settings) -------------


def probe(paths):
    """Runs in a child process (`run.py _probe`): what one request of each page costs in SQL."""
    sys.path.insert(0, str(ROOT))  # run as a script, only bench/ is on the path
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from cotraining.models import Enrollment, Session, WorkshopPage

    client = Client(HTTP_HOST="localhost")
    pages = {}
    for path in paths:
        urls = (concrete(path, f"probe-{n}") for n in range(7))
        client.get(next(urls))  # caches warm (site root paths, listings) as in a live worker
        with CaptureQueriesContext(connection) as queries:
            response = client.get(next(urls))
        captured = list(queries.captured_queries)  # the next request resets the log
        durations = []
        for url in urls:  # five requests one at a time: the service time, no contention
            started = time.perf_counter()
            client.get(url)
            durations.append((time.perf_counter() - started) * 1000)
        repeated = Counter(re.sub(r"\b\d+\b", "N", query["sql"])[:160] for query in captured)
        slowest = sorted(captured, key=lambda query: -float(query["time"]))[:5]
        pages[path] = {
            "status": response.status_code,
            "queries": len(captured),
            "sql_ms": sum(float(query["time"]) for query in captured) * 1000,
            "alone_ms": statistics.median(durations),
            "bytes": len(response.content),
            "repeated": [(n, sql) for sql, n in repeated.most_common(5) if n > 1],
            "slowest": [(float(query["time"]) * 1000, query["sql"][:160]) for query in slowest],
        }
    from django.utils import timezone

    now = timezone.now()
    dataset = {
        "workshops": WorkshopPage.objects.live().count(),
        "workshops_upcoming": WorkshopPage.objects.live()
        .filter(sessions__in=Session.objects.upcoming(now))
        .distinct()
        .count(),
        "sessions": Session.objects.count(),
        "sessions_upcoming": Session.objects.upcoming(now).count(),
        "enrollments": Enrollment.objects.count(),
    }
    sys.stdout.write(json.dumps({"pages": pages, "dataset": dataset}) + "\n")


def run_probe(env, paths):
    result = subprocess.run(  # noqa: S603
        [PYTHON, __file__, "_probe", *paths],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode:
        raise SystemExit(f"The in-process probe failed:\n{result.stderr[-3000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


# --- One backend, end to end ----------------------------------------------------------------


def bench_backend(backend, options):
    say(f"== {backend.label} ==")
    log = backend.workdir / f"{backend.name}.log"
    backend.create()
    timings = {}
    try:
        env = backend.manage_env()
        timings["migrate"] = manage(["migrate", "--noinput"], env, log)
        timings["seed_demo"] = manage(["seed_demo"], env, log)
        say(f"seed_scale --workshops {options.workshops} …")
        timings["seed_scale"] = manage(
            ["seed_scale", "--workshops", str(options.workshops)], env, log
        )
        manage(["shell", "-c", BARE_PAGE_CODE], env, log)
        if options.analyze:
            manage(["shell", "-c", ANALYZE_CODE], env, log)
        manage(["collectstatic", "--noinput"], backend.server_env(), log)
        say(
            f"setup: migrate {timings['migrate']:.0f} s, seed_demo {timings['seed_demo']:.0f} s, "
            f"seed_scale {timings['seed_scale']:.0f} s"
        )
        paths = [path for _label, path in PAGES]
        probed = run_probe(backend.server_env(), paths)
        for path, page in probed["pages"].items():
            if page["status"] != 200:
                raise SystemExit(f"{path} answered {page['status']} in-process (log: {log})")
        server = Gunicorn(backend.server_env(), options.workers, log)
        try:
            result = measure(server, paths, options, backend.workdir)
        finally:
            server.stop()
        return {
            "backend": backend,
            "version": backend.version(),
            "timings": timings,
            "probe": probed,
            **result,
        }
    finally:
        if not options.keep:
            backend.drop()


def measure(server, paths, options, workdir):
    server.wait_ready(concrete(paths[0], "ready"))
    for path in paths:
        status, _body = fetch(server.port, concrete(path, "check"))
        if status != 200:
            raise SystemExit(f"gunicorn answered {status} on {path} (log: {server.log.name})")
    load = load_wrk if options.client == "wrk" else load_threads
    peaks = {}
    sampling = threading.Event()

    def sample():  # VmHWM is the kernel's own peak; sampling VmRSS only confirms it
        while not sampling.wait(0.5):
            for pid in server.worker_pids():
                peaks[pid] = max(peaks.get(pid, 0), memory_kib(pid, "VmRSS"))

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for path in paths:
        say(f"warm-up {path}")
        load(server.port, path, options.warmup, options.concurrency, workdir)
        server.wait_idle()
    runs = {path: [] for path in paths}
    for round_ in range(options.rounds):
        for path in paths:  # pages alternate so that a noisy neighbour hits them all alike
            run = load(server.port, path, options.duration, options.concurrency, workdir)
            server.wait_idle()
            runs[path].append(run)
            say(
                f"round {round_ + 1} {path}: {run['requests'] / run['seconds']:.1f} req/s, "
                f"p50 {run['p50']:.1f} ms, p95 {run['p95']:.1f} ms, errors {run['errors']}"
            )
    sampling.set()
    sampler.join()
    workers = server.worker_pids()
    memory = {
        "workers_hwm": [memory_kib(pid, "VmHWM") for pid in workers],
        "workers_sampled": list(peaks.values()),
        "master_hwm": memory_kib(server.process.pid, "VmHWM"),
    }
    return {"results": {path: combine(runs[path]) for path in paths}, "memory": memory}


# --- Report ---------------------------------------------------------------------------------


def machine():
    cpu = ""
    with contextlib.suppress(OSError):
        found = re.search(r"^model name\s*:\s*(.+)$", Path("/proc/cpuinfo").read_text(), re.M)
        cpu = found[1].strip() if found else ""
    memory = ""
    with contextlib.suppress(OSError):
        found = re.search(r"^MemTotal:\s*(\d+) kB", Path("/proc/meminfo").read_text(), re.M)
        memory = f", {int(found[1]) / 1024 / 1024:.0f} GiB RAM" if found else ""
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (
        f"{cpus} CPUs ({cpu or platform.machine()}){memory}, {platform.system()} "
        f"{platform.release()}, Python {platform.python_version()}"
    )


def versions():
    names = ["Django", "wagtail", "gunicorn", "modelsearch"]
    return ", ".join(f"{name} {metadata.version(name)}" for name in names)


def client_label(options):
    if options.client == "wrk":
        found = subprocess.run(  # noqa: S603
            ["wrk", "--version"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        version = found.stdout.split()[1] if found.stdout.split()[1:] else ""
        threads = min(2, options.concurrency)
        return f"wrk {version}, {threads} threads, {options.concurrency} connections"
    return f"threaded Python client (http.client), {options.concurrency} connections"


def pct(ratio):
    return f"{ratio * 100:.0f} %"


def mib(kib):
    return f"{kib / 1024:.0f} MiB"


def section(report, options):
    backend = report["backend"]
    results = report["results"]
    probed = report["probe"]
    dataset = probed["dataset"]
    bare = results[PAGES[0][1]]["rate"]
    lines = [
        f"## {report['date']} — {backend.label}",
        "",
        f"- Machine: {report['machine']}; load average {report['load']} when the run started.",
        f"- Database: {report['version']} (scratch database"
        + (", kept)." if options.keep else ", dropped afterwards)."),
        f"- Software: {versions()}.",
        f"- Server: `gunicorn cms.wsgi --workers {options.workers}` (sync workers), settings "
        f"{backend.settings_label}; Django cache in each worker's memory (no `REDIS_URL`).",
        f"- Load: {client_label(options)} on the same machine; per page {options.warmup} s of "
        f"warm-up, then {options.rounds} rounds × {options.duration} s, pages alternating.",
        f"- Dataset: {dataset['workshops']:,} live workshops ({options.workshops:,} from "
        f"`seed_scale`, the rest from `seed_demo`), {dataset['workshops_upcoming']:,} with an "
        f"upcoming session; {dataset['sessions']:,} sessions ({dataset['sessions_upcoming']:,} "
        f"upcoming); {dataset['enrollments']:,} enrolments. `seed_scale` took "
        f"{report['timings']['seed_scale']:.0f} s. Planner statistics: "
        + ("`ANALYZE` after loading." if options.analyze else "none (`--no-analyze`)."),
        "",
        "| page | URL | req/s | p50 ms | p95 ms | vs bare page | alone ms | SQL queries (ms) "
        "| HTML KiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    verdicts = []
    for index, (label, path) in enumerate(PAGES):
        result = results[path]
        page = probed["pages"][path]
        ratio = result["rate"] / bare if bare else 0
        if index == 0:
            versus = "100 %"
        else:
            verdict = "PASS" if ratio >= TARGET else "FAIL"
            verdicts.append((label, ratio, verdict, is_miss(path)))
            versus = f"{pct(ratio)} {verdict}"
        errors = f" ({result['errors']} errors)" if result["errors"] else ""
        lines.append(
            f"| {label} | `{concrete(path, 'N')}` | {result['rate']:.1f}{errors} | "
            f"{result['p50']:.0f} | {result['p95']:.0f} | {versus} | {page['alone_ms']:.0f} | "
            f"{page['queries']} ({page['sql_ms']:.0f}) | {page['bytes'] / 1024:.0f} |"
        )
    memory = report["memory"]
    hwm = memory["workers_hwm"] or [0]
    warm = [verdict for verdict in verdicts if not verdict[3]]
    overall = "PASS" if all(verdict == "PASS" for _l, _r, verdict, _m in warm) else "FAIL"
    lines += [
        "",
        f"**Target: the catalogue serves ≥ {pct(TARGET)} of the bare page's request rate — "
        f"{overall}** with its listing cache warm ("
        + "; ".join(f"{label}: {pct(ratio)}" for label, ratio, _v, miss in verdicts if not miss)
        + "). Every request a cache miss (a query string nobody asked for in the last minute): "
        + "; ".join(f"{label}: {pct(ratio)}" for label, ratio, _v, miss in verdicts if miss)
        + ".",
        "",
        f"Peak resident memory (VmHWM) of the gunicorn workers: {mib(max(hwm))} for the largest, "
        f"{mib(sum(hwm))} for the {len(hwm)} together; master {mib(memory['master_hwm'])}.",
        "",
    ]
    return "\n".join(lines), overall


HEADER = """# Benchmarks

Written by `make bench` (`bench/run.py`), which rewrites this file with its latest run.
Reproduce with `make bench` (SQLite only) or `make bench BENCH_ARGS=--both` (SQLite, then
PostgreSQL at `{server}/{db}`, a database the run creates and drops;
`.venv/bin/python bench/run.py --help` lists the options).

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


def marker_lines(text):
    """Where each marker line of MARKERS starts in text: {marker: offset}."""
    found = {}
    for marker in MARKERS:
        if match := re.search(rf"^{re.escape(marker)}$", text, re.MULTILINE):
            found[marker] = match.start()
    return found


def replace_section(text, marker, section):
    """text with marker's section (its marker line up to the next marker line, or the end)
    replaced by section, which starts with the marker line; appended when text has none."""
    found = marker_lines(text)
    if marker not in found:
        return f"{text.rstrip()}\n\n{section}" if text.strip() else section
    start = found[marker]
    after = [offset for offset in found.values() if offset > start]
    rest = text[min(after) :] if after else ""
    head = text[:start].rstrip()
    text = f"{head}\n\n{section}" if head else section
    return f"{text.rstrip()}\n\n{rest}" if rest else text


def kept_tail():
    """The parts of BENCHMARKS.md other scripts write: from the first marker to the end."""
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    found = marker_lines(current)
    return current[min(found.values()) :] if found else ""


def write(reports, options):
    sections = [section(report, options)[0] for report in reports]
    text = HEADER.format(server=POSTGRES_SERVER, db=POSTGRES_DB) + "\n".join(sections)
    if tail := kept_tail():
        text = f"{text.rstrip()}\n\n{tail}"
    OUTPUT.write_text(text, encoding="utf-8")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite.")
    where.add_argument("--both", action="store_true", help="SQLite, then PostgreSQL.")
    parser.add_argument("--workshops", type=int, default=10_000)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
    parser.add_argument("--concurrency", type=int, default=8, help="Concurrent connections.")
    parser.add_argument("--duration", type=int, default=15, help="Seconds per page and round.")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--warmup", type=int, default=3, help="Seconds of warm-up per page.")
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="Load generator (default: wrk when installed).",
    )
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="Skip ANALYZE after loading (SQLite then plans without statistics).",
    )
    parser.add_argument("--keep", action="store_true", help="Keep the scratch databases.")
    parser.add_argument("--no-write", action="store_true", help="Leave BENCHMARKS.md alone.")
    parser.add_argument("--strict", action="store_true", help="Exit 1 when the target is missed.")
    options = parser.parse_args()

    workdir = Path(tempfile.mkdtemp(prefix="entrepairs-bench-"))
    kinds = [SQLiteBackend, PostgresBackend] if options.both else []
    kinds = kinds or [PostgresBackend if options.postgres else SQLiteBackend]
    reports, verdicts = [], []
    try:
        for kind in kinds:
            load_average = " / ".join(f"{value:.2f}" for value in os.getloadavg())
            report = bench_backend(kind(workdir), options)
            report.update(
                date=datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
                machine=machine(),
                load=load_average,
            )
            reports.append(report)
            text, overall = section(report, options)
            verdicts.append(overall)
            say("\n" + text)
            for path, page in report["probe"]["pages"].items():
                for count, sql in page["repeated"]:
                    say(f"  {path}: {count}× {sql}")
                for ms, sql in page["slowest"][:3]:
                    if ms >= 1:
                        say(f"  {path}: {ms:.1f} ms {sql}")
            if not options.no_write:  # after each backend: a later failure keeps this one
                write(reports, options)
    finally:
        if not options.keep:
            shutil.rmtree(workdir, ignore_errors=True)
        else:
            say(f"Scratch files kept in {workdir}")
    if not options.no_write:
        say(f"Written to {OUTPUT.relative_to(ROOT)}.")
    if options.strict and "FAIL" in verdicts:
        raise SystemExit(1)


if __name__ == "__main__":
    if sys.argv[1:2] == ["_probe"]:
        probe(sys.argv[2:])
    else:
        main()
