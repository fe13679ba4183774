from django import template

from ..documents import format_hours

register = template.Library()


@register.filter
def hours(value):
    """Hours as people write them: "3", "1,5" (no trailing zeros), as on the PDFs."""
    return format_hours(value)
