"""The processes a benchmark starts and stops, and what they cost (CPU, memory, from /proc).

`manage` runs a management command; `django_child` runs one function of a suite's `*_measures`
module in a fresh interpreter with Django set up (`bench/harness/child.py`), its JSON result
back; `Gunicorn` and `CeleryWorker` are the servers the suites measure through.
"""

import contextlib
import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PYTHON = sys.executable
VENV_BIN = Path(sys.executable).parent


def say(message=""):
    """Progress of the parent process, on stdout."""
    sys.stdout.write(f"{message}\n")
    sys.stdout.flush()


def note(message):
    """Progress of a child process, on stderr: its stdout carries the JSON result."""
    sys.stderr.write(f"  {message}\n")
    sys.stderr.flush()


def manage(args, env, log):
    """`manage.py ARGS` with its output appended to `log`; the seconds it took."""
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


# --- Django child processes -------------------------------------------------------------------


def start_django_child(env, function, *args):
    """Start `function` (a dotted path, e.g. `bench.suites.enrolment_measures.measure`) in a
    fresh interpreter with Django set up from `env`; read its result with `child_result`."""
    return subprocess.Popen(  # noqa: S603
        [PYTHON, "-m", "bench.harness.child", function, json.dumps(args)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )


def child_result(process, timeout=None):
    """The JSON a child wrote as its last line of stdout (its progress went to stderr)."""
    try:
        output = process.communicate(timeout=timeout)[0]
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        raise SystemExit(f"{process.args[3]} timed out after {timeout} s") from None
    if process.returncode:
        raise SystemExit(f"{process.args[3]} failed ({process.returncode})")
    return json.loads(output.strip().splitlines()[-1])


def django_child(env, function, *args, timeout=None):
    """`function(*args)` in a fresh interpreter with Django set up: its JSON result."""
    return child_result(start_django_child(env, function, *args), timeout=timeout)


# --- Servers ----------------------------------------------------------------------------------


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def http_get(port, path, headers=None, timeout=30):
    """(status, headers, body) of one GET to the local server on `port`."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def stop_process(process, log):
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)  # gunicorn's graceful, Celery's warm shutdown
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    log.close()


class Gunicorn:
    """`gunicorn APP --workers N` (sync workers) on a free local port."""

    def __init__(self, env, workers, log, app="cms.wsgi"):
        self.port = free_port()
        self.workers = workers
        self.log = open(log, "a", encoding="utf-8")  # closed in stop()
        command = [
            str(VENV_BIN / "gunicorn"),
            app,
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
                status = http_get(self.port, path, timeout=10)[0]
                if status == 200 and len(self.worker_pids()) == self.workers:
                    return
            time.sleep(0.5)
        raise SystemExit(f"gunicorn did not answer 200 on {path} within {timeout} s")

    def worker_pids(self):
        return children_of(self.process.pid)

    def wait_idle(self, timeout=120):
        """Let the workers finish the requests a load run left queued before the next one."""
        deadline = time.monotonic() + timeout
        before = cpu_ticks(self.worker_pids())
        while time.monotonic() < deadline:
            time.sleep(0.3)
            now = cpu_ticks(self.worker_pids())
            if now - before <= 1:
                return
            before = now

    def stop(self):
        stop_process(self.process, self.log)


class CeleryWorker:
    """`celery -A APP worker` (prefork), without gossip, mingle or heartbeat."""

    def __init__(self, env, log, *, app, concurrency, name):
        self.log = open(log, "a", encoding="utf-8")  # closed in stop()
        self.process = subprocess.Popen(  # noqa: S603
            [
                PYTHON,
                "-m",
                "celery",
                "-A",
                app,
                "worker",
                "--loglevel=WARNING",
                f"--concurrency={concurrency}",
                "--pool=prefork",
                f"--hostname={name}-{os.getpid()}@%h",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env=env,
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )
        self.pid = self.process.pid

    def stop(self):
        stop_process(self.process, self.log)


# --- CPU and memory, from /proc ---------------------------------------------------------------

TICKS = os.sysconf("SC_CLK_TCK")


def children_of(pid):
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        return [int(child) for child in children.read_text().split()]
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                pids.append(int(stat.parent.name))
    return pids


def process_tree(pid):
    found, pending = [], [pid]
    while pending:
        current = pending.pop()
        found.append(current)
        with contextlib.suppress(OSError, ValueError):
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pending.extend(int(child) for child in children)
    return found


def cpu_ticks(pids):
    total = 0
    for pid in pids:
        with contextlib.suppress(OSError, IndexError, ValueError):
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime + stime
    return total


def cpu_of(pids):
    return cpu_ticks(pids) / TICKS


def postgres_pids():
    pids = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError):
            if stat.read_text().split(" (", 1)[1].startswith("postgres)"):
                pids.append(int(stat.parent.name))
    return pids


def machine_cpu():
    """(busy, total) CPU seconds of the whole machine since boot, from /proc/stat."""
    fields = [int(value) for value in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return (sum(fields[:8]) - idle) / TICKS, sum(fields[:8]) / TICKS


class CpuWindow:
    """CPU seconds used by a process tree (a worker), by the PostgreSQL server (every session)
    and by the whole machine between start() and stop(): the machine is shared, so a figure says
    who used it."""

    def __init__(self, pid):
        self.pid = pid

    def sample(self):
        busy, total = machine_cpu()
        return {
            "worker": cpu_of(process_tree(self.pid)),
            "postgres": cpu_of(postgres_pids()),
            "busy": busy,
            "total": total,
            "wall": time.perf_counter(),
        }

    def start(self):
        self.before = self.sample()

    def stop(self):
        after = self.sample()
        used = {name: after[name] - self.before[name] for name in after}
        used["cpus"] = used["total"] / used["wall"] if used["wall"] else 0
        return used


def memory_kib(pid="self", field="VmRSS"):
    """VmRSS (now) or VmHWM (peak resident set) of a process, in KiB, from /proc."""
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1])
    return 0


def reset_peak():
    """Make this process's VmHWM start again from its current RSS (Linux ≥ 4.0), so that a peak
    is one step's own; False where the kernel does not allow it."""
    with contextlib.suppress(OSError), open("/proc/self/clear_refs", "w") as refs:
        refs.write("5")
        return True
    return False
