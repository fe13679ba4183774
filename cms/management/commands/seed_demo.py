"""Demo data: one académie (Poitiers), real-looking schools and one account per role.

Idempotent: running it twice changes nothing. Later features add their own demo data here, so
that the demo always shows every feature to every role.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from wagtail.models import Site

from cms.models import PlatformSettings
from cms.setup import ensure_site
from cotraining.constants import Degree, EstablishmentType, Role
from cotraining.models import Academie, Departement, Discipline, Establishment, User
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

    def _print(self, accounts):
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(f"Comptes de démonstration (mot de passe : {settings.DEMO_PASSWORD}) :")
        for email, label in accounts:
            self.stdout.write(f"  {email:<36} {label}")
