"""Celery tasks of the badges layer, re-exported under their registered names.

Each task lives beside the service it wraps (`<service>_task` in badges/services/); this module,
which Celery's autodiscovery imports, keeps every task reachable as `badges.tasks.<name>`, the
name it is registered under (beat, the routes in settings and queued messages use it).
"""

from .services.awards import award_completion_badges_task as award_completion_badges
from .services.awards import (
    award_missing_completion_badges_task as award_missing_completion_badges,
)
from .services.bulk import award_bulk_chunk_task as award_bulk_chunk
from .services.bulk import delete_orphan_assertion_images_task as delete_orphan_assertion_images
from .services.bulk import resume_stalled_bulk_awards_task as resume_stalled_bulk_awards
from .services.bulk import run_bulk_award_task as run_bulk_award
from .services.emails import email_unsent_awards_task as email_unsent_awards
from .services.emails import send_badge_email_task as send_badge_email
from .services.emails import send_badge_emails_task as send_badge_emails
from .services.pix import award_pix_plus_edu_badges_task as award_pix_plus_edu_badges
from .services.pix import notify_pix_review_task as notify_pix_review
from .services.pix_import import resume_stalled_pix_imports_task as resume_stalled_pix_imports
from .services.pix_import import run_pix_import_task as run_pix_import
from .services.revocation import (
    revoke_withdrawn_completion_badges_task as revoke_withdrawn_completion_badges,
)

__all__ = [
    "award_bulk_chunk",
    "award_completion_badges",
    "award_missing_completion_badges",
    "award_pix_plus_edu_badges",
    "delete_orphan_assertion_images",
    "email_unsent_awards",
    "notify_pix_review",
    "resume_stalled_bulk_awards",
    "resume_stalled_pix_imports",
    "revoke_withdrawn_completion_badges",
    "run_bulk_award",
    "run_pix_import",
    "send_badge_email",
    "send_badge_emails",
]
