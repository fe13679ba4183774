"""The figures of each suite, one JSON file per suite (`bench/results/<suite>.json`, committed
after a real run); BENCHMARKS.md is rendered from them. A `--quick` run marks its files
`"quick": true` and writes them elsewhere: the report refuses to render them into BENCHMARKS.md."""

import json
from pathlib import Path

from bench.harness.processes import ROOT

RESULTS = ROOT / "bench" / "results"


def path(directory, suite):
    return Path(directory) / f"{suite}.json"


def save(result, directory):
    target = path(directory, result["suite"])
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    return target


def load(directory, suites):
    """{suite: result} for the suites that have a file in `directory`."""
    found = {}
    for suite in suites:
        if (target := path(directory, suite)).exists():
            found[suite] = json.loads(target.read_text(encoding="utf-8"))
    return found
