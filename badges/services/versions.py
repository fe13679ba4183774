"""Badge class versions: what a badge class said (its JSON and image) when it was awarded.

Each edit of a badge class publishes a new version before its next award; an assertion points at
the version it was issued against, so earlier badges keep their criteria.
"""

from django.core.files.base import ContentFile
from django.db import transaction
from wagtail.log_actions import log

from ..constants import AuditAction
from ..models import BadgeClass, BadgeClassVersion
from .baking import badge_image, image_extension
from .openbadges import badge_class_document


def _comparable(document):
    # `id` and `image` name the version; whether the image changed is told by its stored file.
    return {key: value for key, value in document.items() if key not in ("id", "image")}


def _same(version, badge_class, document):
    return (
        _comparable(version.document) == _comparable(document)
        and version.image_source == badge_class.image.name
    )


def publish_version(*, badge_class, by=None):
    """The current version of a badge class, published anew if anything changed since the last.

    Called after each edit and before each award: assertions always point at a version that
    says exactly what the badge class said when they were issued.
    """
    # Fast path, no lock: nothing changed since the latest version (every award but the first
    # after an edit). Awards of one badge class then never queue behind each other.
    latest = badge_class.versions.order_by("-number").first()
    if latest and _same(latest, badge_class, badge_class_document(badge_class)):
        return latest
    with transaction.atomic():
        locked = BadgeClass.objects.select_for_update().get(pk=badge_class.pk)
        latest = locked.versions.order_by("-number").first()
        if latest and _same(latest, locked, badge_class_document(locked)):
            return latest
        number = latest.number + 1 if latest else 1
        version = BadgeClassVersion(
            badge_class=locked,
            number=number,
            document=badge_class_document(locked, number=number),
            image_source=locked.image.name,
        )
        # A copy of the image as it is now (an SVG sanitised again): a later upload leaves
        # this version, and the images baked against it, unchanged.
        version.image.save(
            f"{locked.uuid}-v{number}.{image_extension(locked)}",
            ContentFile(badge_image(locked)),
            save=False,
        )
        version.save()
        log(locked, AuditAction.PUBLISH_BADGE_VERSION, user=by, data={"version": number})
        return version
