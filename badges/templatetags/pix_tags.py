"""The PIX summary shown in "Mon parcours" (a page of the co-training layer, which cannot import
badges: the template asks this tag for what the badges layer knows)."""

from django import template

from cotraining.constants import Framework
from cotraining.models import Competence

from ..models import PixCertification

register = template.Library()


def crcn_names():
    return list(Competence.objects.filter(framework=Framework.CRCN).values_list("code", "name"))


@register.inclusion_tag("badges/includes/pix_summary.html")
def pix_summary(user):
    certifications = list(
        PixCertification.objects.filter(user=user).select_related("pix_plus_edu")[:5]
    )
    current = next((c for c in certifications if c.is_current), None)
    return {
        "current": current,
        "latest": certifications[0] if certifications else None,
        "competence_names": crcn_names() if current else [],
    }
