"""People: roles over a territory, a person's profile and address, their private calendar."""

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from ..constants import AuditAction, Role
from ..exceptions import ServiceError
from ..models import AcademieGroup, CalendarFeed, RoleAssignment, User
from ..origin import public_host_and_port
from ..roles import group_for_role

# --- Roles -----------------------------------------------------------------------------------

_SCOPE_RULES = {
    Role.TEACHER: set(),
    Role.PLATFORM_ADMIN: set(),
    Role.TRAINER: {"academie"},
    Role.COORDINATOR: {"academie"},
    Role.INDICATOR_READER: {"academie", "departement"},
    Role.SCHOOL_HEAD: {"establishment"},
}


def grant_role(*, user, role, academie=None, departement=None, establishment=None, by=None):
    """Give `user` a role over a territory and the permissions of its group. Idempotent."""
    role = Role(role)
    scope = {"academie": academie, "departement": departement, "establishment": establishment}
    given = {name for name, value in scope.items() if value is not None}
    allowed = _SCOPE_RULES[role]
    if (allowed and len(given) != 1) or not given <= allowed:
        raise ServiceError(
            "role_scope",
            _("Le rôle %(role)s s'attribue avec un périmètre : %(scope)s.")
            % {
                "role": role.label,
                "scope": ", ".join(sorted(str(_scope_label(s)) for s in allowed)) or _("aucun"),
            },
        )
    with transaction.atomic():
        assignment, created = RoleAssignment.objects.get_or_create(user=user, role=role, **scope)
        user.groups.add(group_for_role(role))
        if academie is not None:
            # The académie's own group carries its page permissions (see provision_academie).
            for team in AcademieGroup.objects.filter(academie=academie, role=role):
                user.groups.add(team.group_id)
        if role == Role.PLATFORM_ADMIN and not user.is_superuser:
            user.is_superuser = True
            user.save(update_fields=["is_superuser"])
        if created:
            log(assignment, AuditAction.GRANT_ROLE, user=by, data={"role": role.value})
    return assignment


def _scope_label(name):
    return {
        "academie": _("académie"),
        "departement": _("département"),
        "establishment": _("établissement"),
    }[name]


def revoke_role(*, assignment, by=None):
    """Remove one role assignment; the group goes only with the user's last one of that role."""
    with transaction.atomic():
        user, role = assignment.user, Role(assignment.role)
        log(assignment, AuditAction.REVOKE_ROLE, user=by, data={"role": role.value})
        academie_id = assignment.academie_id
        assignment.delete()
        if academie_id is not None:
            for team in AcademieGroup.objects.filter(academie_id=academie_id, role=role):
                user.groups.remove(team.group_id)
        if not RoleAssignment.objects.filter(user=user, role=role).exists():
            user.groups.remove(group_for_role(role))
            if role == Role.PLATFORM_ADMIN:
                user.is_superuser = False
                user.save(update_fields=["is_superuser"])


# --- Profile ---------------------------------------------------------------------------------


def update_profile(*, user, first_name, last_name, degree, disciplines, establishment):
    """Save what a teacher says of themselves; roles are never changed here."""
    with transaction.atomic():
        user.first_name = first_name
        user.last_name = last_name
        user.degree = degree
        user.establishment = establishment
        user.save(update_fields=["first_name", "last_name", "degree", "establishment"])
        user.disciplines.set(disciplines)
        log(user, AuditAction.UPDATE_PROFILE, user=user)
    return user


def reset_calendar_feed(*, user):
    """Give a person their private calendar feed, or a new secret address for it.

    The token in the address is the feed's only credential (calendar apps cannot log in), so
    asking again replaces it and the old address stops working at once: that is the point of
    the button, so a repeat is not a no-op. Creating the feed is idempotent (one per person,
    whoever asks first). Returns (feed, created); audited without the token.
    """
    with transaction.atomic():
        feed, created = CalendarFeed.objects.select_for_update().get_or_create(user=user)
        if not created:
            feed.token = CalendarFeed._meta.get_field("token").get_default()
            feed.save(update_fields=["token", "created_at"])
        log(user, AuditAction.RESET_CALENDAR_FEED, user=user, data={"created": created})
    return feed, created


# Accounts whose address only a platform administrator may change: taking over one of these by
# pointing its address elsewhere (and resetting the password) would give more than a teacher's.
_PRIVILEGED_ROLES = (Role.COORDINATOR, Role.PLATFORM_ADMIN, Role.INDICATOR_READER)


def change_email(*, user, email, by, request=None):
    """Correct a person's address (a coordinator fixing a typo an email bounced from).

    The address is the login: it must be valid and belong to no other account. allauth's
    addresses follow: the new one becomes the primary, unverified, and a verification email is
    sent to it once the transaction commits; the wrong one is dropped. A coordinator cannot
    change the address of an administrator's or another coordinator's account. Audited with
    both addresses. Idempotent: the same address again changes nothing.
    """
    from allauth.account.models import EmailAddress
    from django.core.validators import validate_email

    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        raise ServiceError(
            "invalid_email", _("Saisissez une adresse électronique valide.")
        ) from None
    if email == user.email.lower():
        return user
    if not by.is_superuser and user.pk != by.pk:
        if (
            user.is_superuser
            or user.is_staff
            or user.role_assignments.filter(role__in=_PRIVILEGED_ROLES).exists()
        ):
            raise ServiceError(
                "privileged_account",
                _(
                    "L'adresse d'un compte de coordination ou d'administration ne peut être "
                    "corrigée que par l'administration de la plateforme."
                ),
            )
    taken = User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists()
    taken = taken or EmailAddress.objects.filter(email__iexact=email).exclude(user=user).exists()
    if taken:
        raise ServiceError(
            "email_taken",
            _("Cette adresse est déjà celle d'un autre compte : choisissez-en une autre."),
        )
    with transaction.atomic():
        previous = user.email
        user.email = email
        user.save(update_fields=["email"])
        EmailAddress.objects.filter(user=user).exclude(email__iexact=email).delete()
        address, _created = EmailAddress.objects.update_or_create(
            user=user,
            email=email,
            defaults={"primary": True, "verified": False},
        )
        log(
            user,
            AuditAction.CHANGE_EMAIL,
            user=by,
            data={"previous": previous, "email": email},
        )
        transaction.on_commit(lambda: _send_verification(address, request), robust=True)
    return user


def _send_verification(address, request=None):
    """allauth's verification email for `address`; outside a request (a shell, a task) one
    standing for the public origin gives allauth the site it names in the email."""
    from allauth.core import context
    from django.http import HttpRequest

    if request is None:
        request = HttpRequest()
        host, port = public_host_and_port()
        request.META.update({"SERVER_NAME": host, "SERVER_PORT": str(port)})
    with context.request_context(request):
        address.send_confirmation(request=request, signup=False)
