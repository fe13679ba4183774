"""A large, realistic workshop offer for benchmarks: `seed_scale --workshops 10000`.

Creating 10,000 pages one at a time through treebeard's `add_child` costs several queries and a
re-read of the parent per page. This command writes the same rows in bulk: it computes the tree
columns (path, depth, url_path) itself, bulk-inserts the `wagtailcore_page` rows, then the
`cotraining_workshoppage` rows the way `loaddata` inserts multi-table children
(`save_base(raw=True)`: parent rows exist, no signal handler reacts to raw saves), and indexes the
pages for search in chunks. Pages are live, published as if imported (no revision), and
`manage.py fixtree` finds nothing to fix afterwards.

Every scale workshop has a slug starting with `charge-` and every scale account an address at
`charge.entrepairs.test`: that is how a second run recognises them (refused, or `--reset`).
"""

import random
import time
import uuid
from datetime import datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from itertools import batched

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify
from taggit.models import Tag
from wagtail.models import Page, Site
from wagtail.search.backends import get_search_backend

from cotraining.catalogue_cache import touch_catalogue
from cotraining.constants import (
    Degree,
    EnrollmentStatus,
    Framework,
    Modality,
    Role,
    SessionStatus,
    Theme,
    TrainingPlan,
)
from cotraining.models import (
    Academie,
    Competence,
    Discipline,
    Enrollment,
    Establishment,
    Session,
    User,
    WorkshopIndexPage,
    WorkshopPage,
    WorkshopPageTag,
)
from cotraining.services import ensure_workshop_section, grant_role

SLUG_PREFIX = "charge-"
USER_DOMAIN = "charge.entrepairs.test"
CATALOGUE_SLUG = "ateliers"
ACADEMIE_CODE = "13"  # Poitiers
BATCH = 1000

TOPICS = {
    Theme.EQUAL_ACCESS: [
        "Rendre ses supports de cours accessibles",
        "Synthèse vocale et lecture augmentée",
        "Outils de compensation pour les élèves à besoins particuliers",
        "Réduire la fracture numérique des familles",
        "Prêt de tablettes et équipement mobile",
        "Sous-titrer ses vidéos pédagogiques",
    ],
    Theme.TEACHING: [
        "Capytale en mathématiques et NSI",
        "Classe inversée avec Éléa",
        "Évaluation formative par quiz",
        "Programmer avec Scratch au cycle 3",
        "Intelligence artificielle générative en classe",
        "Cartes mentales numériques",
        "Podcast et radio scolaire",
        "GeoGebra au collège",
        "Escape game pédagogique",
        "Réalité virtuelle en sciences",
    ],
    Theme.COLLABORATION: [
        "Travailler en équipe avec l'ENT",
        "Co-construire une séquence avec Nextcloud",
        "Classe virtuelle et visioconférence",
        "Murs collaboratifs avec Digipad",
        "Écriture collaborative avec Digidoc",
        "Conseils pédagogiques à distance",
    ],
    Theme.RESPONSIBLE: [
        "Sobriété numérique en établissement",
        "Protéger les données personnelles des élèves",
        "Logiciels libres pour la classe",
        "Éducation aux médias et à l'information",
        "Citoyenneté numérique et cyberharcèlement",
        "Reconditionner le parc informatique",
    ],
    Theme.GOVERNANCE: [
        "Piloter le projet numérique d'établissement",
        "Tableaux de bord pour le conseil pédagogique",
        "Suivre les certifications Pix des élèves",
        "Préparer le plan numérique de l'école",
        "Anticiper les usages avec les indicateurs académiques",
    ],
}
ANGLES = [
    "premiers pas",
    "approfondissement",
    "retours d'expérience",
    "atelier pratique",
    "au cycle 3",
    "au lycée professionnel",
    "en école maternelle",
    "en réseau d'éducation prioritaire",
    "pour les professeurs principaux",
    "concevoir une séquence",
]
FORMATS = [
    "Un atelier entre pairs",
    "Une demi-journée de pratique",
    "Un temps d'échange entre collègues",
    "Une session de co-construction",
    "Un parcours court, animé par des enseignants formateurs,",
]
GOALS = [
    "pour découvrir des usages du numérique éprouvés en classe.",
    "pour adapter ses séquences aux besoins de tous les élèves.",
    "pour partager des pratiques et repartir avec des ressources libres.",
    "pour mettre en œuvre le cadre de référence des compétences numériques.",
    "pour préparer ses élèves à la certification Pix.",
]
OUTCOMES = [
    "Chacun repart avec une séance prête à l'emploi.",
    "Apportez un ordinateur portable et une séquence en cours.",
    "Les productions sont partagées sur l'ENT de l'académie.",
    "Un suivi à distance est proposé un mois plus tard.",
    "",
]
TAGS = [
    "ENT",
    "Pix",
    "IA",
    "Capytale",
    "Éléa",
    "Moodle",
    "apps.education.fr",
    "classe inversée",
    "évaluation",
    "inclusion",
    "RGPD",
    "sobriété",
    "EMI",
    "programmation",
    "vidéo",
    "podcast",
    "tablettes",
    "visio",
]
FIRST_NAMES = ["Camille", "Léa", "Hugo", "Chloé", "Lucas", "Inès", "Nathan", "Manon", "Yanis"]
FIRST_NAMES += ["Sarah", "Louis", "Emma", "Karim", "Julie", "Thomas", "Aïcha", "Paul", "Zoé"]
LAST_NAMES = ["Martin", "Bernard", "Dubois", "Thomas", "Robert", "Richard", "Petit", "Durand"]
LAST_NAMES += ["Leroy", "Moreau", "Simon", "Laurent", "Lefebvre", "Michel", "Garcia", "Benali"]
STREETS = ["rue de la Tranchée", "avenue du Recteur Pineau", "boulevard Pont-Achard"]
STREETS += ["rue Carnot", "place du Marché", "rue des Écoles"]
DURATIONS = [Decimal(hours) for hours in ("1.5", "3", "3", "6", "6", "9", "12")]
HOURS = [clock(9), clock(9, 30), clock(14), clock(14), clock(16, 30)]


def scale_workshops():
    """The workshops this command created (recognised by their slug)."""
    return WorkshopPage.objects.filter(slug__startswith=SLUG_PREFIX)


def scale_users():
    return User.objects.filter(email__endswith=f"@{USER_DOMAIN}")


class Command(BaseCommand):
    help = (
        "Crée une offre d'ateliers volumineuse et réaliste (pages, séances, inscriptions) pour les "
        "mesures de performance : seed_scale --workshops 10000."
    )

    def add_arguments(self, parser):
        parser.add_argument("--workshops", type=int, default=10_000, help="Nombre d'ateliers.")
        parser.add_argument(
            "--sessions-per-workshop",
            type=int,
            default=3,
            help="Nombre maximal de séances par atelier (chacun en a entre 1 et ce nombre).",
        )
        parser.add_argument("--teachers", type=int, default=400, help="Comptes enseignants.")
        parser.add_argument("--trainers", type=int, default=30, help="Comptes formateurs.")
        parser.add_argument("--seed", type=int, default=2026, help="Graine du tirage aléatoire.")
        parser.add_argument(
            "--reset",
            action="store_true",
            help="Supprime d'abord les données d'un passage précédent.",
        )
        parser.add_argument(
            "--force", action="store_true", help="S'exécute même avec les réglages de production."
        )

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION and not options["force"]:
            raise CommandError(
                "seed_scale refuse de s'exécuter avec les réglages de production (--force)."
            )
        if options["workshops"] < 1 or options["sessions_per_workshop"] < 1:
            raise CommandError("--workshops et --sessions-per-workshop doivent valoir au moins 1.")
        if options["teachers"] < 1 or options["trainers"] < 1:
            raise CommandError("--teachers et --trainers doivent valoir au moins 1.")
        existing = scale_workshops().count()
        if existing and not options["reset"]:
            raise CommandError(
                f"{existing} ateliers de charge existent déjà (slug « {SLUG_PREFIX}… ») : "
                "relancez avec --reset pour les remplacer."
            )
        self.verbosity = options["verbosity"]
        self.rng = random.Random(options["seed"])  # noqa: S311 — made-up data, not secrets
        self.now = timezone.now()
        self.tz = timezone.get_current_timezone()
        started = time.monotonic()
        with transaction.atomic():
            if options["reset"]:
                self._step("suppression du passage précédent", self._delete)
            section = self._catalogue()
            self.academie = section.academie
            self._reference_data()
            self._step(
                "comptes", self._people, teachers=options["teachers"], trainers=options["trainers"]
            )
            pages = self._step("pages", self._pages, section, options["workshops"])
            self._step("ateliers", self._workshops, pages)
            self._step("relations", self._relations, pages)
            sessions = self._step(
                "séances", self._sessions, pages, options["sessions_per_workshop"]
            )
            enrollments = self._step("inscriptions", self._enrollments, sessions)
            self._step("index de recherche", self._index, [page.pk for page in pages])
            # Bulk inserts send no signals: cached catalogue listings are made obsolete here.
            touch_catalogue()
        # Planner statistics: without them SQLite picks poor plans for the catalogue's counts.
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                f"{len(pages)} ateliers, {len(sessions)} séances, {enrollments} inscriptions "
                f"sous {section.url_path} en {time.monotonic() - started:.1f} s."
            )
        )

    def _step(self, label, function, *args, **kwargs):
        started = time.monotonic()
        result = function(*args, **kwargs)
        if self.verbosity >= 2:
            self.stdout.write(f"  {label} : {time.monotonic() - started:.1f} s")
        return result

    # --- Where the workshops go ---------------------------------------------------------------

    def _catalogue(self):
        """Poitiers' section of the site's catalogue (/ateliers/, reused when seed_demo made it)."""
        site = Site.objects.filter(is_default_site=True).select_related("root_page").first()
        if site is None:
            raise CommandError("Pas de site par défaut : lancez d'abord migrate.")
        home = site.root_page
        catalogue = WorkshopIndexPage.objects.child_of(home).filter(slug=CATALOGUE_SLUG).first()
        if catalogue is None:
            if home.get_children().filter(slug=CATALOGUE_SLUG).exists():
                raise CommandError(
                    f"Une page « {CATALOGUE_SLUG} » qui n'est pas un catalogue existe déjà "
                    "sous l'accueil."
                )
            catalogue = home.add_child(
                instance=WorkshopIndexPage(
                    title="Ateliers",
                    slug=CATALOGUE_SLUG,
                    intro="Les ateliers de co-formation proposés par les enseignants formateurs.",
                )
            )
            catalogue.save_revision().publish()
        academie = Academie.objects.get(code=ACADEMIE_CODE)
        section = ensure_workshop_section(academie=academie, catalogue=catalogue)
        return section

    def _reference_data(self):
        self.departements = list(self.academie.departements.all())
        self.disciplines = list(Discipline.objects.exclude(code="polyvalent"))
        self.polyvalent = Discipline.objects.filter(code="polyvalent").first()
        self.competences = list(Competence.objects.filter(framework=Framework.CRCN))
        self.establishments = list(
            Establishment.objects.filter(departement__academie=self.academie).values_list(
                "pk", flat=True
            )
        )
        self.tags = [Tag.objects.get_or_create(name=name)[0] for name in TAGS]
        self.content_type = ContentType.objects.get_for_model(WorkshopPage)

    def _people(self, *, teachers, trainers):
        """Teachers who enrol and trainers who lead, with their roles (through the service)."""
        password = make_password(None)  # unusable: these accounts never log in
        rng = self.rng
        users = [
            User(
                email=f"{kind}-{n:04d}@{USER_DOMAIN}",
                first_name=rng.choice(FIRST_NAMES),
                last_name=rng.choice(LAST_NAMES),
                password=password,
                degree=rng.choice(Degree.values),
                establishment_id=rng.choice(self.establishments) if self.establishments else None,
            )
            for kind, count in (("formateur", trainers), ("enseignant", teachers))
            for n in range(count)
        ]
        User.objects.bulk_create(users, batch_size=BATCH)
        self.trainers = users[:trainers]
        self.teachers = [user.pk for user in users[trainers:]]
        for user in self.trainers:
            grant_role(user=user, role=Role.TRAINER, academie=self.academie)
        for user in users:
            grant_role(user=user, role=Role.TEACHER)

    # --- Pages --------------------------------------------------------------------------------

    def _pages(self, section, count):
        """The wagtailcore_page rows, children of `section`, with the tree columns computed here."""
        last = section.get_last_child()
        first_step = Page._str2int(last.path[-Page.steplen :]) + 1 if last else 1
        depth = section.depth + 1
        rng = self.rng
        pages = []
        self.specs = {}
        for n in range(count):
            theme = rng.choice(Theme.values)
            topic = rng.choice(TOPICS[theme])
            title = f"{topic} : {rng.choice(ANGLES)}"
            slug = f"{SLUG_PREFIX}{n + 1:05d}-{slugify(title)[:50].rstrip('-')}"
            published = self.now - timedelta(days=rng.uniform(1, 420))
            changed = min(self.now, published + timedelta(days=rng.choice([0, 0, 3, 30, 90])))
            pages.append(
                Page(
                    title=title,
                    draft_title=title,
                    slug=slug,
                    content_type=self.content_type,
                    locale_id=section.locale_id,
                    path=Page._get_path(section.path, depth, first_step + n),
                    depth=depth,
                    numchild=0,
                    url_path=f"{section.url_path}{slug}/",
                    live=True,
                    has_unpublished_changes=False,
                    first_published_at=published,
                    last_published_at=changed,
                    latest_revision_created_at=changed,
                    translation_key=uuid.uuid4(),
                )
            )
            self.specs[n] = (theme, topic)
        Page.objects.bulk_create(pages, batch_size=BATCH)
        Page.objects.filter(pk=section.pk).update(numchild=F("numchild") + count)
        return pages

    def _workshops(self, pages):
        """The cotraining_workshoppage rows. bulk_create refuses multi-table children: each row
        is inserted as `loaddata` does it (raw: the page row exists, handlers skip raw saves)."""
        rng = self.rng
        self.workshops = []
        for n, page in enumerate(pages):
            theme, topic = self.specs[n]
            summary = f"{rng.choice(FORMATS)} {rng.choice(GOALS)} {rng.choice(OUTCOMES)}".strip()
            plan = rng.choice([TrainingPlan.PAF, TrainingPlan.PDF, "", "", ""])
            workshop = WorkshopPage(
                page_ptr_id=page.pk,
                id=page.pk,
                content_type_id=self.content_type.pk,
                summary=summary,
                body=[
                    {
                        "type": "paragraph",
                        "value": f"<p>{topic}. {summary}</p>",
                        "id": str(uuid.uuid4()),
                    }
                ],
                theme=theme,
                degree=rng.choice(["", Degree.FIRST, Degree.SECOND, Degree.SECOND]),
                modality=rng.choice(Modality.values),
                duration_hours=rng.choice(DURATIONS),
                training_plan=plan,
                plan_identifier=f"26A013{rng.randint(0, 9999):04d}" if plan else "",
                school_year="2026-2027" if plan else "",
                academie_id=self.academie.pk,
                approval_required=rng.random() < 0.2,
            )
            workshop.save_base(raw=True, force_insert=True)
            self.workshops.append(workshop)

    def _relations(self, pages):
        rng = self.rng
        through = WorkshopPage.disciplines.through
        disciplines, competences, departements, trainers, tags = [], [], [], [], []
        for workshop in self.workshops:
            pk = workshop.pk
            if workshop.degree == Degree.FIRST and self.polyvalent:
                chosen = [self.polyvalent]
            else:
                chosen = rng.sample(self.disciplines, rng.choice([0, 1, 1, 2, 3]))
            disciplines += [through(workshoppage_id=pk, discipline=item) for item in chosen]
            competences += [
                WorkshopPage.competences.through(workshoppage_id=pk, competence=item)
                for item in rng.sample(self.competences, rng.randint(1, 3))
            ]
            departements += [
                WorkshopPage.departements.through(workshoppage_id=pk, departement=item)
                for item in rng.sample(self.departements, rng.choice([0, 0, 1, 2]))
            ]
            trainers += [
                WorkshopPage.trainers.through(workshoppage_id=pk, user=item)
                for item in rng.sample(self.trainers, rng.randint(1, min(2, len(self.trainers))))
            ]
            tags += [
                WorkshopPageTag(content_object_id=pk, tag=item)
                for item in rng.sample(self.tags, rng.randint(0, 3))
            ]
        for rows in (disciplines, competences, departements, trainers, tags):
            if rows:
                type(rows[0]).objects.bulk_create(rows, batch_size=BATCH)

    # --- Sessions and enrolments --------------------------------------------------------------

    def _sessions(self, pages, per_workshop):
        """1 to `per_workshop` sessions each, from six months ago to eight months ahead."""
        rng = self.rng
        today = timezone.localdate(self.now)
        sessions = []
        for workshop in self.workshops:
            day = today + timedelta(days=rng.randint(-180, 240))
            for _n in range(rng.randint(1, per_workshop)):
                start = datetime.combine(day, rng.choice(HOURS), tzinfo=self.tz)
                sessions.append(self._session(workshop, start))
                day += timedelta(days=rng.randint(7, 35))
        Session.objects.bulk_create(sessions, batch_size=BATCH)
        return sessions

    def _session(self, workshop, start):
        rng = self.rng
        modality = workshop.modality
        on_site = modality in (Modality.IN_PERSON, Modality.HYBRID)
        establishment = None
        address = ""
        if on_site and self.establishments and rng.random() < 0.7:
            establishment = rng.choice(self.establishments)
        elif on_site:
            address = f"{rng.randint(1, 80)} {rng.choice(STREETS)}, 86000 Poitiers"
        cancelled = rng.random() < 0.04
        return Session(
            workshop_id=workshop.pk,
            start=start,
            end=start + timedelta(hours=float(min(workshop.duration_hours, Decimal(3)))),
            modality=modality,
            establishment_id=establishment,
            address=address,
            room=f"Salle {rng.randint(1, 40)}" if on_site else "",
            visio_url=(
                f"https://visio.education.fr/meeting/{rng.randint(10**8, 10**9)}"
                if not on_site or modality == Modality.HYBRID
                else ""
            ),
            capacity=rng.choice([8, 12, 12, 16, 20, 24, 30]),
            enrollment_opens=start - timedelta(days=45),
            enrollment_closes=start - timedelta(days=2),
            status=SessionStatus.CANCELLED if cancelled else SessionStatus.SCHEDULED,
            cancellation_reason="Formateur indisponible" if cancelled else "",
        )

    def _enrollments(self, sessions):
        """Half the sessions have people: some full with a waiting list, a few cancellations."""
        rng = self.rng
        rows = []
        now = timezone.now()
        for session in sessions:
            if rng.random() < 0.5:
                continue
            confirmed = min(session.capacity, round(session.capacity * rng.uniform(0.1, 1.2)))
            waitlisted = rng.randint(0, 4) if confirmed == session.capacity else 0
            cancelled = rng.choice([0, 0, 0, 1, 2])
            people = rng.sample(
                self.teachers, min(len(self.teachers), confirmed + waitlisted + cancelled)
            )
            statuses = (
                [EnrollmentStatus.CONFIRMED] * confirmed
                + [EnrollmentStatus.WAITLISTED] * waitlisted
                + [EnrollmentStatus.CANCELLED] * cancelled
            )
            rows += [
                Enrollment(
                    session_id=session.pk,
                    user_id=user,
                    status=status,
                    waitlisted_at=now if status == EnrollmentStatus.WAITLISTED else None,
                )
                for user, status in zip(people, statuses, strict=False)
            ]
        Enrollment.objects.bulk_create(rows, batch_size=BATCH * 2)
        return len(rows)

    def _index(self, ids):
        backend = get_search_backend()
        # modelsearch prefetches the tags but not this ParentalManyToManyField (3 queries a page).
        indexed = WorkshopPage.get_indexed_objects().prefetch_related("competences")
        for chunk in batched(ids, BATCH):
            backend.add_bulk(WorkshopPage, list(indexed.filter(pk__in=chunk)))

    # --- Reset --------------------------------------------------------------------------------

    def _delete(self):
        workshops = scale_workshops()
        Enrollment.objects.filter(session__workshop__in=workshops).delete()
        Session.objects.filter(workshop__in=workshops).delete()
        workshops.delete()  # treebeard's delete: the section's numchild follows
        scale_users().delete()
