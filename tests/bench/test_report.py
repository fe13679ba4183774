"""BENCHMARKS.md rendered from the suites' JSON results (`bench/report.py`), and the command line
of `python -m bench`. The figures are a small fixture (tests/bench/results/): nothing is timed."""

import copy
from pathlib import Path

import pytest

from bench import report
from bench.__main__ import parse
from bench.harness import results as stored
from bench.suites import SUITES

FIXTURES = Path(__file__).with_name("results")


@pytest.fixture
def results():
    return copy.deepcopy(stored.load(FIXTURES, SUITES))


def headings(text):
    return [line for line in text.splitlines() if line.startswith(("# ", "## ", "<!-- "))]


def test_the_fixture_has_every_suite(results):
    assert list(results) == list(SUITES)
    assert not any(result["quick"] for result in results.values())


def test_every_section_in_order_each_suite_after_its_marker(results):
    text = report.render(results)
    assert headings(text) == [
        "# Benchmarks",
        "## 2026-12-01 10:00 UTC — SQLite",
        "## 2026-12-01 10:05 UTC — PostgreSQL",
        "<!-- enrolment -->",
        "## Enrolment",
        "<!-- badges -->",
        "## Open Badges",
        "<!-- indicators -->",
        "## Indicators (issue 7)",
        "<!-- pix-import -->",
        "## PIX import (Pix Orga CSV)",
    ]
    assert "### 2026-12-01 10:10 UTC — SQLite" in text  # an enrolment run
    assert "### académie (Toulouse)" in text and "### country" in text
    assert text.endswith("|\n")


def test_catalogue_passes_when_its_warm_pages_reach_half_the_bare_page(results):
    text = report.render(results)
    assert (
        text.count("**Target: the catalogue serves ≥ 50 % of the bare page's request rate — PASS**")
        == 2
    )
    assert "| bare Wagtail page (StandardPage) | `/banc-essai/` | 200.0 |" in text
    assert "| 100 % |" in text
    assert "| 98 % PASS |" in text  # the first page, its cache warm: 196 / 200
    assert "| 9 % FAIL |" in text  # every request a cache miss: below the target, shown
    assert "`/ateliers/?_bench=N`" in text
    assert report.suite_verdict(results["catalogue"]) == "PASS"


def test_catalogue_fails_when_a_warm_page_is_below_half(results):
    results["catalogue"]["runs"][1]["pages"][1]["rate"] = 80.0  # PostgreSQL, first page
    text = report.render(results)
    assert "request rate — PASS**" in text and "request rate — FAIL**" in text
    assert report.suite_verdict(results["catalogue"]) == "FAIL"


def test_badges_targets_and_their_verdicts(results):
    text = report.render(results)
    assert "**Targets — PASS**: awards end to end ≥ 300/s: 100/s one award per task, " in text
    assert "1000/s through the bulk-award job PASS" in text
    assert "≥ 300/s **FAIL** |" in text  # one award per task, below the target on its own row
    assert "80 % PASS; its p99 < 20 ms: 6.0 ms PASS." in text
    results["badges"]["http"]["assertion"]["p99"] = 25.0
    assert "**Targets — FAIL**" in report.render(results)
    assert report.suite_verdict(results["badges"]) == "FAIL"


def test_indicator_targets_met_or_missed(results):
    text = report.render(results)
    assert "p95 34 ms against a target of 300 ms (met)" in text
    assert "p95 55 ms against a target of 1000 ms (met)" in text
    assert "live p50 / hand SQL p50 = 1.50× (within 2×)" in text
    assert report.suite_verdict(results["indicators"]) == "PASS"
    results["indicators"]["territories"][1]["rows"][0]["p95"] = 1500
    assert "against a target of 1000 ms (missed)" in report.render(results)
    assert report.suite_verdict(results["indicators"]) == "FAIL"


def test_suites_without_a_target_have_no_verdict(results):
    assert report.suite_verdict(results["enrolment"]) is None
    assert report.suite_verdict(results["pix_import"]) is None


def test_a_suite_without_results_keeps_its_section_of_the_current_file(results):
    current = report.render(results)
    enrolment = report.section_of(current, "enrolment")
    assert enrolment.startswith("<!-- enrolment -->\n## Enrolment")
    del results["enrolment"]
    results["pix_import"]["runs"][0]["rows"][0]["seconds"] = 0.4
    text = report.render(results, current)
    assert report.section_of(text, "enrolment") == enrolment
    assert "| 2,500 |" in text  # the PIX section rendered from its (changed) result


def test_the_committed_benchmarks_md_is_reproduced_until_a_suite_has_results():
    current = report.OUTPUT.read_text(encoding="utf-8")
    for suite in SUITES:
        assert report.section_of(current, suite)
    assert report.render({}, current) == current


def test_quick_results_never_go_into_benchmarks_md(results, tmp_path):
    results["pix_import"]["quick"] = True
    with pytest.raises(SystemExit, match="--quick"):
        report.render(results)
    text = report.render(results, quick=True)
    assert text.startswith("> A `--quick` smoke run")


def test_write_renders_the_results_directory(tmp_path):
    output = report.write(FIXTURES, tmp_path / "BENCHMARKS.md")
    assert output.read_text(encoding="utf-8") == report.render(stored.load(FIXTURES, SUITES))


def test_badges_earlier_runs_carried_from_the_previous_result(results):
    previous = results["badges"]
    new = copy.deepcopy(previous)
    new["date"] = "2026-12-02 09:00 UTC"
    report.carry_history(new, previous, "")
    assert new["earlier"][0] == (
        "- 2026-12-01 10:20 UTC (load average 0.50 / 0.40 / 0.30), PASS: awards end to end ≥ "
        "300/s: 100/s one award per task, 1000/s through the bulk-award job PASS; hosted "
        "assertion JSON ≥ 70 % of the minimal JSON view's rate: 80 % PASS; its p99 < 20 ms: "
        "6.0 ms PASS."
    )
    text = report.render({"badges": new})
    assert "#### Earlier runs, for comparison\n\n- 2026-12-01 10:20 UTC" in text


OLD_BADGES_SECTION = """<!-- badges -->
## Open Badges

### 2026-11-26 05:50 UTC — PostgreSQL

- Machine: 2 CPUs (AMD EPYC); load average 0.42 / 0.91 / 1.59 when the run started.

**Targets — PASS**: awards end to end ≥ 300/s: 78/s one award per task, 1852/s PASS.

#### Earlier runs, for comparison

- 2026-11-26 05:44 UTC (load average 0.35 / 1.12 / 1.87), FAIL: awards 103/s FAIL.
- 2026-11-26 03:42 UTC, FAIL: awards 82/s FAIL.
"""


def test_badges_earlier_runs_carried_from_benchmarks_md_before_any_result(results):
    new = results["badges"]
    report.carry_history(new, None, f"# Benchmarks\n\n{OLD_BADGES_SECTION}")
    assert new["earlier"] == [
        "- 2026-11-26 05:50 UTC (load average 0.42 / 0.91 / 1.59), PASS: awards end to end ≥ "
        "300/s: 78/s one award per task, 1852/s PASS.",
        "- 2026-11-26 05:44 UTC (load average 0.35 / 1.12 / 1.87), FAIL: awards 103/s FAIL.",
        "- 2026-11-26 03:42 UTC, FAIL: awards 82/s FAIL.",
    ]


def test_command_line_shared_and_per_suite_options():
    options, runs = parse(["--both", "--duration", "5", "catalogue", "badges", "--awards", "60"])
    assert options.both and not options.quick
    assert [name for name, *_rest in runs] == ["catalogue", "badges"]
    catalogue, badges = runs[0][2], runs[1][2]
    assert (catalogue.duration, badges.duration) == (5, 5)
    assert (badges.awards, catalogue.both, badges.both) == (60, True, True)
    assert runs[1][3] == "python -m bench --both --duration 5 badges --awards 60"


def test_command_line_runs_every_suite_by_default_and_quick_is_small_but_overridable():
    _options, runs = parse(["--quick", "--scale", "0.01"])
    assert [name for name, *_rest in runs] == list(SUITES)
    indicators = {name: suite for name, _module, suite, _command in runs}["indicators"]
    assert (indicators.scale, indicators.repeat, indicators.quick) == (0.01, 3, True)


def test_command_line_refuses_an_option_no_suite_knows(capsys):
    with pytest.raises(SystemExit):
        parse(["--nonsense", "catalogue"])
    with pytest.raises(SystemExit):
        parse(["pix_import", "--awards", "3"])  # a badges option given to the PIX suite
    assert "unrecognized arguments: --awards 3" in capsys.readouterr().err
