from django import template

from ..catalogue import render_catalogue
from ..pdfs import format_hours

register = template.Library()


@register.filter
def hours(value):
    """Hours as people write them: "3", "1,5" (no trailing zeros), as on the PDFs."""
    return format_hours(value)


@register.simple_tag(takes_context=True)
def workshop_catalogue(context, index_page):
    """The catalogue below `index_page` (a WorkshopIndexPage): filters, facets, one page of
    results, for the query string of the request (cotraining.catalogue)."""
    return render_catalogue(context["request"], index_page=index_page)
