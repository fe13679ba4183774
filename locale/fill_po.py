"""Fill locale/en/LC_MESSAGES/django.po from translations_en.EN (run by `make messages`)."""

import sys
from pathlib import Path

from babel.messages.pofile import read_po, write_po

sys.path.insert(0, str(Path(__file__).parent))
from translations_en import EN  # noqa: E402

PO = Path(__file__).parent / "en/LC_MESSAGES/django.po"

with open(PO, "rb") as handle:
    catalog = read_po(handle, locale="en")  # gives the header its Plural-Forms line
missing = []
for message in catalog:
    if not message.id:
        continue
    if message.id in EN:
        message.string = EN[message.id]
        message.flags.discard("fuzzy")
        message.previous_id = ()  # makemessages' fuzzy-match leftovers ("#| msgid")
    else:
        missing.append(message.id)
catalog.fuzzy = False
with open(PO, "wb") as handle:
    write_po(handle, catalog, width=100, omit_header=False)
if missing:
    print("Missing English translations:", *missing, sep="\n  ")  # noqa: T201
    sys.exit(1)
