"""Open the site to an académie: its sections, groups, permissions and moderation workflow."""

from django.core.management.base import BaseCommand, CommandError

from cms.site_structure import ensure_academie_sections
from cotraining.models import Academie


class Command(BaseCommand):
    help = (
        "Crée les sections d'une académie (ateliers, ressources), ses groupes de formateurs et "
        "de coordination, leurs droits et le circuit de validation. Idempotent."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="Code de l'académie (par exemple 13 pour Poitiers).")

    def handle(self, *args, code, **options):
        academie = Academie.objects.filter(code=code.strip()).first()
        if academie is None:
            raise CommandError(f"Académie inconnue : {code!r}.")
        workshops, resources = ensure_academie_sections(academie)
        self.stdout.write(
            self.style.SUCCESS(
                f"Académie de {academie.name} : sections {workshops.url_path} "
                f"et {resources.url_path} prêtes."
            )
        )
