"""`python -m bench.harness.child FUNCTION ARGS`: one function of a suite's `*_measures` module,
run in this fresh interpreter once Django is set up (settings and database from the environment
the parent chose). ARGS is a JSON list; the function's JSON-serialisable result is written as
the last line of stdout, its progress goes to stderr (`processes.note`)."""

import importlib
import json
import sys
import warnings


def main(argv):
    target, arguments = argv[1], json.loads(argv[2]) if len(argv) > 2 else []
    # WhiteNoise warns once that STATIC_ROOT is missing: the test client serves no static file.
    warnings.filterwarnings("ignore", message="No directory at")
    import django

    django.setup()
    module, name = target.rsplit(".", 1)
    result = getattr(importlib.import_module(module), name)(*arguments)
    sys.stdout.write(json.dumps(result) + "\n")


if __name__ == "__main__":
    main(sys.argv)
