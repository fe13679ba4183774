"""One module per suite, in the order `python -m bench` runs them and BENCHMARKS.md shows them.

A suite module has `add_arguments(parser)`, `QUICK` (its options for `--quick`, a small smoke
run) and `run(options, workdir)`, which returns its figures as plain data (JSON-serialisable);
what runs inside Django lives beside it in `<suite>_measures.py`, where every import of the
application's code for that suite is made, at the top.
"""

SUITES = ("catalogue", "enrolment", "badges", "indicators", "pix_import")
