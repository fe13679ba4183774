"""CSV reading shared by every import (establishments, PIX results, bulk badge awards).

One reader for every file people upload, so that what one import accepts the others accept too:
French spreadsheets save CSV as Windows-1252 with ";" separators and dd/mm/yyyy dates, other
tools as UTF-8 (with or without BOM) with "," separators and ISO dates.
- encoding: UTF-8 (BOM or not) or Windows-1252; a NUL byte (UTF-16, a binary file) is refused;
- separator: ";", "," or tab, the one the header uses most;
- header: names compared without case, accents or surrounding spaces ("Date certification"
  is `date_certification`);
- rows: (number, {column: stripped value}), numbered as a spreadsheet numbers its rows (header
  = 1, a cell spanning several lines still one row), blank rows skipped;
- dates: `parse_date` reads dd/mm/yyyy and yyyy-mm-dd;
- outcome: `ImportReport`, what every import tells the person who sent the file (lines read,
  rows created, updated or unchanged, errors with their row number).

Files are read twice by imports (validate everything, then write), so they must be seekable;
rows are never all held in memory.
"""

import codecs
import csv
import io
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import ClassVar

from django.utils.translation import gettext as _

from .exceptions import ServiceError

# --- Reading ---------------------------------------------------------------------------------

CHUNK = 64 * 1024
ENCODINGS = ("utf-8-sig", "cp1252")
DELIMITERS = (";", ",", "\t")
DATE_FORMATS = ("%d/%m/%Y", "%Y-%m-%d")


def detect_encoding(binary, encodings=ENCODINGS) -> str:
    """Return the first encoding that decodes the whole file, reading it in chunks.

    UTF-8 comes first: a Windows-1252 file with accents is never valid UTF-8, while every byte
    sequence "decodes" as Windows-1252. A NUL byte never occurs in a text CSV: it means
    UTF-16/32 or a binary file, which a permissive 8-bit encoding would turn into garbage.
    """
    accepted = encodings
    binary.seek(0)
    if b"\x00" in binary.read(CHUNK):
        encodings = ()
    for encoding in encodings:
        binary.seek(0)
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            while chunk := binary.read(CHUNK):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        binary.seek(0)
        return encoding
    raise ServiceError(
        "csv_encoding",
        _("Encodage du fichier non reconnu : enregistrez-le en %(encodings)s.")
        % {"encodings": " ou ".join(_encoding_label(e) for e in accepted)},
    )


def _encoding_label(encoding):
    return {"utf-8-sig": "UTF-8", "cp1252": "Windows-1252"}.get(encoding, encoding)


def normalize_column(name):
    """A header cell as imports compare it: no accents, lower case, spaces as underscores."""
    decomposed = unicodedata.normalize("NFKD", (name or "").strip().lstrip("\ufeff"))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return re.sub(r"\s+", "_", folded.strip())


def sniff_delimiter(header_line):
    """The separator the header line uses most (outside quotes); ";" when it has a single column."""
    counts = dict.fromkeys(DELIMITERS, 0)
    quoted = False
    for char in header_line:
        if char == '"':
            quoted = not quoted
        elif not quoted and char in counts:
            counts[char] += 1
    best = max(DELIMITERS, key=lambda d: counts[d])  # ties go to the first: ";"
    return best if counts[best] else DELIMITERS[0]


def parse_date(value, column):
    """A calendar date typed as dd/mm/yyyy (French spreadsheets) or yyyy-mm-dd (ISO).

    Raises ValueError with a message naming the column and the value.
    """
    value = (value or "").strip()
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(value, pattern).date()  # noqa: DTZ007 (a calendar date)
        except ValueError:
            continue
    raise ValueError(
        _("%(column)s : « %(value)s » n'est pas une date (JJ/MM/AAAA).")
        % {"column": column, "value": value}
    )


def parse_optional_date(value, column) -> date | None:
    """`parse_date`, or None for an empty cell."""
    return parse_date(value, column) if (value or "").strip() else None


class CsvRows:
    """Iterate a CSV file as (row number, {normalised column: value}) pairs.

    Column names are compared as `normalize_column` gives them; `required` columns must all be
    present (none: the caller checks `columns` itself). The separator is sniffed from the header
    unless `delimiter` is given.
    """

    def __init__(self, binary, *, required=(), optional=(), delimiter=None, encodings=ENCODINGS):
        self.binary = binary
        self.required = [normalize_column(c) for c in required]
        self.optional = [normalize_column(c) for c in optional]
        self.encoding = detect_encoding(binary, encodings)
        self.delimiter = delimiter or self._sniff()
        self.columns = self._read_header()

    def _open(self):
        self.binary.seek(0)
        text = io.TextIOWrapper(self.binary, encoding=self.encoding, newline="")
        return text, csv.reader(text, delimiter=self.delimiter)

    def _sniff(self):
        self.binary.seek(0)
        text = io.TextIOWrapper(self.binary, encoding=self.encoding, newline="")
        try:
            return sniff_delimiter(text.readline())
        finally:
            text.detach()

    def _read_header(self):
        text, reader = self._open()
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise ServiceError("csv_unreadable", _("Fichier CSV illisible : %s") % exc) from exc
        finally:
            text.detach()
        names = [normalize_column(h) for h in header or ()]
        if not any(names):
            raise ServiceError("csv_empty", _("Le fichier est vide."))
        missing = [c for c in self.required if c not in names]
        if missing:
            raise ServiceError(
                "csv_header",
                _(
                    "En-tête incorrect : colonnes manquantes %(missing)s "
                    "(séparateur lu « %(delimiter)s »)."
                )
                % {"missing": ", ".join(missing), "delimiter": self.delimiter_label},
            )
        return names

    @property
    def delimiter_label(self):
        return _("tabulation") if self.delimiter == "\t" else self.delimiter

    def __iter__(self) -> Iterator[tuple[int, dict]]:
        text, reader = self._open()
        wanted = set(self.required) | set(self.optional)
        number = 1
        try:
            next(reader, None)
            for number, row in enumerate(reader, start=2):
                if not any(cell.strip() for cell in row):
                    continue
                values = {
                    name: (row[i].strip() if i < len(row) else "")
                    for i, name in enumerate(self.columns)
                    if name in wanted
                }
                yield number, values
        except csv.Error as exc:
            raise ServiceError(
                "csv_unreadable",
                _("Ligne %(line)s : CSV illisible (%(error)s).")
                % {"line": number + 1, "error": exc},
            ) from exc
        finally:
            text.detach()


# --- Reporting -------------------------------------------------------------------------------


@dataclass
class ImportReport:
    """What one import read, wrote and refused: shared by every CSV import.

    `errors` holds (row number, message) pairs, numbered as `CsvRows` numbers rows (header = 1;
    0 = the file as a whole), the first `max_errors` only: `error_count` counts them all. An
    import writes nothing unless the report is `ok`; `counts()` gives the fields its record
    keeps (cotraining.DataImport, badges.PixImport), and `record` is that row once saved.
    An import with more to say subclasses it (extra fields, another `max_errors`).
    """

    max_errors: ClassVar[int] = 500

    lines: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    error_count: int = 0
    errors: list = field(default_factory=list)
    record: object = None

    @property
    def ok(self):
        return self.error_count == 0

    @property
    def unreported_errors(self):
        """Errors counted but not kept in `errors` (the report says "and N more")."""
        return self.error_count - len(self.errors)

    def add_error(self, line, message):
        self.error_count += 1
        if len(self.errors) < self.max_errors:
            self.errors.append((line, message))

    def counts(self):
        """The outcome as an import record stores it (JSON-ready errors)."""
        return {
            "lines": self.lines,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "error_count": self.error_count,
            "errors": [[line, message] for line, message in self.errors],
        }
