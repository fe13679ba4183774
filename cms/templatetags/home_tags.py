from django import template

from cms.home import home_context

register = template.Library()


@register.simple_tag(takes_context=True)
def home_day(context):
    """`{% home_day as home %}`: what the home page shows the person asking (cms/home.py)."""
    return home_context(context["request"])
