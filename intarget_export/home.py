"""``/``: what this service is and where its feeds are; no data, no key needed."""

from django.http import HttpRequest, JsonResponse

ABOUT = {
    "service": "intarget-export",
    "feeds": "/api/<feed>?from=YYYY-MM-DD+HH:MM:SS&to=YYYY-MM-DD+HH:MM:SS (CSV; &format=json for JSON)",
    "docs": "/api/docs",
}


def home(request: HttpRequest) -> JsonResponse:
    return JsonResponse(ABOUT)
