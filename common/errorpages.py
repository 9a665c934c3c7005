"""Error pages: API clients get JSON, people get HTML."""

from django.http import JsonResponse
from django.views.defaults import page_not_found, server_error


def not_found(request, exception=None):
    if request.path.startswith(("/api/", "/open311/")):
        return JsonResponse({"detail": f"Not found: {request.path}"}, status=404)
    return page_not_found(request, exception)


def error(request):
    if request.path.startswith(("/api/", "/open311/")):
        return JsonResponse({"detail": "Internal error; it has been logged."}, status=500)
    return server_error(request)
