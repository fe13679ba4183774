"""Take PIX verification codes out of the Pix+ Édu badges awarded before they were kept out
(evidence, narrative, revocation reason, baked image). `migrate` runs it too; idempotent."""

from django.core.management.base import BaseCommand

from badges.services.pix import leaking_pix_plus_edu_assertions, redact_pix_plus_edu_assertions


class Command(BaseCommand):
    help = (
        "Retire les codes de vérification PIX des badges Pix+ Édu déjà décernés (preuves, "
        "images certifiées). --dry-run : compte seulement."
    )

    def add_arguments(self, parser):
        parser.add_argument("--dry-run", action="store_true")

    def handle(self, *args, dry_run=False, **options):
        if dry_run:
            count = leaking_pix_plus_edu_assertions().count()
            self.stdout.write(f"{count} badge(s) Pix+ Édu à corriger.")
            return
        count = redact_pix_plus_edu_assertions()
        self.stdout.write(f"{count} badge(s) Pix+ Édu corrigé(s).")
