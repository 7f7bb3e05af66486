"""Input that trips Django's own admin before any studio code runs gets a 400, not a 500.

The fuzz over every page (tests/test_hostile_parameters.py) found two, reachable by staff only:
an empty `?_to_field=` reaches ModelAdmin.get_object as a field named "", and an id past 64 bits
in a many-to-many field makes SQLite raise OverflowError inside ModelMultipleChoiceField (Django
taught exact and range lookups to handle overflow, not `in`).
"""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest


class RefuseUnusableInput:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.GET.get("_to_field", None) == "":
            return HttpResponseBadRequest("_to_field names no field.", content_type="text/plain")
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, OverflowError):
            return HttpResponseBadRequest(
                "A number in this request is too large.", content_type="text/plain"
            )
        return None
