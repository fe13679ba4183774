"""`make bench`, PIX part: a Pix Orga import of 20,000 and 200,000 lines, time and peak memory.

Issue 6 asks that a 200,000-line file be handled with memory bounded (the file streamed). On a
scratch database (SQLite file; PostgreSQL with --postgres) it migrates, creates the people of the
files in bulk, writes the CSV files to disk, then in a fresh child process per file runs the
import as the Celery job does (`run_import`: validate every line, then write in one transaction)
and reports wall time, lines per second and the child's peak resident memory (VmHWM). A second
run of the same file (nothing to write) and a file with one bad line in the last 1,000 (refused,
nothing written) are measured too. Figures go to BENCHMARKS.md under `<!-- pix-import -->`.

    .venv/bin/python bench/pix_import.py [--postgres] [--lines 20000,200000]
"""

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from run import (
    OUTPUT,
    PIX_IMPORT_MARKER,
    PYTHON,
    ROOT,
    PostgresBackend,
    SQLiteBackend,
    machine,
    manage,
    replace_section,
    say,
)

CRCN = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4"]
CRCN += ["4.1", "4.2", "4.3", "5.1", "5.2"]
ALPHABET = "2346789BCDFGHJKMPQRTVWXY"
PEOPLE = 50_000  # one certification per line, people reused: codes stay unique
DOMAIN = "pix.bench.test"


def code(n):
    digits = []
    for _ in range(8):
        n, rest = divmod(n, len(ALPHABET))
        digits.append(ALPHABET[rest])
    return "P-" + "".join(digits)


def write_file(path, lines, *, bad_line=None):
    header = "email;date_certification;score;niveau_max;" + ";".join(CRCN)
    header += ";code_verification;pixedu_volet;pixedu_niveau_auto;pixedu_niveau_jury"
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(header + "\n")
        for n in range(lines):
            level = 1 + n % 5
            score = 16 * 8 * level + n % 16
            edu = "2nd degré;Confirmé;Confirmé" if n % 10 == 0 else ";;"
            email = f"p{n % PEOPLE}@{DOMAIN}"
            if n == bad_line:
                score = 2000
            levels = ";".join([str(level)] * 16)
            out.write(f"{email};12/03/2026;{score};6;{levels};{code(n)};{edu}\n")


# Run in the child (manage.py shell -c): create the people of the files once, in bulk.
PEOPLE_CODE = f"""
from cotraining.models import User, Establishment, Departement
from cotraining.validators import uai_check_letter
departement = Departement.objects.get(code="086")
first7 = "0869999"
school, _ = Establishment.objects.get_or_create(
    uai=first7 + uai_check_letter(first7),
    defaults={{"name": "Lycée du banc", "departement": departement}},
)
User.objects.bulk_create(
    [User(email=f"p{{i}}@{DOMAIN}", establishment=school) for i in range({PEOPLE})],
    batch_size=5000, ignore_conflicts=True)
User.objects.update_or_create(email="importer@{DOMAIN}", defaults={{"is_superuser": True}})
"""

# Run in a fresh child per measure: one import as the job runs it, its figures as JSON.
IMPORT_CODE = """
import json, os, time
from django.core.files import File
from badges.models import PixImport
from badges.services.pix_import import run_import
from cotraining.models import User
path = os.environ["BENCH_PIX_FILE"]
importer = User.objects.get(email="importer@{domain}")
with open(path, "rb") as handle:
    pix_import = PixImport(filename=path, user=importer)
    pix_import.file.save("bench.csv", File(handle), save=False)
    pix_import.save()
started = time.perf_counter()
done = run_import(import_id=pix_import.pk)
elapsed = time.perf_counter() - started
hwm = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM"))
print("RESULT " + json.dumps({{"status": done.status, "lines": done.lines, "created": done.created,
    "unchanged": done.unchanged, "errors": done.error_count, "seconds": elapsed, "hwm_kib": hwm}}))
"""


def measure(env, path):
    code_text = IMPORT_CODE.format(domain=DOMAIN)
    result = subprocess.run(  # noqa: S603
        [PYTHON, str(ROOT / "manage.py"), "shell", "-c", code_text],
        cwd=ROOT,
        env={**env, "BENCH_PIX_FILE": str(path)},
        capture_output=True,
        text=True,
        check=True,
    )
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line.removeprefix("RESULT "))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    parser.add_argument("--lines", default="20000,200000", help="file sizes, comma separated")
    options, _unknown = parser.parse_known_args()
    sizes = [int(x) for x in options.lines.split(",")]
    with tempfile.TemporaryDirectory(prefix="entrepairs-bench-pix-") as tmp:
        workdir = Path(tmp)
        backend = PostgresBackend(workdir) if options.postgres else SQLiteBackend(workdir)
        backend.create()
        log = workdir / "manage.log"
        env = backend.manage_env()
        env["PRIVATE_MEDIA_ROOT"] = str(workdir / "private")
        try:
            manage(["migrate", "--noinput"], env, log)
            manage(["shell", "-c", PEOPLE_CODE], env, log)
            rows = []
            for size in sizes:
                clean = workdir / f"pix-{size}.csv"
                bad = workdir / f"pix-{size}-bad.csv"
                write_file(clean, size)
                write_file(bad, size + 1000, bad_line=size + 500)
                mib = clean.stat().st_size / 2**20
                say(f"{size} lines ({mib:.1f} MiB)…")
                for label, path in (
                    ("first import", clean),
                    ("same file again", clean),
                    ("one bad line near the end", bad),
                ):
                    figures = measure(env, path)
                    figures.update(size=size, label=label, mib=mib)
                    rows.append(figures)
                    say(f"  {label}: {figures}")
        finally:
            backend.drop()
    write(rows, backend)


def write(rows, backend):
    flag = " --postgres" if backend.name == "postgres" else ""
    lines = [
        PIX_IMPORT_MARKER,
        "## PIX import (Pix Orga CSV)",
        "",
        f"`.venv/bin/python bench/pix_import.py{flag}` on {backend.version()}, {machine()}. "
        "Each import runs in a fresh process as the Celery job does (validate every line, "
        "then write in one transaction); peak memory is that "
        "process's VmHWM, Django and the app included: compare the two file sizes.",
        "",
        "| file | run | status | lines/s | wall | peak RSS |",
        "|---|---|---|---:|---:|---:|",
    ]
    for row in rows:
        rate = row["lines"] / row["seconds"] if row["seconds"] else 0
        lines.append(
            f"| {row['size']:,} lines ({row['mib']:.1f} MiB) | {row['label']} | {row['status']}"
            f" (created {row['created']:,}, unchanged {row['unchanged']:,}, errors "
            f"{row['errors']}) | {rate:,.0f} | {row['seconds']:.1f} s | "
            f"{row['hwm_kib'] / 1024:.0f} MiB |"
        )
    section = "\n".join(lines) + "\n"
    current = OUTPUT.read_text(encoding="utf-8") if OUTPUT.exists() else ""
    OUTPUT.write_text(replace_section(current, PIX_IMPORT_MARKER, section), encoding="utf-8")
    say(f"written to {OUTPUT}")


if __name__ == "__main__":
    sys.exit(main())
