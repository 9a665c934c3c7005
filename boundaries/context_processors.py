"""`city_name` for templates, from the loaded boundaries (the kota area's name), so no page
needs a city's name written into it. Add "boundaries.context_processors.city" to
TEMPLATES[0]["OPTIONS"]["context_processors"] and use {{ city_name }}."""

from django.core.cache import cache

CACHE_KEY = "laksa:city_name"


def city(request):
    name = cache.get(CACHE_KEY)
    if name is None:
        from boundaries.selectors import service_area_name

        try:
            name = service_area_name()
        except Exception:  # no database yet (e.g. collectstatic): no name rather than a crash
            name = ""
        cache.set(CACHE_KEY, name, 300)
    return {"city_name": name}
