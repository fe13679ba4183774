"""What the badges layer does when the co-training layer (or Django) announces something."""

import sys

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from .services.awards import award_completion_badges_task, link_awards_to_verified_address
from .services.pix import redact_pix_plus_edu_assertions
from .services.revocation import revoke_withdrawn_completion_badges_task


def award_on_completion(sender, completion, **kwargs):
    """A workshop was completed (sent after commit): award its badges in a Celery task."""
    award_completion_badges_task.enqueue_on_commit(completion.pk)


def revoke_on_withdrawal(sender, user, workshop, **kwargs):
    """Attendance corrected so that a completion no longer stands: revoke what it earned."""
    revoke_withdrawn_completion_badges_task.enqueue_on_commit(user.pk, workshop.pk)


def link_awards_on_email_confirmed(sender, request, email_address, **kwargs):
    """allauth confirmed an address: the badges awarded to it before now reach its owner."""
    link_awards_to_verified_address(user=email_address.user, email=email_address.email)


def redact_pix_codes_after_migrate(sender, using, verbosity=1, stdout=None, **kwargs):
    """After `migrate` (once everything is applied): Pix+ Édu badges awarded while their
    evidence quoted the PIX verification code are rewritten and baked again. A data migration
    would run with the models of its time; the baking service needs today's."""
    if sender.label != "badges" or using != DEFAULT_DB_ALIAS:
        return
    executor = MigrationExecutor(connections[using])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return  # migrated to an earlier state on purpose: the tables may not match the models
    fixed = redact_pix_plus_edu_assertions()
    if fixed and verbosity:
        (stdout or sys.stdout).write(f"  Codes PIX retirés de {fixed} badge(s) Pix+ Édu.\n")
