"""Every module of `bench/` imports, with the application's code it names: a moved service,
model or task breaks this test, not the next `make bench`. Nothing is measured here."""

import importlib
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bench.suites import SUITES

ROOT = Path(__file__).resolve().parents[2]
# Modules that replace the URLconf or the Celery app's default queue when imported: each is
# imported in a process of its own, as the suite's gunicorn and worker do.
ALONE = ["bench.suites.badges_wsgi", "bench.suites.badges_worker"]


def bench_modules():
    found = []
    for path in sorted((ROOT / "bench").rglob("*.py")):
        name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
        if name.endswith(".__init__"):
            name = name.removesuffix(".__init__")
        if name not in ALONE:
            found.append(name)
    return found


@pytest.mark.parametrize("name", bench_modules())
def test_bench_module_imports(name):
    assert importlib.import_module(name).__name__ == name  # an import error fails it first


@pytest.mark.parametrize("suite", SUITES)
def test_each_suite_has_the_interface_python_m_bench_calls(suite):
    module = importlib.import_module(f"bench.suites.{suite}")
    assert callable(module.add_arguments)
    assert callable(module.run)
    assert isinstance(module.QUICK, list)
    # Its measures, inside Django, with their app imports at the top.
    importlib.import_module(f"bench.suites.{suite}_measures")


@pytest.mark.parametrize("name", ALONE)
def test_server_and_worker_modules_import_in_their_own_process(name):
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "cms.settings.test"}
    env.pop("DATABASE_URL", None)
    env.pop("CELERY_BROKER_URL", None)
    result = subprocess.run(
        [sys.executable, "-c", f"import django; django.setup(); import {name}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
