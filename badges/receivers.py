"""What the badges layer does when the co-training layer (or Django) announces something."""

import sys


def award_on_completion(sender, completion, **kwargs):
    """A workshop was completed (sent after commit): award its badges in a Celery task. A
    broker that is down never fails the request that completed it (the page a teacher opens,
    the trainer's sheet): beat's award_missing_completion_badges awards them later."""
    from .tasks import award_completion_badges

    award_completion_badges.enqueue(completion.pk)


def revoke_on_withdrawal(sender, user, workshop, **kwargs):
    """Attendance corrected so that a completion no longer stands: revoke what it earned."""
    from .tasks import revoke_withdrawn_completion_badges

    revoke_withdrawn_completion_badges.enqueue(user.pk, workshop.pk)


def link_awards_on_email_confirmed(sender, request, email_address, **kwargs):
    """allauth confirmed an address: the badges awarded to it before now reach its owner."""
    from .services import link_awards_to_verified_address

    link_awards_to_verified_address(user=email_address.user, email=email_address.email)


def redact_pix_codes_after_migrate(sender, using, verbosity=1, stdout=None, **kwargs):
    """After `migrate` (once everything is applied): Pix+ Édu badges awarded while their
    evidence quoted the PIX verification code are rewritten and baked again. A data migration
    would run with the models of its time; the baking service needs today's."""
    from django.db import DEFAULT_DB_ALIAS, connections
    from django.db.migrations.executor import MigrationExecutor

    if sender.label != "badges" or using != DEFAULT_DB_ALIAS:
        return
    executor = MigrationExecutor(connections[using])
    if executor.migration_plan(executor.loader.graph.leaf_nodes()):
        return  # migrated to an earlier state on purpose: the tables may not match the models
    from .services.pix import redact_pix_plus_edu_assertions

    fixed = redact_pix_plus_edu_assertions()
    if fixed and verbosity:
        (stdout or sys.stdout).write(f"  Codes PIX retirés de {fixed} badge(s) Pix+ Édu.\n")
