"""Re-check the SVG images stored before uploads were sanitised (badges.validators).

Issuer and badge class SVGs are rewritten through the sanitiser when that changes them; SVG
assertions (baked images) that still carry something active or external are baked again from
the clean badge class image. `--check` only lists what would change and fails if anything
would, for a deployment check or a cron.
"""

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError

from badges.models import Assertion, BadgeClass, Issuer
from badges.services.baking import store_baked_image
from badges.validators import sanitize_svg, svg_threats


def _read(field):
    field.open("rb")
    try:
        return field.read()
    finally:
        field.close()


class Command(BaseCommand):
    help = (
        "Sanitise the SVG images of issuers and badge classes, and bake again the SVG "
        "assertions that carry script or external references."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--check",
            action="store_true",
            help="List the unsafe files and fail if there are any; change nothing.",
        )

    def handle(self, *args, check=False, **options):
        flagged = 0
        for model in (Issuer, BadgeClass):
            for obj in model.objects.filter(image__iendswith=".svg"):
                flagged += self._sanitize_source(obj, check=check)
        assertions = Assertion.objects.filter(image__iendswith=".svg").select_related(
            "badge_class", "version"
        )
        for assertion in assertions.iterator(chunk_size=200):
            flagged += self._rebake(assertion, check=check)
        if check and flagged:
            raise CommandError(f"{flagged} unsafe SVG file(s); run without --check to fix them.")
        self.stdout.write(f"{flagged} SVG file(s) {'to fix' if check else 'fixed'}.")

    def _sanitize_source(self, obj, *, check):
        name = obj.image.name
        try:
            raw = _read(obj.image)
        except FileNotFoundError:
            self.stderr.write(f"{name}: missing file")
            return 0
        try:
            clean = sanitize_svg(raw)
        except ValidationError:
            self.stderr.write(f"{name}: unreadable SVG, remove it by hand")
            return 1
        if clean == raw:
            return 0
        threats = svg_threats(raw)
        self.stdout.write(f"{name}: {', '.join(threats) or 'rewritten by the sanitiser'}")
        if not check:
            storage = obj.image.storage
            storage.delete(name)
            stored = storage.save(name, ContentFile(clean))
            if stored != name:
                type(obj).objects.filter(pk=obj.pk).update(image=stored)
        return 1 if threats or not check else 0

    def _rebake(self, assertion, *, check):
        name = assertion.image.name
        try:
            threats = svg_threats(_read(assertion.image))
        except FileNotFoundError:
            self.stderr.write(f"{name}: missing file")
            return 0
        if not threats:
            return 0
        self.stdout.write(f"{name}: {', '.join(threats)}")
        if not check:
            assertion.image.storage.delete(name)
            store_baked_image(assertion)
            Assertion.objects.filter(pk=assertion.pk).update(image=assertion.image.name)
        return 1
