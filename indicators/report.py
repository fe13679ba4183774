"""Figures and tables for people: the indicators with labels, changes, and statistical secrecy.

The page, the CSV / XLSX exports and the JSON API use the same Report, so the secrecy rule holds
everywhere. It works at two levels:

1. Between dashboards (secrecy.py, decided when the figures are computed and kept in the
   snapshot): a dashboard whose population — the staff of its territory, degree and discipline —
   counts 1 to 4 people is not served at all ("Population trop petite pour être publiée (moins
   de 5 personnes)"), and neither is the next-smallest sibling territory (or degree) that would
   give it away by subtraction from their parent: 44 teachers in the académie minus 42 in the
   other schools no longer isolates a lycée of 2. Such a Report has no groups and a `verdict`
   that says why; the views answer with the explanation instead of figures.
2. Inside a dashboard (here): a cell that counts between 1 and 4 people reads "< 5"; a mean,
   median or rate computed over fewer than 5 people (a mean of one person is their score) reads
   "n. d." (non diffusé) — never "< 5", which would read as a value under 5. A column with a
   single "< 5" cell — or a row, in a table whose rows add up to a published total (levels
   per competence add up to the certifications) — has the smallest other non-zero count
   masked too ("s"), repeated until no line has a lone mask, so that no
   subtraction from a total recovers it.

Counts of workshops and sessions are not people and are shown as they are.
"""

from dataclasses import dataclass, field, replace
from datetime import date

from django.utils import timezone
from django.utils.formats import date_format, number_format
from django.utils.translation import gettext_lazy as _

from badges.constants import CRCN_CODES, PIX_TOP_LEVEL, PixPlusEduLevel, PixPlusEduScope
from cotraining.constants import Modality, TrainingPlan
from cotraining.models import Competence

from .queries import HOUR_BRACKETS
from .secrecy import SECRECY_THRESHOLD, verdict_from_data

MASK = "< 5"
# A count masked only so that a "< 5" beside it cannot be worked out from a total (secret
# statistique secondaire, "s" as INSEE writes it): it may be 5 or more.
SECONDARY_MASK = "s"
# A mean, median, total of hours or rate over fewer than 5 people: not published ("non diffusé").
QUANTITY_MASK = "n. d."
# Nothing to compute (a mean over nobody).
MISSING = "—"

# What each symbol means, in the page's legend, the exports' header and the API.
LEGEND = (
    (MASK, _("moins de 5 personnes, masqué (secret statistique)")),
    (SECONDARY_MASK,
     _("masqué pour qu'un chiffre caché ne puisse être déduit (secret statistique)")),
    (QUANTITY_MASK,
     _("non diffusé : moyenne, médiane, total ou taux calculé sur moins de 5 personnes "
       "(secret statistique)")),
    (MISSING, _("non calculable (aucune personne concernée)")),
)  # fmt: skip


def legend_lines():
    """The legend as lines of text ("< 5 : moins de 5 personnes, …")."""
    return [f"{symbol} : {meaning}" for symbol, meaning in LEGEND]


@dataclass(frozen=True)
class Cell:
    """One value as shown: `value` is None when there is nothing to show."""

    value: object = None
    masked: bool = False
    kind: str = "int"  # int, dec, pct, text
    counts_people: bool = False  # subject to the secrecy rule (and to secondary masking)
    secondary: bool = False  # masked to protect another cell, not because it is below 5

    @property
    def mask(self):
        if self.secondary:
            return SECONDARY_MASK
        return QUANTITY_MASK if self.kind in ("dec", "pct") else MASK

    @property
    def meaning(self):
        """What the symbol shown stands for ("" for a plain value)."""
        if self.masked:
            symbol = self.mask
        elif self.value is None and self.kind != "text":
            symbol = MISSING
        else:
            return ""
        return str(dict(LEGEND)[symbol])

    @property
    def text(self):
        if self.masked:
            return self.mask
        if self.value is None:
            return MISSING if self.kind != "text" else ""
        if self.kind == "text":
            return str(self.value)
        if self.kind == "pct":
            return f"{number_format(self.value, 1)} %"
        if self.kind == "dec":
            return number_format(self.value, 1)
        return number_format(self.value, 0, force_grouping=True)

    @property
    def export(self):
        """For a spreadsheet: the number itself, "< 5" (or "s", "n. d.") when masked."""
        if self.masked:
            return self.mask
        if self.kind == "text":
            return str(self.value) if self.value is not None else ""
        if self.value is None:
            return None
        return round(float(self.value), 1) if self.kind in ("dec", "pct") else int(self.value)

    @property
    def number(self):
        """The value for a chart bar: 0 when masked or missing (the chart says so)."""
        return 0 if self.masked or self.value is None else float(self.value)

    def __str__(self):
        return self.text


def text(value):
    return Cell(value, kind="text")


def count(value):
    """Not people (workshops, sessions, hours): never masked."""
    return Cell(value or 0)


def people(value):
    value = value or 0
    return Cell(value, masked=0 < value < SECRECY_THRESHOLD, counts_people=True)


def over(value, population, kind="dec"):
    """A mean, median or rate over `population` people."""
    population = population or 0
    if population == 0:
        return Cell(None, kind=kind)
    return Cell(value, masked=population < SECRECY_THRESHOLD, kind=kind)


def ratio(part, whole, population):
    return over(100 * part / whole if whole else None, population, kind="pct")


@dataclass
class Figure:
    label: str
    current: Cell
    previous: Cell
    help: str = ""

    @property
    def change(self):
        """The change against the previous year, as text ("" when it cannot be said)."""
        cur, prev = self.current, self.previous
        if cur.masked or prev.masked or cur.value is None or prev.value is None:
            return ""
        if cur.kind == "pct":
            diff = float(cur.value) - float(prev.value)
            return f"{'+' if diff >= 0 else '−'}{number_format(abs(diff), 1)} pt"
        if not prev.value:
            return ""
        diff = 100 * (float(cur.value) - float(prev.value)) / float(prev.value)
        return f"{'+' if diff >= 0 else '−'}{number_format(abs(diff), 0)} %"

    @property
    def trend(self):
        change = self.change
        return "" if not change else ("up" if change.startswith("+") else "down")


@dataclass
class Table:
    slug: str
    title: str
    columns: list
    rows: list = field(default_factory=list)
    # The chart beside the table: the column drawn (index), the one labelling the bars (0).
    chart_column: int | None = None
    note: str = ""
    # The rows' people counts add up to a figure shown elsewhere: they are protected like columns.
    rows_add_up: bool = False

    @property
    def chart(self):
        if self.chart_column is None or not self.rows:
            return None
        values = [row[self.chart_column] for row in self.rows]
        top = max((cell.number for cell in values), default=0) or 1
        bars = [
            {
                "label": row[0].text,
                "text": cell.text,
                "percent": round(100 * cell.number / top, 1),
                "masked": cell.masked,
            }
            for row, cell in zip(self.rows, values, strict=True)
        ]
        return {"title": self.columns[self.chart_column], "bars": bars, "summary": self.summary}

    @property
    def summary(self):
        """The chart's text alternative: what a sighted reader takes from it."""
        if self.chart_column is None or not self.rows:
            return ""
        cells = [(row[0].text, row[self.chart_column]) for row in self.rows]
        shown = [(label, cell) for label, cell in cells if not cell.masked and cell.value]
        masked = sum(cell.masked for _label, cell in cells)
        values = {"column": self.columns[self.chart_column], "n": len(cells), "masked": masked}
        if not shown and masked:  # there are values, but none may be drawn
            return str(
                _("Valeurs masquées (secret statistique) : %(masked)s ligne(s) sur %(n)s, les "
                  "autres sans valeur.") % values
                if masked < len(cells)
                else _("Valeurs masquées (secret statistique) sur les %(n)s lignes.") % values
            )  # fmt: skip
        if not shown:
            return str(_("Aucune valeur à représenter sur la période."))
        label, cell = max(shown, key=lambda item: item[1].number)
        values |= {"label": label, "value": cell.text}
        if masked:  # a masked "s" may be higher than any value shown
            return str(
                _("%(column)s : %(n)s lignes, dont %(masked)s masquée(s) (secret statistique) ; "
                  "la plus haute des autres, %(label)s, avec %(value)s.") % values
            )  # fmt: skip
        return str(
            _("%(column)s : %(n)s lignes ; la plus haute, %(label)s, avec %(value)s.") % values
        )


@dataclass
class Group:
    slug: str
    title: str
    figures: list
    tables: list
    note: str = ""


@dataclass
class Report:
    groups: list
    period: object
    previous: object
    generated_at: object
    stale: bool = False
    verdict: object = None  # secrecy.Verdict: `served` False → no groups, and why

    @property
    def withheld(self):
        """The explanation shown instead of figures ("" when they may be served)."""
        if self.verdict is None or self.verdict.served:
            return ""
        return str(self.verdict.message)

    def table(self, slug):
        for group in self.groups:
            for table in group.tables:
                if table.slug == slug:
                    return table
        return None

    @property
    def tables(self):
        return [table for group in self.groups for table in group.tables]


# --- Building it ------------------------------------------------------------------------------


def _month_key(value):
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if hasattr(value, "date"):
        value = timezone.localtime(value).date() if timezone.is_aware(value) else value.date()
    return value.replace(day=1)


def _monthly_table(slug, title, period, rows, columns):
    """One row per month of the period; `columns` = [(label, key, kind)], each current value
    followed by the same month of the previous year."""
    current, previous = {}, {}
    for row in rows:
        month = _month_key(row["month"])
        current[month] = row
        previous[date(month.year + 1, month.month, 1)] = row
    header = [_("Mois")]
    for label, *_rest in columns:
        header += [label, _("%(label)s, un an plus tôt") % {"label": label}]
    table = Table(slug, title, header, chart_column=1)
    for month in period.months():
        line = [text(date_format(month, "F Y"))]
        for _label, key, kind, *population in columns:
            for rows_of, when in ((current, "cur"), (previous, "prev")):
                row = rows_of.get(month) or {}
                value = row.get(f"{key}_{when}")
                if population:  # a quantity over people: hidden when they are fewer than 5
                    line.append(over(value or 0, row.get(f"{population[0]}_{when}") or 0))
                else:
                    line.append(kind(value))
        table.rows.append(line)
    return table


def _training(data, period):
    t = data["totals"]
    figures = [
        Figure(_("Ateliers tenus"), count(t["workshops_cur"]), count(t["workshops_prev"])),
        Figure(_("Séances tenues"), count(t["sessions_cur"]), count(t["sessions_prev"])),
        Figure(
            _("Ateliers inscrits au PAF"),
            count(t["workshops_paf_cur"]),
            count(t["workshops_paf_prev"]),
        ),
        Figure(
            _("Ateliers inscrits au PDF"),
            count(t["workshops_pdf_cur"]),
            count(t["workshops_pdf_prev"]),
        ),
    ]
    by_plan = Table(
        "actions-par-plan",
        _("Actions de formation par plan"),
        [_("Plan"), _("Ateliers"), _("Ateliers, un an plus tôt"), _("Séances"),
         _("Séances, un an plus tôt")],
        chart_column=3,
    )  # fmt: skip
    for key, label in (
        ("paf", TrainingPlan.PAF.label),
        ("pdf", TrainingPlan.PDF.label),
        ("none", _("Hors plan de formation")),
    ):
        by_plan.rows.append(
            [
                text(label),
                count(t[f"workshops_{key}_cur"]),
                count(t[f"workshops_{key}_prev"]),
                count(t[f"sessions_{key}_cur"]),
                count(t[f"sessions_{key}_prev"]),
            ]
        )
    monthly = _monthly_table(
        "actions-par-mois",
        _("Séances tenues par mois"),
        period,
        data["monthly"],
        [(_("Séances"), "sessions", count), (_("Ateliers"), "workshops", count)],
    )
    return Group("actions", _("Actions de formation (PAF et PDF)"), figures, [by_plan, monthly])


def _participation(data, training, period):
    rows = {row["session__modality"]: row for row in data["by_modality"]}
    capacity = training["capacity"]

    def total(key):
        return sum(row[key] or 0 for row in rows.values())

    def capacity_of(modality, when):
        if modality is None:
            return sum(row[f"capacity_{when}"] or 0 for row in capacity.values())
        return (capacity.get(modality) or {}).get(f"capacity_{when}") or 0

    def figures_for(get, modality=None):
        out = {}
        for when in ("cur", "prev"):
            enrolments, attended, absent = (
                get(f"enrolments_{when}"), get(f"attendances_{when}"), get(f"absences_{when}")
            )  # fmt: skip
            out[when] = {
                "enrolments": people(enrolments),
                "attendances": people(attended),
                "fill": ratio(enrolments, capacity_of(modality, when), enrolments),
                "no_show": ratio(absent, attended + absent, attended + absent),
                "unmet": people(get(f"unmet_{when}")),
                "people": people(get(f"people_{when}")),
            }
        return out

    overall = figures_for(total)
    figures = [
        Figure(_("Inscriptions confirmées"), overall["cur"]["enrolments"],
               overall["prev"]["enrolments"]),
        Figure(_("Participations (présences)"), overall["cur"]["attendances"],
               overall["prev"]["attendances"],
               _("Présences et présences partielles relevées aux séances tenues.")),
        Figure(_("Personnes différentes présentes"), overall["cur"]["people"],
               overall["prev"]["people"]),
        Figure(_("Taux de remplissage"), overall["cur"]["fill"], overall["prev"]["fill"],
               _("Places prises sur places offertes aux séances tenues.")),
        Figure(_("Taux d'absence"), overall["cur"]["no_show"], overall["prev"]["no_show"],
               _("Absents parmi les inscrits dont la présence a été relevée.")),
        Figure(_("Demande non satisfaite"), overall["cur"]["unmet"], overall["prev"]["unmet"],
               _("Personnes restées en liste d'attente jusqu'au début de la séance.")),
    ]  # fmt: skip
    by_modality = Table(
        "participation-par-modalite",
        _("Participation par modalité"),
        [_("Modalité"), _("Inscriptions confirmées"), _("Participations"),
         _("Participations, un an plus tôt"), _("Taux de remplissage"), _("Taux d'absence"),
         _("Demande non satisfaite")],
        chart_column=2,
    )  # fmt: skip
    for modality in Modality:
        row = rows.get(modality.value)
        if row is None and modality.value not in capacity:
            continue
        values = figures_for(lambda key, row=row: (row or {}).get(key) or 0, modality.value)
        cur = values["cur"]
        by_modality.rows.append(
            [text(modality.label), cur["enrolments"], cur["attendances"],
             values["prev"]["attendances"], cur["fill"], cur["no_show"], cur["unmet"]]
        )  # fmt: skip
    monthly = _monthly_table(
        "participations-par-mois",
        _("Participations par mois"),
        period,
        data["monthly"],
        [(_("Participations"), "attendances", people)],
    )
    return Group("participation", _("Participation"), figures, [by_modality, monthly])


def _pix(data, period, competence_names):
    t = data["totals"]
    n_cur = (t["declared_cur"] or 0) + (t["verified_cur"] or 0)
    n_prev = (t["declared_prev"] or 0) + (t["verified_prev"] or 0)
    figures = [
        Figure(_("Certifications PIX"), people(n_cur), people(n_prev),
               _("Déclarées ou vérifiées (les refusées ne comptent pas).")),
        Figure(_("dont vérifiées"), people(t["verified_cur"]), people(t["verified_prev"])),
        Figure(_("dont déclarées, à vérifier"), people(t["declared_cur"]),
               people(t["declared_prev"])),
        Figure(_("Score moyen (pix)"), over(t["mean_cur"], n_cur), over(t["mean_prev"], n_prev)),
        Figure(_("Score médian (pix)"), over(t["median_cur"], n_cur),
               over(t["median_prev"], n_prev)),
    ]  # fmt: skip
    levels = Table(
        "pix-niveaux",
        _("Certifications par niveau et par compétence"),
        [_("Compétence")] + [_("Niveau %(n)s") % {"n": n} for n in range(PIX_TOP_LEVEL + 1)],
        note=_("Nombre de certifications à chaque niveau, pour chacune des 16 compétences."),
        rows_add_up=True,  # each competence's levels add up to the certifications
    )
    for code in CRCN_CODES:
        name = competence_names.get(code, "")
        levels.rows.append(
            [text(f"{code} {name}".strip())] + [people(n) for n in data["levels"][code]]
        )
    plus = Table(
        "pix-plus-edu",
        _("Pix+ Édu par volet et niveau"),
        [_("Volet et niveau"), _("Certifications"), _("Certifications, un an plus tôt")],
        chart_column=1,
    )
    for row in data["plus_edu"]:
        level = (
            PixPlusEduLevel(row["level"]).label
            if row["level"] is not None
            else _("en attente du volet jury")
        )
        label = f"{PixPlusEduScope(row['scope']).label} — {level}"
        plus.rows.append([text(label), people(row["cur"]), people(row["prev"])])
    monthly = _monthly_table(
        "pix-par-mois",
        _("Certifications PIX par mois"),
        period,
        data["monthly"],
        [(_("Certifications"), "certifications", people)],
    )
    return Group(
        "pix",
        _("Certifications PIX et Pix+ Édu"),
        figures,
        [levels, plus, monthly],
        note=_("Les filtres thème, modalité et plan ne s'appliquent pas aux certifications."),
    )


def _badges(data, period):
    t = data["totals"]
    figures = [
        Figure(_("Open Badges délivrés"), people(t["issued_cur"]), people(t["issued_prev"]),
               _("Hors badges révoqués.")),
        Figure(_("Titulaires différents"), people(t["people_cur"]), people(t["people_prev"])),
        Figure(_("Formateurs reconnus"), people(t["trainers_cur"]), people(t["trainers_prev"]),
               _("Personnes ayant reçu un badge de formateur.")),
    ]  # fmt: skip
    by_class = Table(
        "badges-par-badge",
        _("Badges délivrés par badge"),
        [_("Badge"), _("Émetteur"), _("Délivrés"), _("Délivrés, un an plus tôt"),
         _("Titulaires")],
        chart_column=2,
    )  # fmt: skip
    for row in data["by_class"]:
        by_class.rows.append(
            [text(row["badge_class__name"]), text(row["badge_class__issuer__name"]),
             people(row["cur"]), people(row["prev"]), people(row["people"])]
        )  # fmt: skip
    by_issuer = Table(
        "badges-par-emetteur",
        _("Badges délivrés par émetteur"),
        [_("Émetteur"), _("Délivrés"), _("Délivrés, un an plus tôt"), _("Titulaires")],
        chart_column=1,
    )
    for row in data["by_issuer"]:
        by_issuer.rows.append(
            [text(row["badge_class__issuer__name"]), people(row["cur"]), people(row["prev"]),
             people(row["people"])]
        )  # fmt: skip
    monthly = _monthly_table(
        "badges-par-mois",
        _("Badges délivrés par mois"),
        period,
        data["monthly"],
        [(_("Badges délivrés"), "issued", people)],
    )
    return Group(
        "badges",
        _("Open Badges"),
        figures,
        [by_class, by_issuer, monthly],
        note=_("Le filtre modalité ne s'applique pas aux badges."),
    )


def _hours(data, period):
    cur, prev = data["cur"], data["prev"]
    threshold = data["threshold"]
    registered = data["registered"]
    figures = [
        Figure(_("Enseignants formés"), people(cur["teachers"]), people(prev["teachers"]),
               _("Personnes différentes présentes à au moins une séance.")),
        Figure(_("Heures de formation suivies"), over(cur["total"] or 0, cur["teachers"]),
               over(prev["total"] or 0, prev["teachers"])),
        Figure(_("Heures moyennes par enseignant formé"), over(cur["mean"], cur["teachers"]),
               over(prev["mean"], prev["teachers"])),
        Figure(_("Heures médianes par enseignant formé"), over(cur["median"], cur["teachers"]),
               over(prev["median"], prev["teachers"])),
        Figure(
            _("Part des enseignants ayant suivi au moins %(n)s h") % {"n": threshold},
            ratio(cur["reached"], registered, registered),
            ratio(prev["reached"], registered, registered),
            _("Parmi les personnels rattachés à un établissement du périmètre (%(n)s).")
            % {"n": number_format(registered, 0, force_grouping=True)},
        ),
    ]  # fmt: skip
    brackets = Table(
        "heures-repartition",
        _("Répartition des enseignants formés par heures suivies"),
        [_("Heures suivies"), _("Enseignants"), _("Enseignants, un an plus tôt")],
        chart_column=1,
    )
    bounds = [*HOUR_BRACKETS, None]
    for low, high in zip(bounds, bounds[1:], strict=False):
        label = (
            _("%(low)s h ou plus") % {"low": low}
            if high is None
            else _("de %(low)s h à moins de %(high)s h") % {"low": low, "high": high}
        )
        brackets.rows.append(
            [text(label), people(cur[f"bracket_{low}"]), people(prev[f"bracket_{low}"])]
        )
    monthly = _monthly_table(
        "heures-par-mois",
        _("Heures de formation par mois"),
        period,
        data["monthly"],
        [(_("Heures"), "hours", None, "teachers"), (_("Enseignants"), "teachers", people)],
    )  # fmt: skip
    return Group(
        "heures",
        _("Heures de formation au numérique par enseignant"),
        figures,
        [brackets, monthly],
    )


def report_from_data(data, period, *, generated_at, stale=False):
    """The report of raw figures (queries' output made JSON-ready, live or from a snapshot)."""
    verdict = verdict_from_data(data)
    if not verdict.served:  # no figures were computed: only the reason is kept
        return Report(
            groups=[], period=period, previous=period.previous(), generated_at=generated_at,
            stale=stale, verdict=verdict,
        )  # fmt: skip
    competence_names = Competence.objects.crcn_names()
    report = Report(
        groups=[
            _training(data["training"], period),
            _pix(data["pix"], period, competence_names),
            _badges(data["badges"], period),
            _hours(data["hours"], period),
            _participation(data["participation"], data["training"], period),
        ],
        period=period,
        previous=period.previous(),
        generated_at=generated_at,
        stale=stale,
        verdict=verdict,
    )
    for table in report.tables:
        mask_complements(table)
    return report


def mask_complements(table):
    """Secondary masking: a column of people counts with exactly one "< 5" cell would give it
    away by difference with the column's total (shown as a key figure or by adding up); the
    smallest other non-zero count of that column is masked too. Rows are treated the same way
    when they add up to a published total (`rows_add_up`); masking a cell of a row may leave a
    column with a lone mask, so both passes repeat until nothing changes."""
    lines = [[(index, column) for index in range(len(table.rows))]
             for column in range(1, len(table.columns))]  # fmt: skip
    if table.rows_add_up:
        lines += [[(index, column) for column in range(1, len(row))]
                  for index, row in enumerate(table.rows)]  # fmt: skip
    changed = True
    while changed:
        changed = False
        for line in lines:
            cells = [
                (index, column, table.rows[index][column])
                for index, column in line
                if column < len(table.rows[index]) and table.rows[index][column].counts_people
            ]
            if sum(cell.masked for *_place, cell in cells) != 1:
                continue
            shown = [(cell.value, index, column) for index, column, cell in cells
                     if not cell.masked and cell.value]  # fmt: skip
            if shown:
                _value, index, column = min(shown)
                table.rows[index][column] = replace(
                    table.rows[index][column], masked=True, secondary=True
                )
                changed = True


def build_report(criteria, *, now=None):
    """The report computed live (no snapshot): what the tests check figure by figure."""
    from .snapshots import compute

    now = now or timezone.now()
    return report_from_data(compute(criteria, now=now), criteria.period, generated_at=now)
