"""The workshop catalogue under gunicorn, next to a bare Wagtail page, same run.

On a scratch database (a SQLite file in a temporary directory; PostgreSQL with --postgres, both
with --both) it runs migrate, seed_demo and `seed_scale --workshops 10000`, creates a bare
standard page, starts gunicorn with DEBUG off, and measures each page's request rate and latency
with concurrent connections. In-process, apart from the timing, it counts the SQL queries of one
request per page. Target: the catalogue serves at least half the bare page's request rate.
"""

import threading
from urllib.parse import urlencode

from bench.harness import databases, environment, load
from bench.harness.processes import Gunicorn, django_child, http_get, manage, memory_kib, say

MEASURES = "bench.suites.catalogue_measures"
TARGET = 0.5  # the catalogue serves at least half the bare page's request rate
QUICK = ["--workshops", "300", "--duration", "2", "--rounds", "1", "--warmup", "1"]

BARE_SLUG = "banc-essai"
FILTERS = "/ateliers/?" + urlencode(
    {"theme": "enseigner", "modality": "distanciel", "q": "numérique"}
)
# A fresh value on every request: a query string the catalogue's listing cache
# (cotraining/catalogue_cache.py) has never seen, so each request computes its listing.
MISS = f"_bench={load.FRESH}"
PAGES = [
    ("bare Wagtail page (StandardPage)", f"/{BARE_SLUG}/"),
    ("catalogue, first page", "/ateliers/"),
    ("catalogue, 2 filters + search", FILTERS),
    ("catalogue, first page, cache miss", f"/ateliers/?{MISS}"),
    ("catalogue, 2 filters + search, cache miss", f"{FILTERS}&{MISS}"),
]


def add_arguments(parser):
    parser.add_argument("--workshops", type=int, default=10_000)
    load.add_arguments(parser, duration=15, warmup=3, unit="page")
    parser.add_argument(
        "--no-analyze",
        dest="analyze",
        action="store_false",
        help="Skip ANALYZE after loading (SQLite then plans without statistics).",
    )


def run(options, workdir):
    return {
        "target": TARGET,
        "postgres": f"{databases.POSTGRES_SERVER}/{options.database_prefix}",
        "runs": [
            bench_backend(backend, options) for backend in databases.backends(options, workdir)
        ],
    }


def bench_backend(backend, options):
    say(f"== Catalogue, {backend.label} ==")
    load_average = environment.load_average()
    log = backend.workdir / f"catalogue-{backend.name}.log"
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
        django_child(env, f"{MEASURES}.add_bare_page", BARE_SLUG)
        if options.analyze:
            django_child(env, f"{MEASURES}.analyze")
        manage(["collectstatic", "--noinput"], backend.server_env(), log)
        say(
            f"setup: migrate {timings['migrate']:.0f} s, seed_demo {timings['seed_demo']:.0f} s, "
            f"seed_scale {timings['seed_scale']:.0f} s"
        )
        paths = [path for _label, path in PAGES]
        probed = django_child(backend.server_env(), f"{MEASURES}.probe", paths)
        for path, page in probed["pages"].items():
            if page["status"] != 200:
                raise SystemExit(f"{path} answered {page['status']} in-process (log: {log})")
        server = Gunicorn(backend.server_env(), options.workers, log)
        try:
            measured = measure(server, paths, options, backend.workdir)
        finally:
            server.stop()
        version = backend.version()
    finally:
        if not options.keep:
            backend.drop()
    for path, page in probed["pages"].items():
        for count, sql in page["repeated"]:
            say(f"  {path}: {count}× {sql}")
        for ms, sql in page["slowest"][:3]:
            if ms >= 1:
                say(f"  {path}: {ms:.1f} ms {sql}")
    return {
        "backend": backend.label,
        "settings": backend.settings_label,
        "database": version,
        **environment.describe(),
        "load": load_average,
        "software": environment.versions(["Django", "wagtail", "gunicorn", "modelsearch"]),
        "client": load.client_label(options.client, options.concurrency),
        "timings": timings,
        "dataset": probed["dataset"],
        "pages": [
            {
                "label": label,
                "path": path,
                "miss": load.FRESH in path,
                **measured["results"][path],
                **probed["pages"][path],
            }
            for label, path in PAGES
        ],
        "memory": measured["memory"],
    }


def measure(server, paths, options, workdir):
    server.wait_ready(load.concrete(paths[0], "ready"))
    for path in paths:
        status = http_get(server.port, load.concrete(path, "check"))[0]
        if status != 200:
            raise SystemExit(f"gunicorn answered {status} on {path} (log: {server.log.name})")
    peaks = {}
    sampling = threading.Event()

    def sample():  # VmHWM is the kernel's own peak; sampling VmRSS only confirms it
        while not sampling.wait(0.5):
            for pid in server.worker_pids():
                peaks[pid] = max(peaks.get(pid, 0), memory_kib(pid, "VmRSS"))

    def one_run(path, seconds):
        return load.run(
            options.client, server.port, [(path, {})], seconds, options.concurrency, workdir
        )

    sampler = threading.Thread(target=sample, daemon=True)
    sampler.start()
    for path in paths:
        say(f"warm-up {path}")
        one_run(path, options.warmup)
        server.wait_idle()
    runs = {path: [] for path in paths}
    for round_ in range(options.rounds):
        for path in paths:  # pages alternate so that a noisy neighbour hits them all alike
            found = one_run(path, options.duration)
            server.wait_idle()
            runs[path].append(found)
            say(
                f"round {round_ + 1} {path}: {found['requests'] / found['seconds']:.1f} req/s, "
                f"errors {found['errors']}"
            )
    sampling.set()
    sampler.join()
    workers = server.worker_pids()
    memory = {
        "workers_hwm": [memory_kib(pid, "VmHWM") for pid in workers],
        "workers_sampled": list(peaks.values()),
        "master_hwm": memory_kib(server.process.pid, "VmHWM"),
    }
    return {"results": {path: load.combine(runs[path]) for path in paths}, "memory": memory}
