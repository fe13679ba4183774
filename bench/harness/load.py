"""The load generator: a closed loop of concurrent connections against a local server for a
fixed time, with wrk when it is installed (`wrk_report.lua`), a threaded Python client otherwise.

A load is a list of requests `(path, headers)` taken in turn; `{n}` in a path becomes a value no
request used before (a query string no cache has seen).
"""

import os
import re
import shutil
import statistics
import subprocess
import threading
import time
from collections import Counter
from pathlib import Path

from bench.harness.processes import http_get

WRK_SCRIPT = Path(__file__).with_name("wrk_report.lua")
FRESH = "{n}"


def add_arguments(parser, *, duration, warmup, unit):
    """The options of a suite that measures a server under load (`unit`: "page", "row")."""
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers (default 2).")
    parser.add_argument("--concurrency", type=int, default=8, help="Concurrent connections.")
    parser.add_argument(
        "--duration", type=int, default=duration, help=f"Seconds per {unit} and round."
    )
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument(
        "--warmup", type=int, default=warmup, help=f"Seconds of warm-up per {unit}."
    )
    parser.add_argument(
        "--client",
        choices=["wrk", "python"],
        default="wrk" if shutil.which("wrk") else "python",
        help="Load generator (default: wrk when installed).",
    )


def concrete(path, n):
    return path.replace(FRESH, str(n))


def client_label(client, concurrency):
    if client == "wrk":
        found = subprocess.run(
            ["wrk", "--version"],  # noqa: S607
            capture_output=True,
            text=True,
            check=False,
        )
        version = found.stdout.split()[1] if found.stdout.split()[1:] else ""
        return f"wrk {version}, {min(2, concurrency)} threads, {concurrency} connections"
    return f"threaded Python client (http.client), {concurrency} connections"


def run(client, port, requests, duration, concurrency, workdir):
    """One load run: requests, seconds, errors and latencies (or wrk's percentiles), in ms."""
    load = load_wrk if client == "wrk" else load_threads
    return load(port, requests, duration, concurrency, workdir)


def lua_string(text):
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def load_wrk(port, requests, duration, concurrency, workdir):
    table = Path(workdir) / "wrk-requests.lua"
    entries = ",\n".join(
        "{"
        + lua_string(path)
        + ", {"
        + ", ".join(f"[{lua_string(k)}] = {lua_string(v)}" for k, v in headers.items())
        + "}}"
        for path, headers in requests
    )
    table.write_text("return {\n" + entries + "\n}\n", encoding="utf-8")
    command = [
        "wrk",
        f"-t{min(2, concurrency)}",
        f"-c{concurrency}",
        f"-d{duration}s",
        "--timeout",
        "30s",
        "-s",
        str(WRK_SCRIPT),
        f"http://127.0.0.1:{port}{concrete(requests[0][0], 0)}",
    ]
    output = subprocess.run(  # noqa: S603
        command,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "BENCH_WRK_REQUESTS": str(table)},
    ).stdout
    match = re.search(r"^BENCH (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+)$", output, re.MULTILINE)
    if not match:
        raise SystemExit(f"Unexpected wrk output:\n{output}")
    count, micros, p50, p95, p99, top, errors = (int(value) for value in match.groups())
    return {
        "requests": count,
        "seconds": micros / 1e6,
        "latencies": None,
        "p50": p50 / 1000,
        "p95": p95 / 1000,
        "p99": p99 / 1000,
        "max": top / 1000,
        "errors": errors,
    }


def load_threads(port, requests, duration, concurrency, workdir):
    """`concurrency` clients in threads, one connection per request (gunicorn's sync workers
    close each connection)."""
    latencies, failures = [], Counter()
    lock = threading.Lock()
    deadline = time.perf_counter() + duration

    def client(number):
        mine, failed, turn = [], 0, number * 37
        while time.perf_counter() < deadline:
            path, headers = requests[turn % len(requests)]
            turn += 1
            began = time.perf_counter()
            try:
                status = http_get(port, concrete(path, f"{number}-{turn}"), headers)[0]
            except OSError:
                status = None
            if status in (200, 304):
                mine.append((time.perf_counter() - began) * 1000)
            else:
                failed += 1
        with lock:
            latencies.extend(mine)
            failures["failed"] += failed

    started = time.perf_counter()
    threads = [threading.Thread(target=client, args=(n,)) for n in range(concurrency)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return {
        "requests": len(latencies) + failures["failed"],
        "seconds": time.perf_counter() - started,
        "latencies": latencies,
        "errors": failures["failed"],
    }


def combine(runs):
    """The rounds of one row: total requests over total time; latency percentiles of all the
    requests (threaded client) or each round's averaged by weight (wrk)."""
    requests = sum(run["requests"] for run in runs)
    weight = requests or 1
    result = {
        "requests": requests,
        "rate": requests / sum(run["seconds"] for run in runs),
        "errors": sum(run["errors"] for run in runs),
    }
    if runs[0]["latencies"] is None:
        for name in ("p50", "p95", "p99"):
            result[name] = sum(run[name] * run["requests"] for run in runs) / weight
        result["max"] = max(run["max"] for run in runs)
    else:
        latencies = [ms for run in runs for ms in run["latencies"]] or [0.0]
        cuts = statistics.quantiles(latencies, n=100) if len(latencies) > 1 else latencies * 99
        result.update(p50=cuts[49], p95=cuts[94], p99=cuts[98], max=max(latencies))
    return result
