"""A Pix Orga import of 20,000 and 200,000 lines, time and peak memory.

Issue 6 asks that a 200,000-line file be handled with memory bounded (the file streamed). On a
scratch database (SQLite file; PostgreSQL with --postgres, both with --both) it migrates, creates
the people of the files in bulk, writes the CSV files to disk, then in a fresh child process per
file runs the import as the Celery job does (`run_import`: validate every line, then write in one
transaction) and reports wall time, lines per second and the child's peak resident memory
(VmHWM). A second run of the same file (nothing to write) and a file with one bad line in the
last 1,000 (refused, nothing written) are measured too.
"""

from bench.harness import databases, environment
from bench.harness.processes import django_child, manage, say

MEASURES = "bench.suites.pix_import_measures"
CRCN = ["1.1", "1.2", "1.3", "2.1", "2.2", "2.3", "2.4", "3.1", "3.2", "3.3", "3.4"]
CRCN += ["4.1", "4.2", "4.3", "5.1", "5.2"]
ALPHABET = "2346789BCDFGHJKMPQRTVWXY"
PEOPLE = 50_000  # one certification per line, people reused: codes stay unique
DOMAIN = "pix.bench.test"
QUICK = ["--lines", "1000"]
RUNS = ["first import", "same file again", "one bad line near the end"]


def add_arguments(parser):
    parser.add_argument("--lines", default="20000,200000", help="File sizes, comma separated.")


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


def run(options, workdir):
    sizes = [int(size) for size in options.lines.split(",")]
    return {
        "runs": [
            bench_backend(backend, sizes, options)
            for backend in databases.backends(options, workdir, suffix="_pix")
        ]
    }


def bench_backend(backend, sizes, options):
    say(f"== PIX import, {backend.label} ==")
    workdir = backend.workdir
    log = workdir / f"pix-import-{backend.name}.log"
    env = backend.manage_env()
    env["PRIVATE_MEDIA_ROOT"] = str(workdir / "private")
    backend.create()
    rows = []
    try:
        manage(["migrate", "--noinput"], env, log)
        django_child(env, f"{MEASURES}.add_people", PEOPLE, DOMAIN)
        for size in sizes:
            clean = workdir / f"pix-{size}.csv"
            bad = workdir / f"pix-{size}-bad.csv"
            write_file(clean, size)
            write_file(bad, size + 1000, bad_line=size + 500)
            mib = clean.stat().st_size / 2**20
            say(f"{size} lines ({mib:.1f} MiB)…")
            for label, path in zip(RUNS, (clean, clean, bad), strict=True):
                figures = django_child(env, f"{MEASURES}.import_file", str(path), DOMAIN)
                figures.update(size=size, label=label, mib=mib)
                rows.append(figures)
                say(f"  {label}: {figures}")
        version = backend.version()
    finally:
        if not options.keep:
            backend.drop()
    return {
        "backend": backend.label,
        "database": version,
        **environment.describe(),
        "rows": rows,
    }
