from django import template
from django.conf import settings

from fieldops.models import status_color as color_of
from web.selectors import viewer_for

register = template.Library()


@register.simple_tag(takes_context=True)
def laksa_viewer(context):
    """The page's viewer (role, crew, agency), computed once when the view did not pass it."""
    viewer = context.get("viewer")
    if viewer is None:
        request = context.get("request")
        viewer = viewer_for(getattr(request, "user", None))
    return viewer


@register.simple_tag
def demo_mode():
    return bool(getattr(settings, "DEMO_MODE", False))


@register.filter
def status_color(status):
    return color_of(status)
