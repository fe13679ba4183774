"""Territory, people and roles: the lowest layer of Entrepairs."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..constants import Degree, EstablishmentType, Framework, Role, SectorKind
from ..folding import Fold
from ..managers import UserManager
from ..validators import validate_uai


class Academie(models.Model):
    """A rectorat's territory. Codes are those of the annuaire de l'éducation (Poitiers = 13)."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("académie")
        verbose_name_plural = _("académies")
        ordering = ["name"]

    def __str__(self):
        return self.name


class Departement(models.Model):
    """Codes on three characters as in the annuaire and UAIs: 016, 075, 02A, 971."""

    code = models.CharField(_("code"), max_length=3, unique=True)
    name = models.CharField(_("nom"), max_length=100)
    academie = models.ForeignKey(
        Academie, on_delete=models.PROTECT, related_name="departements", verbose_name=_("académie")
    )

    class Meta:
        verbose_name = _("département")
        verbose_name_plural = _("départements")
        ordering = ["code"]

    def __str__(self):
        return f"{self.code.lstrip('0') or self.code} — {self.name}"


class Sector(models.Model):
    """A circonscription (1er degré, led by an IEN) or a bassin (2nd degré)."""

    kind = models.CharField(_("type"), max_length=20, choices=SectorKind.choices)
    code = models.CharField(_("code"), max_length=20)
    name = models.CharField(_("nom"), max_length=150)
    departement = models.ForeignKey(
        Departement, on_delete=models.PROTECT, related_name="sectors", verbose_name=_("département")
    )

    class Meta:
        verbose_name = _("circonscription ou bassin")
        verbose_name_plural = _("circonscriptions et bassins")
        ordering = ["departement__code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["departement", "kind", "code"], name="sector_unique_code"
            ),
        ]

    def __str__(self):
        return f"{self.get_kind_display()} {self.name}"


class Establishment(models.Model):
    """A school, identified by its UAI (ex-RNE)."""

    uai = models.CharField(_("UAI"), max_length=8, unique=True, validators=[validate_uai])
    name = models.CharField(_("nom"), max_length=200)
    type = models.CharField(
        _("type"), max_length=20, choices=EstablishmentType.choices, default=EstablishmentType.OTHER
    )
    degree = models.CharField(_("degré"), max_length=1, choices=Degree.choices, blank=True)
    commune = models.CharField(_("commune"), max_length=150, blank=True)
    departement = models.ForeignKey(
        Departement,
        on_delete=models.PROTECT,
        related_name="establishments",
        verbose_name=_("département"),
    )
    sector = models.ForeignKey(
        Sector,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="establishments",
        verbose_name=_("circonscription ou bassin"),
    )

    class Meta:
        verbose_name = _("établissement")
        verbose_name_plural = _("établissements")
        ordering = ["name"]
        indexes = [models.Index(fields=["departement", "type"])]

    def __str__(self):
        return f"{self.name} ({self.commune}) — {self.uai}" if self.commune else self.name


class Discipline(models.Model):
    """A subject taught (2nd degré) or the polyvalent teaching of the 1er degré."""

    code = models.SlugField(_("code"), max_length=50, unique=True)
    name = models.CharField(_("nom"), max_length=100)

    class Meta:
        verbose_name = _("discipline")
        verbose_name_plural = _("disciplines")
        ordering = ["name"]

    def __str__(self):
        return self.name


class CompetenceQuerySet(models.QuerySet):
    def crcn_names(self):
        """{"1.1": "Mener une recherche et une veille d'information", …}: the 16 CRCN names."""
        return dict(self.filter(framework=Framework.CRCN).values_list("code", "name"))


class Competence(models.Model):
    """A competence of the CRCN (1.1 … 5.2, what PIX certifies) or a Pix+ Édu scope.

    Reference data loaded by a migration from cotraining/data/competences.csv.
    """

    framework = models.CharField(_("référentiel"), max_length=20, choices=Framework.choices)
    code = models.CharField(_("code"), max_length=10)
    domain = models.CharField(_("domaine"), max_length=100)
    name = models.CharField(_("nom"), max_length=150)

    objects = CompetenceQuerySet.as_manager()

    class Meta:
        verbose_name = _("compétence")
        verbose_name_plural = _("compétences")
        ordering = ["framework", "code"]
        constraints = [
            models.UniqueConstraint(fields=["framework", "code"], name="competence_unique_code")
        ]

    def __str__(self):
        if self.framework == Framework.CRCN:
            return f"{self.code} {self.name}"
        return self.name


class User(AbstractBaseUser, PermissionsMixin):
    """A person: login by email (unique whatever its letter case) and a teacher's record."""

    # unique=True for Django's checks; the Lower() constraint below is what makes it case-blind.
    email = models.EmailField(
        _("adresse électronique"),
        max_length=254,
        unique=True,
        error_messages={"unique": _("Un compte utilise déjà cette adresse électronique.")},
    )
    first_name = models.CharField(_("prénom"), max_length=150, blank=True)
    last_name = models.CharField(_("nom"), max_length=150, blank=True)
    degree = models.CharField(_("degré"), max_length=1, choices=Degree.choices, blank=True)
    disciplines = models.ManyToManyField(
        Discipline, blank=True, related_name="users", verbose_name=_("disciplines")
    )
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="staff",
        verbose_name=_("établissement d'exercice"),
    )
    is_staff = models.BooleanField(_("accès à l'administration Django"), default=False)
    is_active = models.BooleanField(_("actif"), default=True)
    date_joined = models.DateTimeField(_("date d'inscription"), default=timezone.now)
    # Name and address folded by the database itself (cotraining.folding), whoever saves the
    # row: people searches find "Léa" when "lea" is typed, on SQLite and PostgreSQL alike.
    search_name = models.GeneratedField(
        expression=Fold(
            Concat(
                "first_name",
                Value(" "),
                "last_name",
                Value(" "),
                "email",
                output_field=models.TextField(),
            )
        ),
        output_field=models.TextField(),
        db_persist=True,
        verbose_name=_("nom pour la recherche"),
    )

    objects = UserManager()

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        ordering = ["last_name", "first_name"]
        constraints = [
            models.UniqueConstraint(
                Lower("email"),
                name="user_email_ci_unique",
                violation_error_message=_("Un compte utilise déjà cette adresse électronique."),
            ),
        ]

    def __str__(self):
        return self.get_full_name() or self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_full_name(self):
        return f"{self.first_name} {self.last_name}".strip()

    def get_short_name(self):
        return self.first_name or self.email


class RoleAssignment(models.Model):
    """A role held by a user, with the territory it applies to.

    Scope is data: a coordinator or trainer acts for an académie, an indicator reader reads an
    académie or a département, a school head runs one establishment. Each role also maps to a
    Django group (cotraining.roles) that carries its permissions.
    """

    user = models.ForeignKey(
        User, on_delete=models.CASCADE, related_name="role_assignments", verbose_name=_("personne")
    )
    role = models.CharField(_("rôle"), max_length=30, choices=Role.choices)
    academie = models.ForeignKey(
        Academie, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("académie")
    )
    departement = models.ForeignKey(
        Departement, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("département")
    )
    establishment = models.ForeignKey(
        Establishment,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        verbose_name=_("établissement"),
    )
    created_at = models.DateTimeField(_("attribué le"), auto_now_add=True)

    class Meta:
        verbose_name = _("rôle attribué")
        verbose_name_plural = _("rôles attribués")
        ordering = ["user", "role"]
        constraints = [
            # Which scope each role takes: exactly the ones listed, never another.
            models.CheckConstraint(
                condition=(
                    Q(
                        role__in=[Role.TEACHER, Role.PLATFORM_ADMIN],
                        academie__isnull=True,
                        departement__isnull=True,
                        establishment__isnull=True,
                    )
                    | Q(
                        role__in=[Role.TRAINER, Role.COORDINATOR],
                        academie__isnull=False,
                        departement__isnull=True,
                        establishment__isnull=True,
                    )
                    | (
                        Q(role=Role.INDICATOR_READER, establishment__isnull=True)
                        & (
                            Q(academie__isnull=False, departement__isnull=True)
                            | Q(academie__isnull=True, departement__isnull=False)
                        )
                    )
                    | Q(
                        role=Role.SCHOOL_HEAD,
                        academie__isnull=True,
                        departement__isnull=True,
                        establishment__isnull=False,
                    )
                ),
                name="role_scope_matches_role",
                violation_error_message=_("Le périmètre ne correspond pas à ce rôle."),
            ),
            # One assignment per user, role and scope (partial indexes: NULLs never collide).
            models.UniqueConstraint(
                fields=["user", "role"],
                condition=Q(
                    academie__isnull=True, departement__isnull=True, establishment__isnull=True
                ),
                name="role_unique_unscoped",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "academie"],
                condition=Q(academie__isnull=False),
                name="role_unique_academie",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "departement"],
                condition=Q(departement__isnull=False),
                name="role_unique_departement",
            ),
            models.UniqueConstraint(
                fields=["user", "role", "establishment"],
                condition=Q(establishment__isnull=False),
                name="role_unique_establishment",
            ),
        ]

    def __str__(self):
        scope = self.scope
        return f"{self.get_role_display()} — {scope}" if scope else self.get_role_display()

    @property
    def scope(self):
        return self.academie or self.departement or self.establishment


class DataImport(models.Model):
    """The outcome of one file import (establishments now; PIX results and badges later)."""

    class Kind(models.TextChoices):
        ESTABLISHMENTS = "establishments", _("Établissements")

    class Status(models.TextChoices):
        DONE = "done", _("Importé")
        REJECTED = "rejected", _("Refusé (rien n'a été écrit)")

    kind = models.CharField(_("type"), max_length=30, choices=Kind.choices)
    filename = models.CharField(_("fichier"), max_length=255)
    status = models.CharField(_("statut"), max_length=20, choices=Status.choices)
    lines = models.PositiveIntegerField(_("lignes lues"), default=0)
    created = models.PositiveIntegerField(_("créés"), default=0)
    updated = models.PositiveIntegerField(_("mis à jour"), default=0)
    unchanged = models.PositiveIntegerField(_("inchangés"), default=0)
    error_count = models.PositiveIntegerField(_("erreurs"), default=0)
    # The first errors only (line, message): the count above is the full number.
    errors = models.JSONField(_("détail des erreurs"), default=list, blank=True)
    user = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, verbose_name=_("par")
    )
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("import de fichier")
        verbose_name_plural = _("imports de fichiers")
        ordering = ["-created_at"]

    def __str__(self):
        return f"{self.get_kind_display()} — {self.filename} ({self.get_status_display()})"


class AcademieGroup(models.Model):
    """The Django group of one role in one académie (e.g. "Formateurs · Poitiers").

    Wagtail grants page and collection permissions to groups, so the académie's section of the
    catalogue is given to these groups; grant_role/revoke_role keep their members in step with
    the role assignments.
    """

    academie = models.ForeignKey(
        Academie, on_delete=models.CASCADE, related_name="groups", verbose_name=_("académie")
    )
    role = models.CharField(_("rôle"), max_length=30, choices=Role.choices)
    group = models.OneToOneField(
        "auth.Group", on_delete=models.CASCADE, related_name="academie_group"
    )

    class Meta:
        verbose_name = _("groupe d'académie")
        verbose_name_plural = _("groupes d'académie")
        constraints = [
            models.UniqueConstraint(fields=["academie", "role"], name="academie_group_unique_role")
        ]

    def __str__(self):
        return self.group.name
