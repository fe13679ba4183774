"""Use cases of the co-training layer. Views, commands, tasks and the admin call these."""

from .people import (
    ImportReport,
    grant_role,
    import_establishments,
    normalize_academie_code,
    normalize_departement_code,
    revoke_role,
    update_profile,
)
from .sessions import cancel_session, delete_session, save_session
from .spaces import ensure_workshop_section, provision_academie

__all__ = [
    "ImportReport",
    "cancel_session",
    "delete_session",
    "ensure_workshop_section",
    "grant_role",
    "import_establishments",
    "normalize_academie_code",
    "normalize_departement_code",
    "provision_academie",
    "revoke_role",
    "save_session",
    "update_profile",
]
