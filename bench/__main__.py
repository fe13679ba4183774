"""`python -m bench [options] [SUITE [suite options]] …`: run the benchmark suites (all of them
when none is named), save each one's figures as `bench/results/<suite>.json` and render
BENCHMARKS.md from them (`bench/report.py`).

Options before the first suite name are `python -m bench`'s own (below) or given to every suite
named, each ignoring those it does not know (`--duration 5` sets the catalogue's and the badges'
load); options after a suite name are that suite's alone:

    python -m bench --both                      every suite, SQLite then PostgreSQL
    python -m bench enrolment --samples 5 badges --awards 300
    python -m bench --quick                     a small smoke run of every suite
    python -m bench catalogue --help            a suite's options

`--quick` runs each suite small (its `QUICK` options, which the command line overrides), writes
its results and a rendered BENCHMARKS.md to a temporary directory (or --results) and never
touches bench/results/ or BENCHMARKS.md.
"""

import argparse
import importlib
import json
import shlex
import shutil
import sys
import tempfile
from pathlib import Path

from bench import report
from bench.harness import databases
from bench.harness import results as stored
from bench.harness.processes import say
from bench.suites import SUITES


def global_parser():
    parser = argparse.ArgumentParser(
        prog="python -m bench",
        usage="python -m bench [options] [SUITE [suite options]] …",
        description="Run the benchmark suites, save their figures as JSON, render BENCHMARKS.md.",
        epilog=f"Suites: {', '.join(SUITES)} (`python -m bench SUITE --help`).",
        allow_abbrev=False,
    )
    parser.add_argument("--quick", action="store_true", help="A small smoke run of each suite.")
    parser.add_argument(
        "--results",
        help="Where the JSON results go (default bench/results/, a temporary one with --quick).",
    )
    parser.add_argument("--no-report", action="store_true", help="Leave BENCHMARKS.md alone.")
    parser.add_argument("--strict", action="store_true", help="Exit 1 when a target is missed.")
    databases.add_arguments(parser)
    return parser


def suite_parser(name, module):
    parser = argparse.ArgumentParser(
        prog=f"python -m bench {name}",
        description=module.__doc__.split("\n\n")[0],
        allow_abbrev=False,
    )
    module.add_arguments(parser)
    return parser


def split(argv):
    """(tokens before the first suite name, [(suite, its tokens), …])."""
    head, groups = [], []
    for token in argv:
        if token in SUITES:
            groups.append((token, []))
        elif groups:
            groups[-1][1].append(token)
        else:
            head.append(token)
    return head, groups


def parse(argv):
    """The global options and, per suite to run, its options (globals included)."""
    head, groups = split(argv)
    parser = global_parser()
    options, shared = parser.parse_known_args(head)
    selected = {}
    for name, tokens in groups or [(name, []) for name in SUITES]:
        selected.setdefault(name, []).extend(tokens)
    unknown_everywhere = None
    runs = []
    for name, own in selected.items():
        module = importlib.import_module(f"bench.suites.{name}")
        suite = suite_parser(name, module)
        _checked, unknown = suite.parse_known_args(own)
        if unknown:
            suite.error(f"unrecognized arguments: {' '.join(unknown)}")
        quick = module.QUICK if options.quick else []
        suite_options, ignored = suite.parse_known_args([*quick, *shared, *own])
        unknown_everywhere = (
            set(ignored) if unknown_everywhere is None else unknown_everywhere & set(ignored)
        )
        for key, value in vars(options).items():
            setattr(suite_options, key, value)
        command = shlex.join(["python", "-m", "bench", *head, name, *own])
        runs.append((name, module, suite_options, command))
    if unknown_everywhere:
        parser.error(f"no suite knows: {' '.join(sorted(unknown_everywhere))}")
    return options, runs


def main(argv=None):
    options, runs = parse(sys.argv[1:] if argv is None else argv)
    if options.quick:
        directory = Path(options.results or tempfile.mkdtemp(prefix="entrepairs-bench-quick-"))
        if directory.resolve() == stored.RESULTS.resolve():
            raise SystemExit("--quick never writes to bench/results/: choose another --results")
        output = directory / "BENCHMARKS.md"
    else:
        directory = Path(options.results) if options.results else stored.RESULTS
        output = report.OUTPUT
    verdicts = []
    for name, module, suite_options, command in runs:
        workdir = Path(tempfile.mkdtemp(prefix=f"entrepairs-bench-{name}-"))
        try:
            figures = module.run(suite_options, workdir)
        finally:
            if suite_options.keep:
                say(f"Scratch files kept in {workdir}")
            else:
                shutil.rmtree(workdir, ignore_errors=True)
        result = {
            "suite": name,
            "quick": options.quick,
            "command": command,
            "options": json.loads(json.dumps(vars(suite_options))),
            **figures,
        }
        previous = stored.load(directory, [name]).get(name)
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        report.carry_history(result, previous, current)
        say(f"\n{report.render_suite(result)}\n")
        say(f"Saved to {stored.save(result, directory)}.")
        verdicts.append(report.suite_verdict(result))
        if not options.no_report:  # after each suite: a later failure keeps this one's figures
            say(f"Written to {report.write(directory, output, quick=options.quick)}.")
    if options.strict and "FAIL" in verdicts:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
