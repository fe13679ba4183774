"""The platform's Open Badges origin: which one the issued badges carry, and moving them to a
new one (a new domain name).

Every id a verifier follows was written on SITE_URL when it was issued: the frozen badge class
versions (their `id`, `image`, `issuer`, criteria), the evidence stored with assertions and the
JSON baked into each assertion's image. Moving a platform rewrites all of them, in batches, each
batch in one transaction, so a run stopped half-way is simply run again; a second run finds
nothing to change.
"""

import json
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from django.db import DatabaseError, transaction
from django.utils.translation import gettext as _
from wagtail.log_actions import log

from cotraining.exceptions import ServiceError
from cotraining.origin import public_url

from ..constants import AuditAction
from ..models import Assertion, BadgeClass, BadgeClassVersion, Issuer
from .audit import log_many
from .baking import read_baked, store_baked_image
from .openbadges import assertion_document, drop_cached_assertion

BADGES_PATH = "/badges/"


def issued_origin():
    """The origin the badges already issued were built on (from the latest published badge
    class version's `id`), or None when none was published — or when the table is not there
    yet (a fresh database before migrate) or the database does not answer."""
    try:
        badge_id = (
            BadgeClassVersion.objects.order_by("-pk").values_list("document__id", flat=True).first()
        )
    except DatabaseError:
        return None
    if not isinstance(badge_id, str) or BADGES_PATH not in badge_id:
        return None
    return badge_id.split(BADGES_PATH, 1)[0]


def normalise_origin(value):
    """`scheme://host[:port][/prefix]` without its trailing slash, or a ServiceError."""
    value = (value or "").strip().rstrip("/")
    parts = urlsplit(value)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ServiceError(
            "invalid_origin",
            _("« %(value)s » n'est pas une origine (https://nom-de-domaine).") % {"value": value},
        )
    return value


def moved(value, old, new):
    """`value` (a JSON document, list or string) with every URL on `old` moved to `new`."""
    if isinstance(value, str):
        if value == old or value.startswith(old + "/"):
            return new + value[len(old) :]
        return value
    if isinstance(value, list):
        return [moved(item, old, new) for item in value]
    if isinstance(value, dict):
        return {key: moved(item, old, new) for key, item in value.items()}
    return value


@dataclass
class OriginMove:
    """What a move changed (or, with dry_run, would change)."""

    old: str
    new: str
    dry_run: bool = False
    issuers: int = 0
    badge_classes: int = 0
    versions: int = 0
    evidence: int = 0
    images: int = 0
    missing_images: list = field(default_factory=list)

    @property
    def changed(self):
        return self.issuers + self.badge_classes + self.versions + self.evidence + self.images


def _batches(queryset, size):
    """The rows of `queryset` by increasing pk, `size` at a time, each batch locked in its own
    transaction (the caller's `with` block)."""
    last = 0
    while True:
        with transaction.atomic():
            batch = list(queryset.select_for_update().filter(pk__gt=last).order_by("pk")[:size])
            if not batch:
                return
            yield batch
        last = batch[-1].pk


def _baked_is_stale(assertion, expected, old):
    """Whether the image baked for `assertion` does not carry `expected` (its JSON document)."""
    assertion.image.open("rb")
    try:
        content = assertion.image.read()
    finally:
        assertion.image.close()
    try:
        baked = read_baked(content)
    except Exception:  # unreadable or never baked: bake it again
        return True
    if isinstance(baked, dict):
        return baked != expected
    return baked != assertion.public_url or old.encode() in content


def move_site_origin(*, old=None, new=None, dry_run=False, batch_size=200, by=None):
    """Move every stored Open Badges URL from the origin `old` (default: the one the issued
    badges carry) to `new` (default and only allowed value: SITE_URL, since the hosted
    documents are built on it), and bake the assertions' images again.

    Idempotent and resumable: only what still points at `old` is rewritten, only images whose
    baked JSON differs from the hosted one are baked again. Audited per badge class and per
    assertion (Wagtail log). With `dry_run`, counts and changes nothing.
    """
    current = public_url("")
    new = normalise_origin(new or current)
    if new != current.rstrip("/"):
        raise ServiceError(
            "origin_not_site_url",
            _(
                "Définissez d'abord SITE_URL=%(new)s : les documents hébergés sont construits "
                "sur SITE_URL (actuellement %(current)s)."
            )
            % {"new": new, "current": current},
        )
    old = old or issued_origin()
    report = OriginMove(old=old or new, new=new, dry_run=dry_run)
    if not old:
        return report
    old = report.old = normalise_origin(old)
    if old == new:
        return report
    data = {"from": old, "to": new}

    for issuer in Issuer.objects.filter(url__startswith=old).order_by("pk"):
        url = moved(issuer.url, old, new)
        if url != issuer.url:
            report.issuers += 1
            if not dry_run:
                Issuer.objects.filter(pk=issuer.pk).update(url=url)

    versions_moved = {}
    for batch in _batches(BadgeClassVersion.objects.select_related("badge_class"), batch_size):
        for version in batch:
            document = moved(version.document, old, new)
            if document == version.document:
                continue
            report.versions += 1
            versions_moved.setdefault(version.badge_class, []).append(version.number)
            if not dry_run:
                version.document = document
                version.save(update_fields=["document"])
    for badge_class in BadgeClass.objects.filter(criteria_url__startswith=old + "/"):
        report.badge_classes += 1
        versions_moved.setdefault(badge_class, [])
        if not dry_run:
            BadgeClass.objects.filter(pk=badge_class.pk).update(
                criteria_url=moved(badge_class.criteria_url, old, new)
            )
    if not dry_run:
        for badge_class, numbers in versions_moved.items():
            log(badge_class, AuditAction.MOVE_ORIGIN, user=by, data={**data, "versions": numbers})

    assertions = Assertion.objects.select_related("badge_class", "version")
    for batch in _batches(assertions, batch_size):
        changed = []
        for assertion in batch:
            evidence = moved(assertion.evidence, old, new)
            # In a dry run the versions were not rewritten: compare with what they would say.
            assertion.version.document = moved(assertion.version.document, old, new)
            touched = evidence != assertion.evidence
            if touched:
                report.evidence += 1
                assertion.evidence = evidence
            expected = json.loads(json.dumps(assertion_document(assertion)))
            try:
                stale = not assertion.image or _baked_is_stale(assertion, expected, old)
            except FileNotFoundError:
                report.missing_images.append(str(assertion.uuid))
                stale = True
            if stale:
                report.images += 1
            if dry_run or not (touched or stale):
                continue
            fields = ["evidence"] if touched else []
            if stale:
                previous = assertion.image.name
                store_baked_image(assertion)
                fields.append("image")
                if previous and previous != assertion.image.name:
                    storage = assertion.image.storage
                    transaction.on_commit(lambda n=previous, s=storage: s.delete(n))
            assertion.save(update_fields=fields)
            uuid = assertion.uuid
            transaction.on_commit(lambda u=uuid: drop_cached_assertion(u))
            changed.append(assertion)
        log_many(changed, AuditAction.MOVE_ORIGIN, user=by, data=data)
    return report
