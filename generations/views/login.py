"""Logging in, to the studio and to the admin, with failed attempts throttled (see throttle.py)."""

from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth.forms import AuthenticationForm
from django.contrib.auth.views import LoginView
from django.core.exceptions import ValidationError
from django.http import HttpResponse

from .. import throttle


class ThrottledLoginMixin:
    """Refuses every attempt while paused (a correct password too), counts wrong passwords."""

    throttled_message = ""

    def clean(self) -> dict:
        username = self.cleaned_data.get("username") or ""
        address = throttle.client_address(self.request) if self.request else ""
        if wait := throttle.seconds_to_wait(username, address):
            self.throttled_message = throttle.wait_message(wait)
            raise ValidationError(self.throttled_message, code="throttled")
        try:
            cleaned = super().clean()
        except ValidationError:
            # Only a wrong password counts, not a right one for an inactive or non-staff account.
            if self.get_user() is None:
                throttle.record_failure(username, address)
            raise
        if self.get_user() is not None:
            throttle.record_success(username)
        return cleaned


class ThrottledAuthenticationForm(ThrottledLoginMixin, AuthenticationForm):
    pass


class ThrottledAdminAuthenticationForm(ThrottledLoginMixin, AdminAuthenticationForm):
    pass


class ThrottledLoginView(LoginView):
    authentication_form = ThrottledAuthenticationForm

    def form_invalid(self, form: ThrottledAuthenticationForm) -> HttpResponse:
        response = super().form_invalid(form)
        if form.throttled_message:
            response.status_code = 429  # Too Many Requests: scripts notice, people read the page.
        return response
