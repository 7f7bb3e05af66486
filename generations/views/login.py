"""Logging in, to the studio and to the admin, with failed attempts throttled (see throttle.py)."""

import functools
from collections.abc import Callable
from typing import Any, Concatenate

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponseBase

from .. import throttle


class ThrottledLoginMixin(AuthenticationForm):
    """Refuses every attempt while paused (a correct password too), counts wrong passwords."""

    throttled_message = ""

    def clean(self) -> dict[str, Any]:
        username = self.cleaned_data.get("username") or ""
        if self.request is None:
            return super().clean()
        attempt = throttle.LoginAttempt.from_request(self.request, username)
        # For throttled_login, which answers (and reads it with getattr).
        self.request.login_attempt = attempt  # type: ignore[attr-defined]
        if wait := attempt.seconds_to_wait():
            self.throttled_message = throttle.wait_message(wait)
            raise ValidationError(self.throttled_message, code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            # Only a wrong password counts, not a right one for an inactive or non-staff account.
            if self.get_user() is None:
                attempt.record_failure()
            raise
        if self.get_user() is not None:
            attempt.record_success()
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


def throttled_login[**P, R: HttpResponseBase](
    view: Callable[Concatenate[HttpRequest, P], R],
) -> Callable[Concatenate[HttpRequest, P], R]:
    """A login view that answers 429 while paused and marks the browser known after a login."""

    @functools.wraps(view)
    def wrapped(request: HttpRequest, *args: P.args, **kwargs: P.kwargs) -> R:
        response = view(request, *args, **kwargs)
        attempt = getattr(request, "login_attempt", None)
        return attempt.finish(response) if attempt else response

    return wrapped


login_view = throttled_login(LoginView.as_view(authentication_form=ThrottledAuthenticationForm))
