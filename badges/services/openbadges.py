"""Open Badges 2.0 documents: what verifiers read at the hosted URLs (hosted verification).

The issuer's, badge class's and assertion's JSON-LD are built from the database each time except
a badge class's, which is frozen per version (badges.services.versions) so that earlier
assertions keep the criteria they were issued against. A hosted assertion's response is cached;
revocation clears it (`forget_assertion`).
"""

from django.core.cache import cache, caches
from django.db import transaction
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from cotraining.models import Competence

from ..models import site_url

CONTEXT = "https://w3id.org/openbadges/v2"
# The language the documents' texts are written in (Open Badges 2.0, "@language").
LANGUAGE = "fr"


def issuer_document(issuer):
    document = {
        "@context": CONTEXT,
        "@language": LANGUAGE,
        "type": "Issuer",
        "id": issuer.public_url,
        "name": issuer.name,
        "url": issuer.url,
        "email": issuer.email,
    }
    if issuer.description:
        document["description"] = issuer.description
    if issuer.image:
        document["image"] = site_url(reverse("badges:issuer_image", kwargs={"uuid": issuer.uuid}))
    return document


def badge_class_document(badge_class, *, number=None):
    """The BadgeClass as it stands now; `id` is the versioned URL when `number` is given.

    Written in French (its "@language") whatever the language of the request or task that
    publishes it: a frozen version never switches language."""
    with translation.override(LANGUAGE):
        return _badge_class_document(badge_class, number=number)


def _badge_class_document(badge_class, *, number):
    if number is None:
        badge_id = badge_class.public_url
    else:
        badge_id = site_url(
            reverse(
                "badges:badge_class_version", kwargs={"uuid": badge_class.uuid, "number": number}
            )
        )
    criteria = {"narrative": badge_class.criteria_narrative}
    if badge_class.criteria_url:
        criteria["id"] = badge_class.criteria_url
    if number is None:
        image = reverse("badges:badge_class_image", kwargs={"uuid": badge_class.uuid})
    else:  # each version keeps its image
        image = reverse(
            "badges:badge_class_version_image", kwargs={"uuid": badge_class.uuid, "number": number}
        )
    document = {
        "@context": CONTEXT,
        "@language": LANGUAGE,
        "type": "BadgeClass",
        "id": badge_id,
        "name": badge_class.name,
        "description": badge_class.description,
        "image": site_url(image),
        "criteria": criteria,
        "issuer": badge_class.issuer.public_url,
    }
    alignment = [_alignment(competence, badge_class) for competence in _aligned(badge_class)]
    if alignment:
        document["alignment"] = alignment
    if badge_class.tag_list:
        document["tags"] = badge_class.tag_list
    return document


PIX_PLUS_EDU = "pix-plus-edu"
CRCN_URL = "https://pix.fr/competences"
PIX_PLUS_EDU_URL = "https://eduscol.education.fr/721/certification-pix-edu"


def _aligned(badge_class):
    """The competences a badge class aligns to: those chosen, and for a Pix+ Édu badge the
    Pix+ Édu scope it certifies (aligned even when nobody ticked it)."""
    competences = list(badge_class.competences.all())
    scope = badge_class.pix_plus_edu_scope
    if scope and not any(c.framework == PIX_PLUS_EDU and c.code == scope for c in competences):
        competences += list(Competence.objects.filter(framework=PIX_PLUS_EDU, code=scope))
    return sorted(competences, key=lambda c: (c.framework, c.code))


def _competence_url(competence):
    """One URL per competence: the public reference (the CRCN on pix.fr, Pix+ Édu on eduscol)
    and the competence's code as its fragment, so that two competences never share one."""
    base = PIX_PLUS_EDU_URL if competence.framework == PIX_PLUS_EDU else CRCN_URL
    return f"{base}#{competence.framework}-{competence.code.replace('.', '-')}"


def _alignment(competence, badge_class):
    if competence.framework == PIX_PLUS_EDU:
        description = _("Certification Pix+ Édu, volet %(scope)s") % {"scope": competence.name}
        if badge_class.pix_plus_edu_scope == competence.code and badge_class.pix_plus_edu_level:
            description += _(", niveau %(level)s ou au-delà") % {
                "level": badge_class.get_pix_plus_edu_level_display()
            }
    else:
        description = _("Compétence %(code)s du CRCN (domaine « %(domain)s ») : %(name)s") % {
            "code": competence.code,
            "domain": competence.domain,
            "name": competence.name,
        }
    return {
        "targetName": str(competence),
        "targetUrl": _competence_url(competence),
        "targetDescription": description,
        "targetFramework": competence.get_framework_display(),
        "targetCode": competence.code,
    }


def assertion_document(assertion):
    document = {
        "@context": CONTEXT,
        "@language": LANGUAGE,
        "type": "Assertion",
        "id": assertion.public_url,
        "recipient": {
            "type": "email",
            "hashed": True,
            "salt": assertion.salt,
            "identity": assertion.identity,
        },
        "badge": assertion.version.document["id"],
        "issuedOn": assertion.issued_on.isoformat(),
        "verification": {"type": "hosted"},
        "image": assertion.image_url,
    }
    if assertion.expires:
        document["expires"] = assertion.expires.isoformat()
    if assertion.evidence:
        document["evidence"] = assertion.evidence
    if assertion.narrative:
        document["narrative"] = assertion.narrative
    return document


def revoked_document(assertion):
    return {
        "@context": CONTEXT,
        "id": assertion.public_url,
        "type": "Assertion",
        "revoked": True,
        "revocationReason": assertion.revocation_reason,
    }


# How long a hosted assertion's response is cached: in the shared cache (only revocation changes
# it, and clears it), and in each web process's memory in front of it, a few seconds only: a
# revocation reaches every process within ASSERTION_LOCAL_SECONDS (the response itself tells
# verifiers they may keep it 300 s), and the hot URL costs no round trip to Redis.
ASSERTION_CACHE_SECONDS = 60
ASSERTION_LOCAL_SECONDS = 5


def assertion_cache_key(uuid):
    return f"badges:assertion:{uuid}"


def drop_cached_assertion(uuid):
    """Drop a hosted assertion's cached response (shared cache, and this process's copy)."""
    key = assertion_cache_key(uuid)
    cache.delete(key)
    caches["local"].delete(key)


def forget_assertion(uuid):
    """After a revocation commits: the next request reads the database and answers 410."""
    transaction.on_commit(lambda: drop_cached_assertion(uuid))
