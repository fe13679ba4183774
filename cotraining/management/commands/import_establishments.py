"""Import establishments from the annuaire de l'éducation CSV (see the README for the columns)."""

from django.core.management.base import BaseCommand, CommandError

from cotraining.services import import_establishments


class Command(BaseCommand):
    help = (
        "Importe les établissements d'un export CSV de l'annuaire de l'éducation "
        "(séparateur « ; », UTF-8). Mise à jour par UAI ; rien n'est écrit si une ligne est fausse."
    )

    def add_arguments(self, parser):
        parser.add_argument("path", help="Chemin du fichier CSV")

    def handle(self, *args, path, **options):
        try:
            handle = open(path, "rb")  # closed by the `with` below; the service reads it twice
        except OSError as exc:
            raise CommandError(f"Fichier illisible : {exc}") from exc
        with handle:
            report = import_establishments(file=handle)
        for line, message in report.errors:
            prefix = f"Ligne {line} : " if line else ""
            self.stderr.write(f"{prefix}{message}")
        if not report.ok:
            more = report.unreported_errors
            if more > 0:
                self.stderr.write(f"… et {more} autres erreurs.")
            raise CommandError(
                f"{report.error_count} erreur(s) sur {report.lines} ligne(s) : "
                "rien n'a été importé."
            )
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.lines} lignes : {report.created} créés, {report.updated} mis à jour, "
                f"{report.unchanged} inchangés."
            )
        )
