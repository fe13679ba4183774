"""The benchmarks: `python -m bench [suite …]` (`make bench`), never the test suite.

`harness/` starts and stops what a measure needs (processes, load generator, scratch databases,
the machine's description); `suites/` has one module per suite, returning its figures as plain
data, saved as `results/<suite>.json`; `report.py` writes BENCHMARKS.md from those files.
"""
