"""``/``: what this service is and where its documents are; no data, no key needed.

A browser (``Accept`` preferring ``text/html``) gets a short page; everything else, curl
and API clients included, gets the same links as JSON. Never Django's debug page.
"""

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe
from django.views.decorators.vary import vary_on_headers

SERVICE = "intarget-export"
DESCRIPTION = "The product's data as InTarget pulls it: ten feeds of rows changed in a window [from, to)."
LINKS = {
    "feeds": "/api/<feed>?from=YYYY-MM-DD+HH:MM:SS&to=YYYY-MM-DD+HH:MM:SS (CSV; &format=json for JSON)",
    "docs": "/api/docs",
    "schema": "/api/schema",
    "admin": "/admin/",
}
ABOUT = {"service": SERVICE, "description": DESCRIPTION, **LINKS}


@require_safe
@vary_on_headers("Accept")
def home(request: HttpRequest) -> HttpResponse:
    # With no preference (curl's */*, no Accept at all) JSON comes first.
    if request.get_preferred_type(["application/json", "text/html"]) == "text/html":
        return render(request, "intarget_export/home.html", {"service": SERVICE, "description": DESCRIPTION})
    return JsonResponse(ABOUT)
