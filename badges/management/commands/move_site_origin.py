"""Move a platform's Open Badges to a new origin (a new domain name).

Set SITE_URL to the new origin, then run (the origin check, badges.E001, is skipped for this
command only: it is how the mismatch is repaired):

    manage.py move_site_origin --from https://old.example.fr --dry-run
    manage.py move_site_origin --from https://old.example.fr

The frozen badge class versions are rewritten on the new origin, the assertions' images baked
again, stored evidence and criteria URLs on the old origin moved; in batches, idempotent (a
second run changes nothing), audited in Wagtail's log.
"""

from django.core.management.base import BaseCommand, CommandError

from badges.services.origin import move_site_origin
from cotraining.exceptions import ServiceError


class Command(BaseCommand):
    help = (
        "Move the issued Open Badges (badge class versions, baked images, evidence and "
        "criteria URLs) from an old origin to SITE_URL."
    )
    # The origin check refuses every other command until this one has run.
    requires_system_checks = []

    def add_arguments(self, parser):
        parser.add_argument(
            "--from",
            dest="old",
            help="The old origin (default: the one the issued badges carry).",
        )
        parser.add_argument(
            "--to",
            dest="new",
            help="The new origin; must be SITE_URL (the default).",
        )
        parser.add_argument("--batch-size", type=int, default=200)
        parser.add_argument(
            "--dry-run", action="store_true", help="Count what would change; change nothing."
        )

    def handle(self, *args, old=None, new=None, batch_size=200, dry_run=False, **options):
        if batch_size < 1:
            raise CommandError("--batch-size must be at least 1.")
        try:
            report = move_site_origin(old=old, new=new, dry_run=dry_run, batch_size=batch_size)
        except ServiceError as exc:
            raise CommandError(exc.message) from exc
        verb = "would be changed" if dry_run else "changed"
        self.stdout.write(
            f"{report.old} → {report.new}: {report.versions} badge class version(s), "
            f"{report.badge_classes} criteria URL(s), {report.issuers} issuer URL(s), "
            f"{report.evidence} assertion evidence, {report.images} baked image(s) {verb}."
        )
        for uuid in report.missing_images:
            self.stderr.write(f"assertion {uuid}: baked image missing, baked again")
        if not report.changed:
            self.stdout.write("Nothing to move.")
