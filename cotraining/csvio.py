"""Streaming CSV reading shared by every import: encoding, header and line-numbered rows.

Files are read twice by imports (validate everything, then write), so they must be seekable;
rows are never all held in memory.
"""

import codecs
import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _

from .exceptions import ServiceError

CHUNK = 64 * 1024


def detect_encoding(binary, encodings=("utf-8-sig",)) -> str:
    """Return the first encoding that decodes the whole file, reading it in chunks.

    A NUL byte never occurs in a text CSV: it means UTF-16/32 or a binary file, which a permissive
    8-bit encoding (Windows-1252) would otherwise "decode" into garbage.
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


class CsvRows:
    """Iterate a CSV file as (line_number, {normalised column: value}) pairs.

    Column names are compared case-insensitively; `required` columns must all be present.
    """

    def __init__(self, binary, *, required, optional=(), delimiter=";", encodings=("utf-8-sig",)):
        self.binary = binary
        self.required = [c.lower() for c in required]
        self.optional = [c.lower() for c in optional]
        self.delimiter = delimiter
        self.encoding = detect_encoding(binary, encodings)
        self.columns = self._read_header()

    def _open(self):
        self.binary.seek(0)
        text = io.TextIOWrapper(self.binary, encoding=self.encoding, newline="")
        return text, csv.reader(text, delimiter=self.delimiter)

    def _read_header(self):
        text, reader = self._open()
        try:
            header = next(reader, None)
        except csv.Error as exc:
            raise ServiceError("csv_unreadable", _("Fichier CSV illisible : %s") % exc) from exc
        finally:
            text.detach()
        if not header:
            raise ServiceError("csv_empty", _("Le fichier est vide."))
        names = [h.strip().lower() for h in header]
        missing = [c for c in self.required if c not in names]
        if missing:
            raise ServiceError(
                "csv_header",
                _(
                    "En-tête incorrect : colonnes manquantes %(missing)s "
                    "(séparateur attendu « %(delimiter)s »)."
                )
                % {"missing": ", ".join(missing), "delimiter": self.delimiter},
            )
        return names

    def __iter__(self) -> Iterator[tuple[int, dict]]:
        text, reader = self._open()
        wanted = set(self.required) | set(self.optional)
        try:
            next(reader, None)
            for row in reader:
                if not any(cell.strip() for cell in row):
                    continue
                values = {
                    name: (row[i].strip() if i < len(row) else "")
                    for i, name in enumerate(self.columns)
                    if name in wanted
                }
                yield reader.line_num, values
        except csv.Error as exc:
            raise ServiceError(
                "csv_unreadable",
                _("Ligne %(line)s : CSV illisible (%(error)s).")
                % {"line": reader.line_num, "error": exc},
            ) from exc
        finally:
            text.detach()
