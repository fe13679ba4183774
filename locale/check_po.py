"""Check the English catalogue, the source of the English texts (run by `make messages`).

`makemessages` has just merged the strings of the code into locale/en/LC_MESSAGES/django.po;
this fails, listing them, on any string without an English text or marked fuzzy (a guess of
gettext's that a person must confirm), and rewrites the file in one stable layout.
"""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

PO = Path(__file__).parent / "en/LC_MESSAGES/django.po"


def problems(catalog):
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if not all(strings):
            yield "untranslated", message
        elif message.fuzzy:
            yield "fuzzy", message


def main():
    with open(PO, "rb") as handle:
        catalog = read_po(handle, locale="en")  # gives the header its Plural-Forms line
    catalog.fuzzy = False
    with open(PO, "wb") as handle:
        write_po(handle, catalog, width=100, omit_header=False)
    found = list(problems(catalog))
    for kind, message in found:
        msgid = message.id[0] if isinstance(message.id, tuple) else message.id
        where = ", ".join(f"{path}:{line}" for path, line in message.locations[:2])
        print(f"{kind}: {msgid!r} ({where})")  # noqa: T201
    if found:
        print(f"\n{len(found)} message(s) to translate in {PO}", file=sys.stderr)  # noqa: T201
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
