"""Text as people type it in a search box: lower case, accents and ligatures folded.

`fold` folds in Python (what is typed); `Fold` is the same folding as a database expression
(what is stored, e.g. in a generated column), so that "Léa", "LEA" and "lea" all give "lea":
- PostgreSQL: `f_unaccent(lower(…))`, the immutable wrapper of the `unaccent` extension that
  cotraining migration 0008 creates;
- SQLite: `entrepairs_fold(…)`, this module's `fold` registered as a deterministic SQL function
  on each connection (as Django registers its own SQLite functions), since SQLite has no
  unaccent and its lower() only knows ASCII. A stored generated column calls it once per write,
  never per search.
"""

import unicodedata

from django.db.models import Func, TextField

# Letters that Unicode does not decompose into a base letter and an accent.
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae", "ø": "o", "Ø": "o",
                            "ł": "l", "Ł": "l", "ß": "ss", "đ": "d", "Đ": "d"})  # fmt: skip
SQLITE_FUNCTION = "entrepairs_fold"


def fold(text):
    """`text` lower-cased, accents and ligatures folded, spaces collapsed."""
    if text is None:
        return None
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES))
    folded = "".join(c for c in decomposed if not unicodedata.combining(c)).lower()
    return " ".join(folded.split())


class Fold(Func):
    """The database twin of `fold` (spaces aside)."""

    template = "f_unaccent(lower(%(expressions)s))"
    output_field = TextField()

    def as_sqlite(self, compiler, connection, **extra_context):
        return super().as_sql(
            compiler, connection, template=f"{SQLITE_FUNCTION}(%(expressions)s)", **extra_context
        )


def register_sqlite_function(sender=None, connection=None, **kwargs):
    """connection_created receiver: `entrepairs_fold()` on every SQLite connection."""
    if connection.vendor == "sqlite":
        connection.connection.create_function(SQLITE_FUNCTION, 1, fold, deterministic=True)
