"""Demo data: one académie (Poitiers), real-looking schools and one account per role.

Idempotent: running it twice changes nothing. Later features add their own demo data here, so
that the demo always shows every feature to every role.

Enrolment: the colleagues' rows are bulk-created (no emails); the demo teacher's own path goes
through the services, so it is exactly what the application would have written, and costs a
handful of emails (printed to the console in development).

Open Badges: the DANE issues a participant badge for a few workshops, a trainer badge and a
stand-alone badge; the demo teacher's completions are awarded through the badges services (baked
images written to MEDIA_ROOT, a handful of emails), one of her badges is public and a colleague's
badge was revoked.
"""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from wagtail.models import Site

from badges.constants import CRCN_CODES, AwardRights, BadgeKind, ExpiryRule
from badges.models import Assertion, BadgeClass, Issuer, PixCertification, site_url
from badges.services import pix
from badges.services.awards import award_badge, award_completion_badges
from badges.services.revocation import revoke_assertion
from cms.demo_calendar import training_day
from cms.demo_communities import seed_community_demo
from cms.demo_content import COURSES, RESOURCES, RETEX, SESSION_PLANS, WORKSHOPS
from cms.demo_indicators import seed_indicator_demo
from cms.models import PlatformSettings, ResourcePage, RetexPage
from cms.site_structure import ensure_academie_sections, ensure_site
from cotraining import school_year
from cotraining.catalogue_cache import touch_catalogue
from cotraining.constants import (
    Attendance,
    Degree,
    EnrollmentMode,
    EnrollmentStatus,
    EstablishmentType,
    Modality,
    NotificationKind,
    NotificationStatus,
    Role,
    SessionStatus,
)
from cotraining.models import (
    Academie,
    Competence,
    Completion,
    Departement,
    Discipline,
    Enrollment,
    Establishment,
    Notification,
    Session,
    User,
    WorkshopPage,
)
from cotraining.reference import load_competences, load_reference_data
from cotraining.services import enroll, grant_role, record_attendance
from cotraining.validators import uai_check_letter

DEMO_DOMAIN = "demo.entrepairs.fr"

# (first 7 digits of the UAI, name, type, commune, département)
SCHOOLS = [
    ("0860034", "Lycée Camille Guérin", EstablishmentType.LYCEE, "Poitiers", "086"),
    ("0861114", "Collège Henri IV", EstablishmentType.COLLEGE, "Poitiers", "086"),
    ("0860512", "École élémentaire Paul Bert", EstablishmentType.ECOLE, "Châtellerault", "086"),
    ("0160002", "Lycée Guez de Balzac", EstablishmentType.LYCEE, "Angoulême", "016"),
    ("0170027", "Collège Fromentin", EstablishmentType.COLLEGE, "La Rochelle", "017"),
    ("0790516", "École élémentaire Jules Ferry", EstablishmentType.ECOLE, "Niort", "079"),
]

# (local part, first name, last name, role, scope)
ACCOUNTS = [
    ("enseignant", "Camille", "Martin", Role.TEACHER, None),
    ("formateur", "Karim", "Benali", Role.TRAINER, "academie"),
    ("coordination", "Sophie", "Durand", Role.COORDINATOR, "academie"),
    ("indicateurs", "Jean", "Moreau", Role.INDICATOR_READER, "academie"),
    ("direction", "Claire", "Lefèvre", Role.SCHOOL_HEAD, "establishment"),
    ("admin", "Alex", "Admin", Role.PLATFORM_ADMIN, None),
]


# The demo teacher's path through the enrolment features (workshop slugs of demo_content).
TEACHER_CONFIRMED = "cybersecurite-etablissement"  # hybrid, at the teacher's lycée
TEACHER_WAITLISTED = "inclusion-outils-numeriques"  # its next session is full
TEACHER_PENDING = "capytale-python-en-classe"  # approval_required: the lycée's head decides
TEACHER_ATTENDED_LAST_YEAR = "mutualiser-ressources-forge"  # present, previous school year
TEACHER_ATTENDED_PARTLY = "pix-accompagner-eleves"  # partly present, its recent past session
COLLEAGUE_PENDING = ("collegue007", "pilotage-tableaux-de-bord")  # collegue007 is at the lycée
# Full sessions that get a waiting list: workshop slug, colleagues (numbers) waiting in line.
WAITING_LISTS = [
    ("inclusion-outils-numeriques", [41, 42]),
    ("visio-classe-virtuelle", [51, 52, 53, 54]),
]
FAILED_EMAIL_TO = "collegue017"

# Open Badges: the issuer, its badge images (cms/data/badges/) and its badge classes.
BADGE_IMAGES = Path(__file__).resolve().parents[2] / "data" / "badges"
ISSUER_NAME = "DANE de l'académie de Poitiers"
ISSUER = {
    "url": "https://www.ac-poitiers.fr",
    "email": "dane@ac-poitiers.fr",
    "description": (
        "Délégation académique au numérique éducatif : elle reconnaît les compétences "
        "numériques acquises et partagées entre pairs dans l'académie de Poitiers."
    ),
}
# Participant badges: (workshop slug, short name). The demo teacher completed the first two.
PARTICIPANT_BADGES = [
    (TEACHER_ATTENDED_LAST_YEAR, "Forge des communs numériques"),
    (TEACHER_ATTENDED_PARTLY, "Accompagnement Pix"),
    (TEACHER_CONFIRMED, "Cybersécurité en établissement"),
    ("ia-generative-enseignants", "IA générative"),
]
PUBLIC_BADGE_WORKSHOP = TEACHER_ATTENDED_LAST_YEAR  # the demo teacher shows her name on it
TRAINER_BADGE = ("Formateur·rice co-formation numérique", TEACHER_ATTENDED_LAST_YEAR)
STANDALONE_BADGE = "Référent·e numérique d'établissement"
STANDALONE_SOURCE = "manual"  # as an award by hand: once per badge and person
REVOKED_BADGE_TO = "collegue009"
REVOCATION_REASON = "Attribué par erreur"

# Printed at the end: which account shows which feature.
WHAT_TO_SEE = [
    (
        "enseignant",
        "/mon-parcours/ : séance confirmée (convocation, agenda .ics, annulation), place en liste "
        "d'attente, demande en attente d'accord, attestations et heures par année scolaire",
    ),
    ("", "catalogue : un parcours en plusieurs dates, des ateliers soumis à accord"),
    ("direction", "/accords/ : deux demandes d'inscription à accorder ou refuser"),
    ("formateur", "/mes-seances/ : présences à relever, listes d'attente, feuilles d'émargement"),
    ("coordination", "/mes-seances/ : séances à risque ; /admin/envois/ : un courriel en échec"),
]
# PIX: (person, code, score, levels (one for all, or the 16 of the CRCN in order), Pix+ Édu (scope,
# automated, jury) or None, what happens to it). The demo teacher's is verified and earns the
# Pix+ Édu badge.
PIX_DEMO = [
    (
        "enseignant",
        "P-2BC4DF6G",
        495,
        (5, 4, 4, 5, 4, 3, 4, 5, 4, 3, 2, 3, 4, 3, 4, 4),
        ("2d", 2, 2),
        "verified",
    ),
    ("collegue001", "P-3HJK7MPQ", 400, 3, None, "declared"),
    ("collegue002", "P-4RTV8WXY", 650, 5, ("2d", 3, None), "declared"),
    ("collegue003", "P-6CDF9GHJ", 270, 2, None, "declared"),
    ("collegue004", "P-7KMP2QRT", 140, 1, None, "rejected"),
]
PIX_PLUS_EDU_BADGE = "Pix+ Édu 2nd degré — Confirmé"

WHAT_TO_SEE_BADGES = [
    ("enseignant", "/mes-badges/ : trois badges (dont un public et un qui expire), export JSON"),
    ("formateur", "/mes-badges/ : le badge de formateur·rice, décerné quand un atelier est validé"),
    ("admin", "/admin/ > Open Badges : émetteur, badges, badges décernés (dont un révoqué)"),
    ("enseignant", "/mes-certifications/ et /mon-parcours/ : certification PIX vérifiée, niveaux"),
    ("coordination", "/certifications-pix/ : trois déclarations à vérifier, import Pix Orga"),
    ("direction", "/certifications-pix/ : résultats PIX de son établissement (lecture seule)"),
]


def uai(first7):
    return first7 + uai_check_letter(first7)


class Command(BaseCommand):
    help = "Create the demo académie, schools and one account per role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with production settings."
        )

    def handle(self, *args, force=False, **options):
        if settings.IS_PRODUCTION and not force:
            raise CommandError(
                "seed_demo refuse de s'exécuter avec les réglages de production (--force)."
            )
        with transaction.atomic():
            load_reference_data()
            load_competences()
            ensure_site()
            academie = Academie.objects.get(code="13")  # Poitiers, from the reference data
            schools = self._schools()
            self._platform_settings(academie)
            accounts = self._accounts(academie, schools)
            workshop_section, resource_section = ensure_academie_sections(academie)
            offer = self._offer(academie, workshop_section, schools)
            self._resources(academie, resource_section, offer)
            self._pending_submission(academie, workshop_section)
            self._enrolments(offer)
            self._badges(academie, offer)
            self._pix(academie)
            seed_indicator_demo(academie=academie, domain=DEMO_DOMAIN)
            accounts.append(seed_community_demo(academie=academie, domain=DEMO_DOMAIN))
            touch_catalogue()  # enrolments were bulk-created: no signal told the catalogue
        self._print(accounts)

    def _schools(self):
        schools = {}
        for first7, name, etype, commune, dep in SCHOOLS:
            degree = Degree.FIRST if etype == EstablishmentType.ECOLE else Degree.SECOND
            schools[first7], _ = Establishment.objects.update_or_create(
                uai=uai(first7),
                defaults={
                    "name": name,
                    "type": etype,
                    "degree": degree,
                    "commune": commune,
                    "departement": Departement.objects.get(code=dep),
                },
            )
        return schools

    def _platform_settings(self, academie):
        site = Site.objects.get(is_default_site=True)
        platform = PlatformSettings.for_site(site)
        platform.academie = academie
        platform.save()

    def _accounts(self, academie, schools):
        lycee = schools["0860034"]
        accounts = []
        for local, first, last, role, scope in ACCOUNTS:
            email = f"{local}@{DEMO_DOMAIN}"
            user = User.objects.filter(email__iexact=email).first()
            if user is None:
                user = User.objects.create_user(
                    email, password=settings.DEMO_PASSWORD, first_name=first, last_name=last
                )
            if role in (Role.TEACHER, Role.TRAINER, Role.SCHOOL_HEAD):
                user.establishment = lycee
                user.degree = Degree.SECOND
                user.save(update_fields=["establishment", "degree"])
            if role in (Role.TEACHER, Role.TRAINER):
                user.disciplines.set(Discipline.objects.filter(code__in=["mathematiques", "nsi"]))
            EmailAddress.objects.update_or_create(
                user=user, email=email, defaults={"verified": True, "primary": True}
            )
            kwargs = {"academie": academie} if scope == "academie" else {}
            if scope == "establishment":
                kwargs = {"establishment": lycee}
            grant_role(user=user, role=role, **kwargs)
            if role == Role.TRAINER:  # trainers are teachers too
                grant_role(user=user, role=Role.TEACHER)
            accounts.append((email, role.label))
        return accounts

    def _offer(self, academie, section, schools):
        """About twenty published workshops, with past, future, full and open sessions."""
        trainer = User.objects.get(email=f"formateur@{DEMO_DOMAIN}")
        coordinator = User.objects.get(email=f"coordination@{DEMO_DOMAIN}")  # publishes
        teachers = self._extra_teachers(schools)
        departements = {dep.code: dep for dep in Departement.objects.filter(academie=academie)}
        today = timezone.localdate()
        offer = {}
        for number, (row, plan) in enumerate(zip(WORKSHOPS, SESSION_PLANS, strict=True)):
            (
                slug,
                title,
                theme,
                degree,
                modality,
                disciplines,
                competences,
                hours,
                tp,
                ident,
                summary,
                tags,
            ) = row
            page = WorkshopPage.objects.child_of(section).filter(slug=slug).first()
            if page is None:
                page = WorkshopPage(
                    title=title,
                    slug=slug,
                    summary=summary,
                    theme=theme,
                    degree=degree,
                    modality=modality,
                    duration_hours=hours,
                    training_plan=tp,
                    plan_identifier=ident,
                    school_year="2026-2027" if tp else "",
                    academie=academie,
                    approval_required=tp == "paf" and number % 3 == 0,
                    enrollment_mode=EnrollmentMode.COURSE
                    if slug in COURSES
                    else EnrollmentMode.PER_SESSION,
                    completion_threshold=COURSES.get(slug, 100),
                    owner=trainer,
                    body=[
                        (
                            "objectives",
                            [
                                f"Découvrir : {title.lower()}",
                                "Concevoir une séance",
                                "Échanger entre pairs sur les pratiques",
                            ],
                        ),
                        (
                            "agenda",
                            [
                                {
                                    "time": "14h00",
                                    "title": "Tour de table et attentes",
                                    "description": "",
                                },
                                {
                                    "time": "14h30",
                                    "title": "Démonstration et prise en main",
                                    "description": "Par petits groupes, sur vos appareils.",
                                },
                                {
                                    "time": "16h00",
                                    "title": "Conception d'une séance",
                                    "description": "Chacun repart avec une activité prête.",
                                },
                            ],
                        ),
                        ("prerequisites", "<p>Aucun prérequis technique.</p>"),
                    ],
                )
                section.add_child(instance=page)
                page.disciplines.set(Discipline.objects.filter(code__in=disciplines))
                page.competences.set(Competence.objects.filter(code__in=competences))
                page.trainers.set([trainer])
                page.tags.set(tags)
                if number % 4 == 1:
                    page.departements.set([departements["086"]])
                page.save_revision(user=trainer).publish(user=coordinator)
            if not page.sessions.exists():
                self._sessions(page, plan, schools, teachers, today)
            offer[slug] = page
        return offer

    def _extra_teachers(self, schools):
        """Colleagues enrolled in the demo sessions (they do not log in: no password)."""
        teachers = []
        names = [
            "Léa",
            "Hugo",
            "Inès",
            "Lucas",
            "Chloé",
            "Nathan",
            "Manon",
            "Yanis",
            "Jade",
            "Théo",
            "Emma",
            "Louis",
            "Sarah",
            "Adam",
            "Lina",
            "Jules",
        ]
        school_list = list(schools.values())
        for index in range(100):
            email = f"collegue{index + 1:03d}@{DEMO_DOMAIN}"
            user = User.objects.filter(email=email).first()
            if user is None:
                user = User.objects.create_user(
                    email,
                    first_name=names[index % len(names)],
                    last_name=f"Collègue {index + 1}",
                    establishment=school_list[index % len(school_list)],
                )
                user.set_unusable_password()
                user.save(update_fields=["password"])
            teachers.append(user)
        # Their addresses are verified, as real colleagues' are: results and badges awarded to
        # an address reach only an account that proved it (a Pix Orga import, a bulk award).
        known = set(
            EmailAddress.objects.filter(user__in=teachers).values_list("user_id", flat=True)
        )
        EmailAddress.objects.bulk_create(
            EmailAddress(user=user, email=user.email, verified=True, primary=True)
            for user in teachers
            if user.pk not in known
        )
        return teachers

    def _sessions(self, page, plan, schools, teachers, today):
        paris = timezone.get_current_timezone()
        now = timezone.now()
        for days, hour, hours, capacity, venue, enrolled in plan:
            # Never on a weekend or a public holiday: moved away from today (stays past or future).
            day = training_day(today + timedelta(days=days), step=1 if days >= 0 else -1)
            start = datetime.combine(day, time(hour, 0), tzinfo=paris)
            remote = venue is None
            session = Session.objects.create(
                workshop=page,
                start=start,
                end=start + timedelta(hours=hours),
                modality=Modality.REMOTE if remote else page.modality,
                establishment=None if remote else schools[venue],
                room="" if remote else "Salle informatique",
                visio_url="https://visio.education.fr/meeting/demo-entrepairs"
                if remote or page.modality == Modality.HYBRID
                else "",
                capacity=capacity,
            )
            Enrollment.objects.bulk_create(
                Enrollment(
                    session=session,
                    user=user,
                    status=EnrollmentStatus.CONFIRMED,
                    confirmed_at=min(now, start) - timedelta(days=7),
                )
                for user in teachers[:enrolled]
            )

    def _resources(self, academie, section, offer):
        trainer = User.objects.get(email=f"formateur@{DEMO_DOMAIN}")
        coordinator = User.objects.get(email=f"coordination@{DEMO_DOMAIN}")
        for slug, title, kind, url, licence, degree, competences, workshops, text in RESOURCES:
            if ResourcePage.objects.child_of(section).filter(slug=slug).exists():
                continue
            page = ResourcePage(
                title=title,
                slug=slug,
                kind=kind,
                link_url=url,
                licence=licence,
                degree=degree,
                description=text,
                academie=academie,
                owner=trainer,
            )
            section.add_child(instance=page)
            page.competences.set(Competence.objects.filter(code__in=competences))
            page.workshops.set([offer[w] for w in workshops])
            page.authors.set([trainer])
            page.save_revision(user=trainer).publish(user=coordinator)
        for slug, title, theme, workshop, context, strong, irritants, needs, axes, actions in RETEX:
            if RetexPage.objects.child_of(section).filter(slug=slug).exists():
                continue
            page = RetexPage(
                title=title,
                slug=slug,
                theme=theme,
                workshop=offer[workshop],
                academie=academie,
                context=context,
                strong_points=strong,
                irritants=irritants,
                needs=needs,
                improvement_axes=axes,
                owner=trainer,
                date=timezone.localdate() - timedelta(days=60),
                action_plan=[
                    (
                        "action",
                        {
                            "what": what,
                            "how": how,
                            "who": who,
                            "when": when,
                            "indicators": indicators,
                        },
                    )
                    for what, how, who, when, indicators in actions
                ],
            )
            section.add_child(instance=page)
            page.authors.set([trainer])
            page.save_revision(user=trainer).publish(user=coordinator)

    def _pending_submission(self, academie, section):
        """A trainer's draft waiting for the coordinator's approval, to show moderation."""
        slug = "escape-game-numerique"
        if WorkshopPage.objects.child_of(section).filter(slug=slug).exists():
            return
        trainer = User.objects.get(email=f"formateur@{DEMO_DOMAIN}")
        page = WorkshopPage(
            title="Concevoir un escape game pédagogique numérique",
            slug=slug,
            summary="Scénariser des énigmes numériques pour réviser autrement.",
            theme="enseigner",
            degree="2",
            modality=Modality.IN_PERSON,
            duration_hours=3,
            academie=academie,
            owner=trainer,
            live=False,
        )
        section.add_child(instance=page)
        page.trainers.set([trainer])
        page.save_revision(user=trainer)
        start = datetime.combine(
            training_day(timezone.localdate() + timedelta(days=40)),
            time(14),
            tzinfo=timezone.get_current_timezone(),
        )
        Session.objects.create(
            workshop=page,
            start=start,
            end=start + timedelta(hours=3),
            modality=Modality.IN_PERSON,
            establishment=Establishment.objects.get(uai=uai("0860034")),
            capacity=16,
        )
        page.get_workflow().start(page, trainer)

    # --- Enrolment, attendance and emails, as each role should find them ---------------------

    def _enrolments(self, offer):
        """Every enrolment feature, visible to the role that uses it.

        Each step is skipped when its rows are already there (the demo teacher already has a row
        on the workshop, the colleague is already in line…), so a second run writes nothing.
        """
        now = timezone.now()
        teacher = User.objects.get(email=f"enseignant@{DEMO_DOMAIN}")
        trainer = User.objects.get(email=f"formateur@{DEMO_DOMAIN}")
        # Rows bulk-created by an earlier version of this command had no confirmation time.
        Enrollment.objects.filter(
            user__email__endswith=f"@{DEMO_DOMAIN}",
            status=EnrollmentStatus.CONFIRMED,
            confirmed_at__isnull=True,
        ).update(confirmed_at=F("created_at"))
        for slug, numbers in WAITING_LISTS:
            self._waiting_list(offer[slug], [_colleague(number) for number in numbers], now)
        self._teacher_enrols(teacher, offer[TEACHER_CONFIRMED], full=False)
        self._teacher_enrols(teacher, offer[TEACHER_WAITLISTED], full=True)
        self._teacher_enrols(teacher, offer[TEACHER_PENDING], full=False)
        self._colleague_request(*COLLEAGUE_PENDING, offer)
        workshop = offer[TEACHER_ATTENDED_LAST_YEAR]
        if not _has_enrolment(teacher, workshop):
            last_year = self._last_school_year_session(workshop, now)
            self._teacher_attended(teacher, trainer, last_year, Attendance.PRESENT)
        recent = (
            offer[TEACHER_ATTENDED_PARTLY]
            .sessions.filter(end__lte=now, status=SessionStatus.SCHEDULED)
            .order_by("-start")
            .first()
        )
        self._teacher_attended(teacher, trainer, recent, Attendance.PARTIAL)
        self._failed_email(now)

    def _next_session(self, workshop, *, full):
        upcoming = workshop.sessions.upcoming().with_seats().order_by("start")
        return (upcoming.filter(seats_left__lte=0).first() if full else None) or upcoming.first()

    def _waiting_list(self, workshop, people, now):
        """Colleagues in line on a workshop's next full session, an hour apart (no emails)."""
        session = self._next_session(workshop, full=True)
        if session is None or session.seats_left > 0:
            return
        taken = set(session.enrollments.values_list("user_id", flat=True))
        people = [person for person in people if person.pk not in taken]
        Enrollment.objects.bulk_create(
            Enrollment(
                session=session,
                user=person,
                status=EnrollmentStatus.WAITLISTED,
                waitlisted_at=now - timedelta(hours=len(people) - rank),
            )
            for rank, person in enumerate(people)
        )

    def _teacher_enrols(self, teacher, workshop, *, full):
        """The demo teacher enrols through the service: a seat, the waiting list or a request
        for approval, with the emails and audit entries that go with it."""
        if _has_enrolment(teacher, workshop):
            return
        session = self._next_session(workshop, full=full)
        if session is not None:
            enroll(user=teacher, session=session)

    def _colleague_request(self, local, slug, offer):
        """A second request for the lycée's head to decide on (bulk row: no emails)."""
        colleague = User.objects.get(email=f"{local}@{DEMO_DOMAIN}")
        workshop = offer[slug]
        if _has_enrolment(colleague, workshop):
            return
        session = self._next_session(workshop, full=False)
        if session is not None:
            Enrollment.objects.create(
                session=session, user=colleague, status=EnrollmentStatus.PENDING_APPROVAL
            )

    def _last_school_year_session(self, workshop, now):
        """A session of the previous school year (a Wednesday in May), for hours per year."""
        today = timezone.localdate(now)
        may = date(school_year.first_year(today), 5, 13)
        day = training_day(may + timedelta(days=(2 - may.weekday()) % 7))
        start = datetime.combine(day, time(16), tzinfo=timezone.get_current_timezone())
        session, _ = Session.objects.get_or_create(
            workshop=workshop,
            start=start,
            defaults={
                "end": start + timedelta(hours=2),
                "modality": Modality.REMOTE,
                "visio_url": "https://visio.education.fr/meeting/demo-entrepairs",
                "capacity": 25,
            },
        )
        return session

    def _teacher_attended(self, teacher, trainer, session, attendance):
        """A past session the demo teacher attended: the trainer records it through the service,
        which validates the workshop (Completion: certificate and hours)."""
        if session is None:
            return
        workshop = session.workshop
        if _has_enrolment(teacher, workshop):
            return
        enrollment = Enrollment(
            session=session,
            user=teacher,
            status=EnrollmentStatus.CONFIRMED,
            confirmed_at=session.start - timedelta(days=14),
        )
        if workshop.approval_required:  # the lycée's head agreed
            enrollment.decided_by = User.objects.get(email=f"direction@{DEMO_DOMAIN}")
            enrollment.decided_at = enrollment.confirmed_at
        enrollment.save()
        hours = None
        if attendance == Attendance.PARTIAL:
            hours = (session.hours * 3 / 4).quantize(Decimal("0.5"))
        record_attendance(enrollment=enrollment, attendance=attendance, hours=hours, by=trainer)
        # Validated when the session ended, not on the day the demo was loaded.
        Completion.objects.filter(user=teacher, workshop=workshop).update(completed_at=session.end)

    def _failed_email(self, now):
        """A convocation the mail server refused after every attempt: what coordinators see in
        "Envois de courriels" (no email is sent: the row is written as it would end up)."""
        failed = Notification.objects.filter(
            status=NotificationStatus.FAILED, recipient__email__endswith=f"@{DEMO_DOMAIN}"
        )
        if failed.exists():
            return
        email = f"{FAILED_EMAIL_TO}@{DEMO_DOMAIN}"
        enrollment = (
            Enrollment.objects.filter(
                user__email=email,
                status=EnrollmentStatus.CONFIRMED,
                confirmed_at__isnull=False,
                session__start__gt=now,
            )
            .order_by("session__start")
            .first()
        )
        if enrollment is None:
            return
        Notification.objects.get_or_create(
            enrollment=enrollment,
            recipient=enrollment.user,
            kind=NotificationKind.CONVOCATION,
            key=enrollment.confirmed_at.isoformat(),
            defaults={
                "status": NotificationStatus.FAILED,
                "attempts": settings.NOTIFICATION_MAX_ATTEMPTS,
                "last_error": (
                    f"SMTPRecipientsRefused: {{'{email}': (550, b'5.1.1 <{email}>: "
                    "Recipient address rejected: User unknown in virtual mailbox table')}"
                ),
            },
        )

    # --- Open Badges -----------------------------------------------------------------------

    def _badges(self, academie, offer):
        """The DANE's badges, awarded through the services for the demo completions.

        Every row is looked up before it is written and awards are idempotent (one assertion per
        badge, person and source), so a second run writes nothing and sends no email.
        """
        issuer = self._issuer(academie)
        for slug, short_name in PARTICIPANT_BADGES:
            workshop = offer[slug]
            self._badge_class(
                issuer,
                f"{short_name} — participant",
                "participant.svg",
                description=(
                    f"Décerné aux enseignantes et enseignants qui ont validé l'atelier de "
                    f"co-formation « {workshop.title} »."
                ),
                criteria_narrative=(
                    f"Avoir suivi l'atelier « {workshop.title} » ({workshop.duration_hours:g} h) "
                    "et y avoir été présent·e : émargement en ligne ou présence relevée par le "
                    "formateur ou la formatrice."
                ),
                criteria_url=site_url(workshop.url),
                tags="co-formation, numérique, CRCN",
                kind=BadgeKind.PARTICIPANT,
                workshop=workshop,
                competences=workshop.competences.all(),
            )
        name, slug = TRAINER_BADGE
        workshop = offer[slug]
        self._badge_class(
            issuer,
            name,
            "formateur.svg",
            description=(
                "Décerné aux formateurs et formatrices qui animent entre pairs un atelier de "
                "co-formation au numérique éducatif."
            ),
            criteria_narrative=(
                f"Avoir animé l'atelier « {workshop.title} » jusqu'à la validation d'au moins "
                "un ou une participante."
            ),
            tags="co-formation, formateur, numérique",
            kind=BadgeKind.TRAINER,
            workshop=workshop,
            competences=workshop.competences.all(),
        )
        standalone = self._badge_class(
            issuer,
            STANDALONE_BADGE,
            "referent.svg",
            description=(
                "Reconnaît l'enseignante ou l'enseignant qui accompagne ses collègues dans les "
                "usages du numérique de son établissement."
            ),
            criteria_narrative=(
                "Être désigné·e référent·e numérique par son chef d'établissement et avoir animé "
                "au moins deux temps d'échange entre pairs dans l'année scolaire. Décerné par la "
                "DANE, valable deux ans."
            ),
            tags="référent numérique, établissement",
            expiry_rule=ExpiryRule.MONTHS,
            expires_after_months=24,
        )
        self._awards(standalone, offer)

    def _issuer(self, academie):
        issuer = Issuer.objects.filter(name=ISSUER_NAME).first()
        if issuer is None:
            issuer = Issuer.objects.create(name=ISSUER_NAME, academie=academie, **ISSUER)
        if not issuer.image:
            issuer.image.save("dane-poitiers.svg", _badge_image("dane-poitiers.svg"))
        return issuer

    def _badge_class(self, issuer, name, image, *, competences=(), **fields):
        badge_class = BadgeClass.objects.filter(issuer=issuer, name=name).first()
        if badge_class is not None:
            return badge_class
        badge_class = BadgeClass(issuer=issuer, name=name, **fields)
        badge_class.image.save(image, _badge_image(image), save=False)
        badge_class.save()
        badge_class.competences.set(competences)
        return badge_class

    def _awards(self, standalone, offer):
        teacher = User.objects.get(email=f"enseignant@{DEMO_DOMAIN}")
        coordinator = User.objects.get(email=f"coordination@{DEMO_DOMAIN}")
        # The demo completions of workshops with badges: the demo teacher's (a handful of emails).
        completions = Completion.objects.filter(
            user__email__endswith=f"@{DEMO_DOMAIN}", workshop__badge_classes__isnull=False
        ).distinct()
        awarded = []
        for completion_id in completions.order_by("pk").values_list("pk", flat=True):
            awarded += award_completion_badges(completion_id=completion_id)
        # Her name on one public page, the first time only (she may hide it afterwards).
        Assertion.objects.filter(
            pk__in=[a.pk for a in awarded],
            recipient=teacher,
            badge_class__workshop=offer[PUBLIC_BADGE_WORKSHOP],
            badge_class__kind=BadgeKind.PARTICIPANT,
        ).update(public=True)
        # A stand-alone badge, awarded by hand: it expires in two years.
        award_badge(
            badge_class=standalone,
            email=teacher.email,
            recipient=teacher,
            source=STANDALONE_SOURCE,
            narrative="Référente numérique du lycée Camille Guérin depuis la rentrée.",
            awarded_by=coordinator,
        )
        # Awarded to the wrong colleague, then revoked (no email: it is revoked before commit).
        colleague = _colleague_by_local(REVOKED_BADGE_TO)
        assertion, _ = award_badge(
            badge_class=standalone,
            email=colleague.email,
            recipient=colleague,
            source=STANDALONE_SOURCE,
            awarded_by=coordinator,
        )
        revoke_assertion(assertion=assertion, reason=REVOCATION_REASON, by=coordinator)

    def _pix(self, academie):
        """PIX certifications for every role: the teacher's verified one (and its Pix+ Édu
        badge), colleagues' declarations waiting for the coordination, one refused."""
        issuer = self._issuer(academie)
        self._badge_class(
            issuer,
            PIX_PLUS_EDU_BADGE,
            "referent.svg",
            description=(
                "Reconnaît la certification Pix+ Édu 2nd degré au niveau Confirmé (ou au-delà), "
                "vérifiée par l'académie."
            ),
            criteria_narrative=(
                "Être certifié·e Pix+ Édu 2nd degré au niveau Confirmé au moins : volets "
                "automatisé et jury, certification vérifiée par la DANE."
            ),
            criteria_url="https://pix.fr/pix-edu",
            tags="Pix+ Édu, CRCN-Édu",
            pix_plus_edu_scope="2d",
            pix_plus_edu_level=2,
            award_rights=AwardRights.AUTOMATIC,
        )
        coordinator = User.objects.get(email=f"coordination@{DEMO_DOMAIN}")
        taken_on = timezone.localdate() - timedelta(days=60)
        for local, code, score, level, edu, outcome in PIX_DEMO:
            if PixCertification.objects.filter(verification_code=code).exists():
                continue
            person = _colleague_by_local(local)
            data = pix.CertificationData(
                taken_on=taken_on,
                score=score,
                max_level=pix.max_level_on(taken_on),
                levels=dict(zip(CRCN_CODES, level, strict=True))
                if isinstance(level, tuple)
                else dict.fromkeys(CRCN_CODES, level),
                verification_code=code,
                pix_plus_edu=pix.PixPlusEdu(*edu, jury_on=taken_on if edu[2] else None)
                if edu
                else None,
            )
            certification = pix.declare_certification(user=person, data=data)
            if outcome == "verified":
                pix.verify_certifications(certifications=[certification], by=coordinator)
            elif outcome == "rejected":
                pix.reject_certifications(
                    certifications=[certification],
                    reason="Code introuvable sur pix.fr : vérifiez-le sur votre certificat.",
                    by=coordinator,
                )

    def _print(self, accounts):
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(f"Comptes de démonstration (mot de passe : {settings.DEMO_PASSWORD}) :")
        for email, label in accounts:
            self.stdout.write(f"  {email:<36} {label}")
        self.stdout.write("Où voir l'inscription et la présence :")
        for local, text in WHAT_TO_SEE:
            self.stdout.write(f"  {local:<13} {text}")
        self.stdout.write("Où voir les badges (Open Badges 2.0) :")
        for local, text in WHAT_TO_SEE_BADGES:
            self.stdout.write(f"  {local:<13} {text}")
        public = (
            Assertion.objects.filter(
                recipient__email=f"enseignant@{DEMO_DOMAIN}", public=True, revoked=False
            )
            .order_by("issued_on")
            .first()
        )
        if public is not None:
            self.stdout.write(f"  Page publique d'un badge : {public.public_url}")
        revoked = Assertion.objects.filter(
            revoked=True, recipient_email__endswith=f"@{DEMO_DOMAIN}"
        ).first()
        if revoked is not None:
            self.stdout.write(f"  Badge révoqué (410) : {revoked.public_url}")


def _colleague(number):
    return User.objects.get(email=f"collegue{number:03d}@{DEMO_DOMAIN}")


def _colleague_by_local(local):
    return User.objects.get(email=f"{local}@{DEMO_DOMAIN}")


def _badge_image(name):
    """A demo badge image (a square SVG in DSFR blue), copied to MEDIA_ROOT when saved."""
    return ContentFile((BADGE_IMAGES / name).read_bytes())


def _has_enrolment(user, workshop):
    """Any row, whatever its status: the demo never re-enrols someone who withdrew."""
    return Enrollment.objects.filter(user=user, session__workshop=workshop).exists()
