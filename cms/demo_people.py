"""The demo's people: its schools, one account per role, the colleagues enrolled in its sessions
(no password), and the platform's académie."""

from allauth.account.models import EmailAddress
from django.conf import settings
from wagtail.models import Site

from cms.models import PlatformSettings
from cotraining.constants import Degree, EstablishmentType, Role
from cotraining.models import Departement, Discipline, Establishment, User
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


def seed_schools():
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


def seed_platform_settings(academie):
    site = Site.objects.get(is_default_site=True)
    platform = PlatformSettings.for_site(site)
    platform.academie = academie
    platform.save()


def seed_accounts(academie, schools):
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


def extra_teachers(schools):
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
    known = set(EmailAddress.objects.filter(user__in=teachers).values_list("user_id", flat=True))
    EmailAddress.objects.bulk_create(
        EmailAddress(user=user, email=user.email, verified=True, primary=True)
        for user in teachers
        if user.pk not in known
    )
    return teachers


def uai(first7):
    return first7 + uai_check_letter(first7)


def colleague(number):
    return User.objects.get(email=f"collegue{number:03d}@{DEMO_DOMAIN}")


def colleague_by_local(local):
    return User.objects.get(email=f"{local}@{DEMO_DOMAIN}")
