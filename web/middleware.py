"""Bahasa Indonesia first: pages ignore the browser's Accept-Language.

A phone bought abroad (or a headless browser) says "en-US"; LAKSA pages still open in
Bahasa Indonesia, and English is one tap away on the language switch (the django_language
cookie set by /i18n/setlang/). The API keeps honouring Accept-Language for its own clients,
but not for the fetches our pages make (Sec-Fetch-Site: same-origin), so a page and the
messages it gets from the API speak the same language.
"""


class DefaultLanguageMiddleware:
    """Placed before LocaleMiddleware: drop Accept-Language on non-API requests."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if not request.path.startswith("/api/") or request.META.get("HTTP_SEC_FETCH_SITE") == "same-origin":
            request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        return self.get_response(request)
