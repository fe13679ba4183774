"""The PIX summary shown in "Mon parcours" (a page of the co-training layer, which cannot import
badges: the template asks this tag for what the badges layer knows)."""

from django import template

from cotraining.models import Competence

from ..models import PixCertification

register = template.Library()


@register.inclusion_tag("badges/includes/pix_levels.html")
def pix_levels(certification):
    """A certification's 16 levels as bars and as a table, each competence with its name."""
    names = Competence.objects.crcn_names()
    return {
        "certification": certification,
        "rows": [(code, names.get(code, ""), level) for code, level in certification.levels],
    }


@register.inclusion_tag("badges/includes/pix_summary.html")
def pix_summary(user):
    certifications = list(
        PixCertification.objects.filter(user=user).select_related("pix_plus_edu")[:5]
    )
    current = next((c for c in certifications if c.is_current), None)
    return {"current": current, "latest": certifications[0] if certifications else None}
