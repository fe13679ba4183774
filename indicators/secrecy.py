"""Statistical secrecy against differencing: which dashboards may be served at all.

The "< 5" rule of report.py hides small cells inside one dashboard. It cannot, on its own, stop
a reader from subtracting two dashboards: the académie (44 teachers) minus its other
départements or schools (42) gives the small lycée's 2. So the unit protected here is the
**population** a dashboard is about: the staff attached to the establishments of its territory,
narrowed by the degree and discipline chosen (the people whose certifications, badges, hours and
participations it counts; the same population as the "share reaching N hours" denominator).

The rule (the threshold is SECRECY_THRESHOLD, 5):

1. **Primary**: a dashboard whose population counts 1 to 4 people is not served (the page says
   why, the exports and the API refuse). A population of 0 is served: it has nothing to hide.
2. **Siblings**: the territory is a tree (country → académies → départements → circonscriptions
   or bassins, and the schools without one → schools). Among the children of one parent, the
   ones refused must together count at least 5 people: when one child is refused (or several
   that add up to fewer than 5), the next-smallest non-empty sibling is refused too, and so on.
   So "parent minus every served sibling" always leaves a block of at least 5 people, never the
   small school alone. The degree works the same way inside a territory (1er degré, 2nd degré,
   and the people whose degree is unknown, who cannot be chosen but still count); a discipline
   is served only if the people of the territory who teach it and those who do not are each
   0 or at least 5 (a person teaches several disciplines: they do not partition).
3. **Inheritance**: a dashboard is served only if every territory above it (and the territory
   itself without the degree or discipline filter) is served: a refused block is never
   recovered by adding up its parts. A reader's own territory counts too: a school head of a
   refused school reads nothing, whatever the filters.
4. **Without a school**: the country's dashboard counts the people attached to no school only
   when they are at least 5 (else "country minus its académies" would give them).

Every decision depends on the territory tree and the filters only, never on who reads, so two
readers comparing their dashboards learn nothing more. Known limits: the dates of the period are
free, so two periods one day apart can still be subtracted (counts of events within a served
population); the figures inside a served population keep the "< 5" and "s" masks of report.py.

The checks run in the database: one grouped count per level of the territory's path (four at
most), once per computed dashboard; a snapshot keeps the verdict with its figures.
"""

from dataclasses import dataclass

from django.db.models import Case, CharField, Count, Exists, F, OuterRef, Q, When
from django.utils.translation import gettext_lazy as _

from cotraining.models import Academie, Departement, Establishment, Sector, User

# Fewer people than this in a cell or a population: not shown (report.py masks cells with it).
SECRECY_THRESHOLD = 5

ALL = ""  # no degree (or discipline) chosen
# The effective degree of a person is their own, else their school's: "1", "2", or unknown.
UNKNOWN = "?"

REASON_SMALL = "population_too_small"
REASON_NEIGHBOUR = "protects_a_small_population"

MESSAGES = {
    REASON_SMALL: _("Population trop petite pour être publiée (moins de 5 personnes)."),
    REASON_NEIGHBOUR: _(
        "Chiffres non publiés : ils permettraient, par différence avec d'autres tableaux de "
        "bord, de retrouver ceux d'une population de moins de 5 personnes (secret statistique)."
    ),
}


@dataclass(frozen=True)
class Verdict:
    served: bool = True
    reason: str = ""
    schoolless: bool = True  # count the people without a school (country's dashboard only)

    @property
    def message(self):
        return MESSAGES.get(self.reason, "")

    def as_data(self):
        return {"served": self.served, "reason": self.reason}


def verdict_from_data(data):
    secrecy = (data or {}).get("secrecy") or {}
    return Verdict(served=secrecy.get("served", True), reason=secrecy.get("reason", ""))


def small(population):
    return 0 < population < SECRECY_THRESHOLD


def refused_siblings(populations):
    """The children of one parent that are not served: the small ones, then the next-smallest
    non-empty ones until the refused together count at least the threshold (or none is left)."""
    refused = {key for key, n in populations.items() if small(n)}
    total = sum(populations[key] for key in refused)
    candidates = sorted(
        (n, str(key), key) for key, n in populations.items() if n and key not in refused
    )
    while refused and total < SECRECY_THRESHOLD and candidates:
        n, _name, key = candidates.pop(0)
        refused.add(key)
        total += n
    return refused


def _effective_degree():
    return Case(
        When(~Q(degree=""), then=F("degree")),
        default=F("establishment__degree"),
        output_field=CharField(),
    )


class _Counts:
    """People per child of one parent, per effective degree, with and without the discipline."""

    def __init__(self, discipline):
        self.discipline = discipline
        self.cache = {}

    def rows(self, parent):
        if parent in self.cache:
            return self.cache[parent]
        kind, pk = parent
        people = User.objects.filter(establishment__isnull=False)
        if kind == "country":
            keys = ("establishment__departement__academie_id",)
        elif kind == "academie":
            people = people.filter(establishment__departement__academie_id=pk)
            keys = ("establishment__departement_id",)
        elif kind == "departement":
            people = people.filter(establishment__departement_id=pk)
            keys = ("establishment__sector_id", "establishment_id")
        else:  # sector
            people = people.filter(establishment__sector_id=pk)
            keys = ("establishment_id",)
        named = {"n": Count("pk")}
        if self.discipline:
            teaches = User.disciplines.through.objects.filter(
                user_id=OuterRef("pk"), discipline__code=self.discipline
            )
            people = people.annotate(teaches=Exists(teaches))
            named["nd"] = Count("pk", filter=Q(teaches=True))
        rows = (
            people.annotate(eff=_effective_degree())
            .values(*keys, "eff")
            .annotate(**named)
            .order_by()
        )
        children = {}
        for row in rows:
            child = _child(kind, row)
            by_degree = children.setdefault(child, {})
            eff = row["eff"] or UNKNOWN
            n, nd = by_degree.get(eff, (0, 0))
            by_degree[eff] = (n + row["n"], nd + row.get("nd", 0))
        self.cache[parent] = children
        return children


def _child(parent_kind, row):
    if parent_kind == "country":
        return ("academie", row["establishment__departement__academie_id"])
    if parent_kind == "academie":
        return ("departement", row["establishment__departement_id"])
    if parent_kind == "departement" and row["establishment__sector_id"]:
        return ("sector", row["establishment__sector_id"])
    return ("establishment", row["establishment_id"])


def _population(by_degree, degree, discipline):
    """People of one child (its {degree: (n, nd)}) for a degree ("" = all) and discipline."""
    return sum(
        (nd if discipline else n)
        for eff, (n, nd) in by_degree.items()
        if not degree or eff == degree
    )


def _path(node):
    """[(node, parent)…] from the node up to the académie (the country has no parent)."""
    kind, pk = node
    path = []
    if kind == "establishment":
        row = (
            Establishment.objects.filter(pk=pk)
            .values("sector_id", "departement_id", "departement__academie_id")
            .first()
        )
        if row is None:
            return None
        upper = ("sector", row["sector_id"]) if row["sector_id"] else None
        path.append((node, upper or ("departement", row["departement_id"])))
        if upper:
            path.append((upper, ("departement", row["departement_id"])))
        path.append((("departement", row["departement_id"]),
                     ("academie", row["departement__academie_id"])))  # fmt: skip
        path.append((("academie", row["departement__academie_id"]), ("country", None)))
    elif kind == "sector":
        row = Sector.objects.filter(pk=pk).values("departement_id", "departement__academie_id")
        row = row.first()
        if row is None:
            return None
        path.append((node, ("departement", row["departement_id"])))
        path.append((("departement", row["departement_id"]),
                     ("academie", row["departement__academie_id"])))  # fmt: skip
        path.append((("academie", row["departement__academie_id"]), ("country", None)))
    elif kind == "departement":
        academie = Departement.objects.filter(pk=pk).values_list("academie_id", flat=True).first()
        if academie is None:
            return None
        path.append((node, ("academie", academie)))
        path.append((("academie", academie), ("country", None)))
    elif kind == "academie":
        if not Academie.objects.filter(pk=pk).exists():
            return None
        path.append((node, ("country", None)))
    return path


def _country_by_degree(counts):
    total = {}
    for by_degree in counts.rows(("country", None)).values():
        for eff, (n, nd) in by_degree.items():
            old = total.get(eff, (0, 0))
            total[eff] = (old[0] + n, old[1] + nd)
    return total


def _node_refused(node, parent, counts, degree, discipline):
    """Whether one node of the path is refused, for the filters and every coarser variant."""
    if parent is None:  # the country: no siblings, only its own degree and discipline split
        by_degree = _country_by_degree(counts)
        siblings = None
    else:
        siblings = counts.rows(parent)
        by_degree = siblings.get(node, {})
    degrees = {ALL, degree} if degree else {ALL}
    disciplines = {ALL, discipline} if discipline else {ALL}
    for g in degrees:
        for d in disciplines:
            if small(_population(by_degree, g, d)):
                return True
            if siblings is not None:
                populations = {
                    child: _population(of, g, d) for child, of in siblings.items()
                }  # fmt: skip
                if node in refused_siblings(populations):
                    return True
    if degree:
        for d in disciplines:
            # Every degree value, and the people whose degree is unknown (never chosen, but a
            # part of "all degrees" all the same).
            populations = {eff: _population(by_degree, eff, d) for eff in {*by_degree, degree}}
            if degree in refused_siblings(populations):
                return True
    if discipline:
        for g in degrees:
            teaching = _population(by_degree, g, discipline)
            others = _population(by_degree, g, ALL) - teaching
            if small(teaching) or small(others):
                return True
    return False


def _resolve(filters):
    """The finest territory chosen in the filters, as a node (None: no territory filter)."""
    if filters.get("establishment"):
        pk = (
            Establishment.objects.filter(uai=filters["establishment"].upper())
            .values_list("pk", flat=True)
            .first()
        )
        return ("establishment", pk) if pk else False
    if filters.get("sector"):
        value = filters["sector"]
        return ("sector", int(value)) if value.isdigit() else False
    if filters.get("departement"):
        pk = Departement.objects.filter(code=filters["departement"]).values_list("pk", flat=True)
        pk = pk.first()
        return ("departement", pk) if pk else False
    if filters.get("academie"):
        pk = Academie.objects.filter(code=filters["academie"]).values_list("pk", flat=True)
        pk = pk.first()
        return ("academie", pk) if pk else False
    return None


def check(*, scope, filters, establishments, degree="", discipline=""):
    """The verdict for one dashboard: the reader's `scope`, the cleaned territory `filters`
    (academie, departement, sector, establishment), the resulting `establishments` (an id
    queryset, None for the whole country) and the degree and discipline chosen."""
    people = User.objects.filter(establishment__isnull=False)
    person = Q()
    if degree:
        person &= Q(degree=degree) | Q(degree="", establishment__degree=degree)
    if discipline:
        person &= Q(disciplines__code=discipline)
    counts = _Counts(discipline)
    nodes = []
    chosen = _resolve(filters)  # False: a value that names nothing (empty figures, see below)
    if establishments is not None:
        # The population the figures are actually about: none, nothing to hide (or to say).
        population = people.filter(person, establishment__in=establishments).distinct().count()
        if population == 0:
            return Verdict()
        if small(population):
            return Verdict(served=False, reason=REASON_SMALL)
    if chosen:
        nodes.append(chosen)
    if not scope.everything:
        nodes += [("academie", pk) for pk in sorted(scope.academies)]
        nodes += [("departement", pk) for pk in sorted(scope.departements)]
        nodes += [("establishment", pk) for pk in sorted(scope.establishments)]
    steps = []
    for node in nodes:
        steps += _path(node) or []
    steps.append((("country", None), None))
    checked = set()
    for step, parent in steps:
        if step in checked:
            continue
        checked.add(step)
        if _node_refused(step, parent, counts, degree, discipline):
            small_here = _is_small(step, parent, counts, degree, discipline)
            return Verdict(served=False, reason=REASON_SMALL if small_here else REASON_NEIGHBOUR)
    schoolless = True
    if establishments is None:
        # The country as a whole: people without a school count only when they are 5 or more
        # (for every coarser variant of the filters too).
        without = User.objects.filter(establishment__isnull=True)
        variants = [without, without.filter(person)] if (degree or discipline) else [without]
        schoolless = all(not small(v.distinct().count()) for v in variants)
    return Verdict(schoolless=schoolless)


def _is_small(node, parent, counts, degree, discipline):
    if parent is None:
        by_degree = _country_by_degree(counts)
    else:
        by_degree = counts.rows(parent).get(node, {})
    return small(_population(by_degree, degree, discipline))


def check_criteria(criteria):
    """The verdict for the figures of Criteria built by IndicatorFilterSet.criteria()."""
    if criteria.scope is None:  # built by hand (tests, empty criteria): nothing to decide
        return Verdict()
    return check(
        scope=criteria.scope,
        filters=dict(criteria.territory),
        establishments=criteria.establishments,
        degree=criteria.degree,
        discipline=criteria.discipline,
    )
