"""People and their roles: the user (login by email), role assignments over a territory, and
the académie groups that carry a role's page permissions."""

from django.contrib.auth.base_user import AbstractBaseUser
from django.contrib.auth.models import PermissionsMixin
from django.db import models
from django.db.models import Q, Value
from django.db.models.functions import Concat, Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from ..constants import Degree, Role
from ..folding import Fold
from ..managers import UserManager
from .reference import Discipline
from .territory import Academie, Departement, Establishment


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
