"""The request a member's page is handed, typed as the middleware leaves it."""

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails


class MemberRequest(HttpRequest):
    """Past LoginRequiredMiddleware (a signed-in `user`) and HtmxMiddleware (`htmx`)."""

    user: User
    htmx: HtmxDetails
