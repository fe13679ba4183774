"""The machine and software a run measured on, as the report prints them."""

import contextlib
import os
import platform
import re
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path


def machine():
    """`2 CPUs (model), 24 GiB RAM, Linux 6.x, Python 3.13.0`."""
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


def versions(names):
    """`Django 6.1.3, wagtail 8.0.1, …` for the installed distributions among `names`."""
    found = []
    for name in names:
        with contextlib.suppress(metadata.PackageNotFoundError):
            found.append(f"{name} {metadata.version(name)}")
    return ", ".join(found)


def load_average():
    return " / ".join(f"{value:.2f}" for value in os.getloadavg())


def now(utc=False):
    """The date a run started, as the report prints it."""
    if utc:
        return datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    return datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z")


def describe():
    """When and on what a run started: its date, the machine and its load average then."""
    return {"date": now(), "machine": machine(), "load": load_average()}
