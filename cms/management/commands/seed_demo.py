"""Demo data: one académie (Poitiers), real-looking schools and one account per role.

Idempotent: running it twice changes nothing. Later features add their own demo data, so that
the demo always shows every feature to every role: the building blocks are modules of cms,
called here in order: demo_people (schools, accounts), demo_offer (workshops, sessions,
resources), demo_enrolments, demo_badges (Open Badges and PIX), demo_indicators; the texts are
in demo_content, the calendar rules in demo_calendar.

Enrolment: the colleagues' rows are bulk-created (no emails); the demo teacher's own path goes
through the services, so it is exactly what the application would have written, and costs a
handful of emails (printed to the console in development).

Open Badges: the DANE issues a participant badge for a few workshops, a trainer badge and a
stand-alone badge; the demo teacher's completions are awarded through the badges services (baked
images written to MEDIA_ROOT, a handful of emails), one of her badges is public and a colleague's
badge was revoked.
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from badges.models import Assertion
from cms.demo_badges import seed_badges, seed_pix
from cms.demo_communities import seed_community_demo
from cms.demo_enrolments import seed_enrolments
from cms.demo_indicators import seed_indicator_demo
from cms.demo_offer import seed_offer, seed_pending_submission, seed_resources
from cms.demo_people import DEMO_DOMAIN, seed_accounts, seed_platform_settings, seed_schools
from cms.site_structure import ensure_academie_sections, ensure_site
from cotraining.catalogue_cache import touch_catalogue
from cotraining.models import Academie
from cotraining.reference import load_competences, load_reference_data

# Printed at the end: which account shows which feature.
WHAT_TO_SEE = [
    (
        "enseignant",
        "/mon-parcours/ : séance confirmée (convocation, agenda .ics, annulation), place en liste "
        "d'attente, demande en attente d'accord, attestations et heures par année scolaire",
    ),
    ("", "catalogue : un parcours en plusieurs dates, des ateliers soumis à accord"),
    ("direction", "/accords/ : deux demandes d'inscription à accorder ou refuser"),
    ("formateur", "/mes-seances/ : présences à relever, listes d'attente, feuilles d'émargement"),
    ("coordination", "/mes-seances/ : séances à risque ; /admin/envois/ : un courriel en échec"),
]

WHAT_TO_SEE_BADGES = [
    ("enseignant", "/mes-badges/ : trois badges (dont un public et un qui expire), export JSON"),
    ("formateur", "/mes-badges/ : le badge de formateur·rice, décerné quand un atelier est validé"),
    ("admin", "/admin/ > Open Badges : émetteur, badges, badges décernés (dont un révoqué)"),
    ("enseignant", "/mes-certifications/ et /mon-parcours/ : certification PIX vérifiée, niveaux"),
    ("coordination", "/certifications-pix/ : trois déclarations à vérifier, import Pix Orga"),
    ("direction", "/certifications-pix/ : résultats PIX de son établissement (lecture seule)"),
]


class Command(BaseCommand):
    help = "Create the demo académie, schools and one account per role (idempotent)."

    def add_arguments(self, parser):
        parser.add_argument(
            "--force", action="store_true", help="Run even with production settings."
        )

    def handle(self, *args, force=False, **options):
        if settings.IS_PRODUCTION and not force:
            raise CommandError(
                "seed_demo refuse de s'exécuter avec les réglages de production (--force)."
            )
        with transaction.atomic():
            load_reference_data()
            load_competences()
            ensure_site()
            academie = Academie.objects.get(code="13")  # Poitiers, from the reference data
            schools = seed_schools()
            seed_platform_settings(academie)
            accounts = seed_accounts(academie, schools)
            workshop_section, resource_section = ensure_academie_sections(academie)
            offer = seed_offer(academie, workshop_section, schools)
            seed_resources(academie, resource_section, offer)
            seed_pending_submission(academie, workshop_section)
            seed_enrolments(offer)
            seed_badges(academie, offer)
            seed_pix(academie)
            seed_indicator_demo(academie=academie, domain=DEMO_DOMAIN)
            accounts.append(seed_community_demo(academie=academie, domain=DEMO_DOMAIN))
            touch_catalogue()  # enrolments were bulk-created: no signal told the catalogue
        self._print(accounts)

    def _print(self, accounts):
        self.stdout.write(self.style.SUCCESS("Données de démonstration prêtes."))
        self.stdout.write(f"Comptes de démonstration (mot de passe : {settings.DEMO_PASSWORD}) :")
        for email, label in accounts:
            self.stdout.write(f"  {email:<36} {label}")
        self.stdout.write("Où voir l'inscription et la présence :")
        for local, text in WHAT_TO_SEE:
            self.stdout.write(f"  {local:<13} {text}")
        self.stdout.write("Où voir les badges (Open Badges 2.0) :")
        for local, text in WHAT_TO_SEE_BADGES:
            self.stdout.write(f"  {local:<13} {text}")
        public = (
            Assertion.objects.filter(
                recipient__email=f"enseignant@{DEMO_DOMAIN}", public=True, revoked=False
            )
            .order_by("issued_on")
            .first()
        )
        if public is not None:
            self.stdout.write(f"  Page publique d'un badge : {public.public_url}")
        revoked = Assertion.objects.filter(
            revoked=True, recipient_email__endswith=f"@{DEMO_DOMAIN}"
        ).first()
        if revoked is not None:
            self.stdout.write(f"  Badge révoqué (410) : {revoked.public_url}")
