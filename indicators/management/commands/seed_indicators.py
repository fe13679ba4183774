"""National-scale synthetic data for the indicator dashboards: `seed_indicators`.

The defaults are issue 7's: 300,000 teachers in the 30 académies and 3,000 schools,
20,000 workshops, 2,000,000 attendances, 500,000 badge assertions and 300,000 PIX
certifications, over the previous and the current school year. Every option scales down
(`--scale 0.01` divides them all; CI uses small numbers).

It lives in badges, not in cotraining's `seed_scale` (the catalogue's workshop offer for one
académie), because it writes badges and PIX rows and a lower layer never imports a higher one.
Rows go in with large bulk inserts (pages as seed_scale writes them: tree columns computed here,
child rows inserted raw); nothing is indexed for search and no signal runs. Accounts have
addresses at `indicateurs.entrepairs.test` and unusable passwords; a second run is refused.
"""

import random
import time
import uuid
from datetime import datetime, timedelta
from decimal import Decimal

from django.conf import settings
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from wagtail.models import Page, Site

from badges.constants import (
    CRCN_CODES,
    PIX_CODE_ALPHABET,
    BadgeKind,
    PixPlusEduScope,
    PixSource,
    PixStatus,
    level_field,
)
from badges.models import (
    Assertion,
    BadgeClass,
    BadgeClassVersion,
    Issuer,
    PixCertification,
    PixPlusEduResult,
    hash_identity,
)
from cotraining import school_year
from cotraining.constants import (
    Attendance,
    Degree,
    EnrollmentStatus,
    EstablishmentType,
    Modality,
    Role,
    SectorKind,
    SessionStatus,
    Theme,
    TrainingPlan,
)
from cotraining.models import (
    Academie,
    Departement,
    Discipline,
    Enrollment,
    Establishment,
    RoleAssignment,
    Sector,
    Session,
    User,
    WorkshopIndexPage,
    WorkshopPage,
)
from cotraining.services import ensure_workshop_section
from cotraining.validators import uai_check_letter
from indicators.queries import school_year_start

DOMAIN = "indicateurs.entrepairs.test"
SLUG_PREFIX = "indic-"
BATCH = 5000
DEFAULTS = {
    "teachers": 300_000,
    "schools": 3_000,
    "workshops": 20_000,
    "attendances": 2_000_000,
    "assertions": 500_000,
    "pix": 300_000,
}


def write(model, objects):
    """Insert `objects` (no primary key needed back): PostgreSQL COPY when available (2,000,000
    enrolments in 163 s instead of 330 s with bulk_create); bulk_create elsewhere (SQLite)."""
    if not objects:
        return
    if connection.vendor != "postgresql":
        model.objects.bulk_create(objects, batch_size=BATCH)
        return
    fields = [field for field in model._meta.concrete_fields if not field.primary_key]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    table = connection.ops.quote_name(model._meta.db_table)
    with connection.cursor() as cursor:
        with cursor.cursor.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
            for obj in objects:
                copy.write_row(
                    [
                        field.get_db_prep_save(field.pre_save(obj, True), connection)
                        for field in fields
                    ]
                )


class Command(BaseCommand):
    help = "Données synthétiques à l'échelle nationale pour les indicateurs (insertions en masse)."

    def add_arguments(self, parser):
        for name, default in DEFAULTS.items():
            parser.add_argument(f"--{name}", type=int, default=default)
        parser.add_argument(
            "--scale", type=float, default=1.0, help="Multiplie tous les volumes (0.01 : 1 %%)."
        )
        parser.add_argument("--seed", type=int, default=2026)
        parser.add_argument("--force", action="store_true", help="Même en production.")

    def handle(self, *args, **options):
        if settings.IS_PRODUCTION and not options["force"]:
            raise CommandError("seed_indicators refuse de s'exécuter en production (--force).")
        if User.objects.filter(email__endswith=f"@{DOMAIN}").exists():
            raise CommandError("Des données d'un passage précédent existent déjà.")
        n = {name: max(1, round(options[name] * options["scale"])) for name in DEFAULTS}
        self.rng = random.Random(options["seed"])  # noqa: S311 — made-up data
        self.verbosity = options["verbosity"]
        self.today = timezone.localdate()
        first = school_year_start(self.today) - 1
        self.start = school_year.first_day(first)  # the previous school year's first day
        self.days = (self.today - self.start).days
        self.tz = timezone.get_current_timezone()
        started = time.monotonic()
        with transaction.atomic():
            self._step("établissements", self._schools, n["schools"])
            self._step("enseignants", self._teachers, n["teachers"])
            self._step("ateliers", self._workshops, n["workshops"])
            self._step("séances et présences", self._attendances, n["attendances"])
            self._step("badges", self._assertions, n["assertions"])
            self._step("PIX", self._pix, n["pix"])
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        self.stdout.write(
            self.style.SUCCESS(
                ", ".join(f"{k} {v:,}" for k, v in n.items())
                + f" en {time.monotonic() - started:.0f} s."
            )
        )

    def _step(self, label, function, *args):
        started = time.monotonic()
        function(*args)
        if self.verbosity >= 1:
            self.stdout.write(f"  {label} : {time.monotonic() - started:.1f} s")

    def _moment(self, *, past=True):
        day = self.start + timedelta(days=self.rng.randrange(max(1, self.days)))
        hour = self.rng.choice([9, 14, 15])
        return datetime(day.year, day.month, day.day, hour, tzinfo=self.tz)

    # --- Territory and people -----------------------------------------------------------------

    def _schools(self, count):
        rng = self.rng
        departements = [d for d in Departement.objects.all() if d.code.isdigit()]
        sectors = []
        for dep in departements:
            for kind, label in (
                (SectorKind.CIRCONSCRIPTION, "Circ."),
                (SectorKind.BASSIN, "Bassin"),
            ):
                sectors.append(
                    Sector(
                        kind=kind,
                        code=f"IND-{kind[:1]}",
                        name=f"{label} {dep.name}",
                        departement=dep,
                    )
                )
        Sector.objects.bulk_create(sectors, ignore_conflicts=True)
        by_dep = {}
        for sector in Sector.objects.filter(code__startswith="IND-"):
            by_dep.setdefault(sector.departement_id, {})[sector.kind] = sector.pk
        schools = []
        for n in range(count):
            dep = departements[n % len(departements)]
            first7 = f"{dep.code}{9999 - n // len(departements):04d}"
            ecole = rng.random() < 0.6
            kind = SectorKind.CIRCONSCRIPTION if ecole else SectorKind.BASSIN
            schools.append(
                Establishment(
                    uai=first7 + uai_check_letter(first7),
                    name=f"{'École' if ecole else 'Collège'} {n} ({dep.name})",
                    type=EstablishmentType.ECOLE if ecole else EstablishmentType.COLLEGE,
                    degree=Degree.FIRST if ecole else Degree.SECOND,
                    departement_id=dep.pk,
                    sector_id=by_dep[dep.pk][kind],
                )
            )
        Establishment.objects.bulk_create(schools, batch_size=BATCH)
        self.schools = list(
            Establishment.objects.filter(uai__in=[s.uai for s in schools]).values_list(
                "pk", "degree", "departement__academie_id"
            )
        )

    def _teachers(self, count):
        rng = self.rng
        password = make_password(None)
        disciplines = list(Discipline.objects.values_list("pk", flat=True))
        self.teachers_by_academie = {}
        for offset in range(0, count, BATCH):
            users = []
            for n in range(offset, min(count, offset + BATCH)):
                school, degree, _academie = rng.choice(self.schools)
                users.append(
                    User(
                        email=f"enseignant-{n}@{DOMAIN}",
                        first_name="Prénom",
                        last_name=f"Nom {n}",
                        password=password,
                        degree=degree,
                        establishment_id=school,
                    )
                )
            User.objects.bulk_create(users)
            created = User.objects.filter(email__in=[u.email for u in users]).values_list(
                "pk", "establishment__departement__academie_id", "degree"
            )
            roles, taught = [], []
            for pk, academie, degree in created:
                self.teachers_by_academie.setdefault(academie, []).append(pk)
                roles.append(RoleAssignment(user_id=pk, role=Role.TEACHER))
                if degree == Degree.SECOND and disciplines:
                    taught.append(
                        User.disciplines.through(user_id=pk, discipline_id=rng.choice(disciplines))
                    )
            RoleAssignment.objects.bulk_create(roles)
            User.disciplines.through.objects.bulk_create(taught)
        self.all_teachers = [pk for ids in self.teachers_by_academie.values() for pk in ids]

    # --- Workshops, sessions, attendance --------------------------------------------------------

    def _workshops(self, count):
        rng = self.rng
        site = Site.objects.get(is_default_site=True)
        catalogue = (
            WorkshopIndexPage.objects.child_of(site.root_page).filter(slug="ateliers").first()
        )
        if catalogue is None:
            catalogue = site.root_page.add_child(
                instance=WorkshopIndexPage(title="Ateliers", slug="ateliers")
            )
        content_type = ContentType.objects.get_for_model(WorkshopPage)
        academies = [a for a in Academie.objects.all() if a.pk in self.teachers_by_academie]
        self.workshops = []  # (pk, academie_id, modality, hours)
        self.academie_of = {}
        per_academie = max(1, count // len(academies))
        for number, academie in enumerate(academies):
            wanted = per_academie if number < len(academies) - 1 else count - per_academie * number
            if wanted <= 0:
                continue
            section = ensure_workshop_section(academie=academie, catalogue=catalogue)
            last = section.get_last_child()
            step = Page._str2int(last.path[-Page.steplen :]) + 1 if last else 1
            pages = []
            for n in range(wanted):
                slug = f"{SLUG_PREFIX}{academie.code}-{n}"
                pages.append(
                    Page(
                        title=f"Atelier {n}",
                        draft_title=f"Atelier {n}",
                        slug=slug,
                        content_type=content_type,
                        locale_id=section.locale_id,
                        path=Page._get_path(section.path, section.depth + 1, step + n),
                        depth=section.depth + 1,
                        numchild=0,
                        url_path=f"{section.url_path}{slug}/",
                        live=True,
                        translation_key=uuid.uuid4(),
                    )
                )
            Page.objects.bulk_create(pages, batch_size=BATCH)
            Page.objects.filter(pk=section.pk).update(numchild=F("numchild") + wanted)
            rows = []
            for page in pages:
                plan = rng.choice([TrainingPlan.PAF, TrainingPlan.PDF, "", ""])
                modality = rng.choice(Modality.values)
                hours = rng.choice([Decimal("1.5"), Decimal(3), Decimal(3), Decimal(6)])
                rows.append(
                    WorkshopPage(
                        page_ptr_id=page.pk,
                        id=page.pk,
                        content_type_id=content_type.pk,
                        title=page.title,
                        slug=page.slug,
                        path=page.path,
                        depth=page.depth,
                        summary="Atelier de charge.",
                        body=[],
                        theme=rng.choice(Theme.values),
                        degree=rng.choice(["", Degree.FIRST, Degree.SECOND]),
                        modality=modality,
                        duration_hours=hours,
                        training_plan=plan,
                        school_year="2026-2027" if plan else "",
                        academie_id=academie.pk,
                    )
                )
                self.workshops.append((page.pk, academie.pk, modality, hours))
                self.academie_of[page.pk] = academie.pk
            # bulk_create refuses multi-table children: the child rows go in raw, in batches.
            fields = WorkshopPage._meta.local_concrete_fields
            for offset in range(0, len(rows), BATCH):
                WorkshopPage._base_manager._insert(
                    rows[offset : offset + BATCH], fields=fields, raw=True
                )

    def _attendances(self, count):
        """Sessions of about 25 people over two school years until `count` enrolment rows are
        written (past seats mostly marked present, some absent; full sessions have a queue)."""
        rng = self.rng
        now = timezone.now()
        schools_by_academie = {}
        for pk, _degree, academie in self.schools:
            schools_by_academie.setdefault(academie, []).append(pk)
        made, number = 0, 0
        while made < count:
            sessions = []
            for _n in range(1000):
                workshop, academie, modality, hours = self.workshops[number % len(self.workshops)]
                number += 1
                start = self._moment()
                remote = modality == Modality.REMOTE
                host = None if remote else rng.choice(schools_by_academie[academie])
                cancelled = rng.random() < 0.03
                sessions.append(
                    Session(
                        workshop_id=workshop,
                        start=start,
                        end=start + timedelta(hours=float(hours)),
                        modality=modality,
                        capacity=rng.choice([20, 25, 30, 40]),
                        establishment_id=host,
                        visio_url="https://visio.example.test/x" if remote else "",
                        status=SessionStatus.CANCELLED if cancelled else SessionStatus.SCHEDULED,
                    )
                )
            Session.objects.bulk_create(sessions, batch_size=BATCH)
            rows = []
            for session in sessions:
                teachers = self.teachers_by_academie[self.academie_of[session.workshop_id]]
                size = min(len(teachers), session.capacity + rng.randint(-8, 4), count - made)
                if size <= 0:
                    break
                past = session.start < now
                for position, user in enumerate(rng.sample(teachers, size)):
                    rows.append(self._enrolment(session, user, position, past))
                made += size
            write(Enrollment, rows)

    def _enrolment(self, session, user, position, past):
        waitlisted = position >= session.capacity
        attendance, hours = "", None
        if past and not waitlisted:
            attendance = self.rng.choices(
                [Attendance.PRESENT, Attendance.PARTIAL, Attendance.ABSENT], [80, 5, 15]
            )[0]
            length = Decimal(round((session.end - session.start).total_seconds() / 3600, 1))
            hours = {Attendance.PRESENT: length, Attendance.PARTIAL: length / 2}.get(attendance)
        return Enrollment(
            session_id=session.pk,
            user_id=user,
            status=EnrollmentStatus.WAITLISTED if waitlisted else EnrollmentStatus.CONFIRMED,
            waitlisted_at=session.start - timedelta(days=3) if waitlisted else None,
            attendance=attendance,
            hours_attended=hours,
        )

    # --- Badges and PIX -----------------------------------------------------------------------

    def _assertions(self, count):
        rng = self.rng
        classes = []
        for academie in Academie.objects.filter(pk__in=self.teachers_by_academie):
            issuer = Issuer.objects.create(
                name=f"DANE {academie.name}",
                url="https://example.test",
                email="dane@example.test",
                academie=academie,
            )
            for number, kind in enumerate([BadgeKind.PARTICIPANT] * 4 + [BadgeKind.TRAINER]):
                badge = BadgeClass.objects.create(
                    issuer=issuer,
                    name=f"Badge {number + 1} — {academie.name}",
                    description="-",
                    criteria_narrative="-",
                    kind=kind,
                    image="badges/classes/charge.png",
                )
                version = BadgeClassVersion.objects.create(badge_class=badge, number=1, document={})
                classes.append((academie.pk, badge.pk, version.pk))
        emails = dict(User.objects.filter(email__endswith=f"@{DOMAIN}").values_list("pk", "email"))
        for offset in range(0, count, BATCH):
            rows = []
            for n in range(offset, min(count, offset + BATCH)):
                academie, badge, version = rng.choice(classes)
                user = rng.choice(self.teachers_by_academie[academie])
                salt = f"{n:032x}"
                rows.append(
                    Assertion(
                        badge_class_id=badge,
                        version_id=version,
                        recipient_id=user,
                        recipient_email=emails[user],
                        salt=salt,
                        identity=hash_identity(emails[user], salt),
                        source=f"charge:{n}",
                        issued_on=self._moment(),
                        revoked=rng.random() < 0.02,
                    )
                )
            write(Assertion, rows)

    def _pix(self, count):
        rng = self.rng
        alphabet = PIX_CODE_ALPHABET
        for offset in range(0, count, BATCH):
            rows = []
            for n in range(offset, min(count, offset + BATCH)):
                levels = {level_field(code): rng.randint(0, 6) for code in CRCN_CODES}
                code, rest = "", n
                for _position in range(8):
                    code, rest = alphabet[rest % len(alphabet)] + code, rest // len(alphabet)
                status = rng.choices(list(PixStatus), [20, 77, 3])[0]
                rows.append(
                    PixCertification(
                        user_id=rng.choice(self.all_teachers),
                        taken_on=self._moment().date(),
                        score=min(1024, 8 * sum(levels.values()) + rng.randint(0, 7)),
                        max_level=6,
                        verification_code=f"P-{code}",
                        status=status,
                        rejection_reason="charge" if status == PixStatus.REJECTED else "",
                        source=PixSource.IMPORT,
                        **levels,
                    )
                )
            created = PixCertification.objects.bulk_create(rows)
            plus = []
            for certification in created:
                if rng.random() < 0.1:
                    automated = rng.randint(1, 4)
                    jury = rng.choice([None, rng.randint(1, 4)])
                    plus.append(
                        PixPlusEduResult(
                            certification_id=certification.pk,
                            scope=rng.choice(PixPlusEduScope.values),
                            automated_level=automated,
                            jury_level=jury,
                            level=PixPlusEduResult.final_level(automated, jury),
                        )
                    )
            PixPlusEduResult.objects.bulk_create(plus)
