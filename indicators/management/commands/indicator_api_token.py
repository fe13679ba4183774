"""Create, list or revoke a BI tool's token for the indicator API (shown once, when created)."""

from django.core.management.base import BaseCommand, CommandError

from cotraining.models import User
from indicators.models import IndicatorApiToken
from indicators.scope import reader_scope
from indicators.tokens import create_api_token, revoke_api_token


class Command(BaseCommand):
    help = "Jetons de l'API des indicateurs : --email X --name Y crée, --list, --revoke DÉBUT."

    def add_arguments(self, parser):
        parser.add_argument("--email", help="La personne (lectrice d'indicateurs) représentée.")
        parser.add_argument("--name", default="Outil décisionnel", help="L'outil qui l'utilise.")
        parser.add_argument("--list", action="store_true")
        parser.add_argument("--revoke", metavar="PREFIX", help="Le début du jeton à révoquer.")

    def handle(self, *args, email=None, name=None, list=False, revoke=None, **options):
        if revoke:
            token = IndicatorApiToken.objects.filter(prefix=revoke).first()
            if token is None:
                raise CommandError("Aucun jeton ne commence ainsi.")
            revoke_api_token(token=token)
            self.stdout.write(f"Révoqué : {token}")
            return
        if list:
            for token in IndicatorApiToken.objects.select_related("user"):
                state = "révoqué" if token.revoked_at else "actif"
                self.stdout.write(f"{token.prefix}…  {token.user.email}  {token.name}  {state}")
            return
        user = User.objects.filter(email__iexact=email or "").first()
        if user is None:
            raise CommandError("--email : aucune personne n'a cette adresse.")
        if not reader_scope(user).readable:
            raise CommandError("Cette personne ne lit aucun indicateur (rôle manquant).")
        _token, key = create_api_token(user=user, name=name)
        self.stdout.write(key)
