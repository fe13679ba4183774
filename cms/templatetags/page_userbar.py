"""Wagtail's userbar where it helps: on Wagtail pages, not on the application's own screens."""

from django import template
from wagtail.admin.templatetags.wagtailuserbar import get_page_instance, wagtailuserbar

register = template.Library()


@register.simple_tag(takes_context=True)
def page_userbar(context, position="bottom-right"):
    """The userbar on a page served by Wagtail; nothing on other views.

    Elsewhere it has nothing to edit, and on the check-in code projected in a room its
    floating button and content-checker count only distract (issue 13).
    """
    if get_page_instance(context) is None:
        return ""
    return wagtailuserbar(context, position)
