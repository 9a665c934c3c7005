"""`viewer` for every template (the header's links depend on the user's roles), so pages of
other apps (analytics, login) show the same navigation as the web app's own pages; and the
face of the request's government (`request.government`, boundaries.middleware): its site name,
its area's name and its colours."""

from django.utils.functional import SimpleLazyObject


def viewer(request):
    from web.selectors import viewer_for

    return {"viewer": SimpleLazyObject(lambda: viewer_for(getattr(request, "user", None)))}


def site(request):
    """`government`, `site_name`, `area_name` (the government's name, else the province's) and
    `theme` (its colours) for the base template. A view may pass its own `government` (the
    tracking page shows the complaint's)."""
    from web.selectors import site_face

    return site_face(getattr(request, "government", None), getattr(request, "governments", None))
