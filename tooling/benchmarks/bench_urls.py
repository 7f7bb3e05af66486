"""The studio's URLs plus two bare Django views, served only by the benchmarks' gunicorn."""

from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.urls import include, path

BARE_PATH = "/_bench/bare/"
PUBLIC_BARE_PATH = "/_bench/bare-public/"


def bare(request: HttpRequest) -> HttpResponse:
    """Nothing at all, answered as the live-update request answers when nothing changed; like
    every view of the studio it needs a logged-in member (LoginRequiredMiddleware)."""
    return HttpResponse(status=204)


@login_not_required
def bare_public(request: HttpRequest) -> HttpResponse:
    """The same without the login check: Django's floor, touching no database at all."""
    return HttpResponse(status=204)


urlpatterns = [
    path(BARE_PATH.lstrip("/"), bare),
    path(PUBLIC_BARE_PATH.lstrip("/"), bare_public),
    path("", include("hailuo_site.urls")),
]
