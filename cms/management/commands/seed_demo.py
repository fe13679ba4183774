"""Demo data: one académie (Poitiers), real-looking schools and one account per role.

Idempotent: running it twice changes nothing. Later features add their own demo data here, so
that the demo always shows every feature to every role.
"""

from datetime import datetime, time, timedelta

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone
from wagtail.models import Site

from cms.demo_content import RESOURCES, RETEX, SESSION_PLANS, WORKSHOPS
from cms.models import PlatformSettings, ResourcePage, RetexPage
from cms.setup import ensure_academie_sections, ensure_site
from cotraining.catalogue_cache import touch_catalogue
from cotraining.constants import Degree, EnrollmentStatus, EstablishmentType, Modality, Role
from cotraining.models import (
    Academie,
    Competence,
    Departement,
    Discipline,
    Enrollment,
    Establishment,
    Session,
    User,
    WorkshopPage,
)
from cotraining.reference import load_competences, load_reference_data
from cotraining.services import grant_role
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
        return teachers

    def _sessions(self, page, plan, schools, teachers, today):
        paris = timezone.get_current_timezone()
        for days, hour, hours, capacity, venue, enrolled in plan:
            day = today + timedelta(days=days)
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
                Enrollment(session=session, user=user, status=EnrollmentStatus.CONFIRMED)
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
            timezone.localdate() + timedelta(days=40),
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

    def _print(self, accounts):
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(f"Comptes de démonstration (mot de passe : {settings.DEMO_PASSWORD}) :")
        for email, label in accounts:
            self.stdout.write(f"  {email:<36} {label}")
