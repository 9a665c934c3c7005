"""`viewer` for every template (the header's links depend on the user's roles), so pages of
other apps (analytics, login) show the same navigation as the web app's own pages."""

from django.utils.functional import SimpleLazyObject


def viewer(request):
    from web.selectors import viewer_for

    return {"viewer": SimpleLazyObject(lambda: viewer_for(getattr(request, "user", None)))}
