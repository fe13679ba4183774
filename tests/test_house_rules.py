"""House rules that a review would otherwise have to catch (ONBOARDING.md, issue 14)."""

import ast
import shutil
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MAX_LINES = 800
# Not ours to cut: generated migrations.
EXCLUDED_PARTS = {"migrations"}
NOT_SOURCE = {".venv", ".validator-venv", ".lockenv", "node_modules", "__pycache__", "media"}


def python_files():
    """The repository's Python files: those git tracks or would track (not ignored), or every
    file under the root outside virtualenvs when this is not a git checkout."""
    git = shutil.which("git")
    if git and (ROOT / ".git").exists():
        listed = subprocess.run(  # noqa: S603 - git, with our own arguments
            [git, "ls-files", "--cached", "--others", "--exclude-standard", "*.py"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout.splitlines()
        return sorted({ROOT / name for name in listed if (ROOT / name).is_file()})
    return sorted(
        path
        for path in ROOT.rglob("*.py")
        if not NOT_SOURCE.intersection(path.relative_to(ROOT).parts)
    )


def test_no_python_file_over_800_lines():
    """A file past 800 lines becomes a package split by domain (STYLE.md, "Inside an app")."""
    too_long = []
    for path in python_files():
        name = path.relative_to(ROOT).as_posix()
        if EXCLUDED_PARTS.intersection(path.relative_to(ROOT).parts):
            continue
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_LINES:
            too_long.append(f"{name}: {lines} lines")
    assert not too_long, f"Split these files (at most {MAX_LINES} lines):\n" + "\n".join(too_long)


def test_no_test_imports_a_conftest():
    """Fixtures live in conftest.py files and reach tests by name; what tests import (helpers,
    factories) lives in tests/helpers.py, tests/factories/ or beside the tests."""
    offenders = []
    for path in sorted((ROOT / "tests").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = []
            if isinstance(node, ast.ImportFrom) and node.module:
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            if any(name.split(".")[-1] == "conftest" for name in names):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno}")
    assert not offenders, "Tests import a conftest:\n" + "\n".join(offenders)
