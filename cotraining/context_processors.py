from .constants import Role


def roles(request):
    """The roles of the person browsing, for the navigation (one query, only when logged in)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"my_roles": frozenset()}
    held = frozenset(user.role_assignments.values_list("role", flat=True))
    return {
        "my_roles": held,
        "is_teacher": Role.TEACHER in held,
        "runs_sessions": bool(held & {Role.TRAINER, Role.COORDINATOR}) or user.is_superuser,
        "approves": bool(held & {Role.SCHOOL_HEAD, Role.COORDINATOR}) or user.is_superuser,
    }
