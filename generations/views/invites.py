"""The pages a link opens without a login: an invite (/invite/<token>/, "Join Hailuo Studio")
and a password-reset link staff made on the team page (/accounts/reset/<uid>/<token>/).

An invite that was used, expired or revoked says which, in words (410, no form); a token that is
no invite's says so (404) and counts as a guess from its address, as share links do
(generations/throttle.py). A visitor already logged in is told they are a member, with a way to
log out first, and the invite is left unused. Django does not log these pages' 4xx answers:
their paths hold the token."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_not_required
from django.contrib.auth.views import PasswordResetConfirmView
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse_lazy
from django.utils.decorators import method_decorator
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from .. import throttle
from ..models import Invite
from ..models.team import InviteGone, UsernameTaken
from ..passwords import MemberSetPasswordForm
from ..team_forms import JoinForm

TEMPLATE = "generations/invite.html"
UNKNOWN = (
    "There's no invite at this address. Check that the whole link was copied, or ask a staff "
    "member for a new one."
)


def unlogged[R: HttpResponseBase](response: R) -> R:
    """Not logged by Django (the path holds the token), not indexed, and no referrer to another
    site (not "no-referrer": the browser would then send its form with `Origin: null`, which
    Django's CSRF check refuses)."""
    response._has_been_logged = True  # type: ignore[attr-defined]
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex"
    return response


def invite_page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    return unlogged(render(request, TEMPLATE, context, status=status))


@login_not_required
@never_cache
@require_http_methods(["GET", "POST"])
def invite(request: HttpRequest, token: str) -> HttpResponse:
    if request.user.is_authenticated:
        return invite_page(request, {"state": "member"})
    wait = throttle.invite_guesses_paused(request)
    if wait:
        response = invite_page(request, {"state": "paused", "wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
    found = Invite.find(token)
    if found is None:
        throttle.count_invite_guess(request)
        return invite_page(request, {"state": "unknown", "words": UNKNOWN}, status=404)
    if found.state != "open":
        return gone(request, found.state, found.state_words)
    form = JoinForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            member = found.accept(form.cleaned_data["username"], form.cleaned_data["password1"])
        except InviteGone as refusal:  # used or revoked a moment ago
            return gone(request, refusal.state, str(refusal))
        except UsernameTaken:
            form.add_error("username", "A user with that user name already exists.")
        else:
            login(request, member, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(request, f"Welcome to Hailuo Studio, {member.get_username()}.")
            return redirect("studio")
    # A refused form answers 200, as the login and password pages do (the words say what's wrong).
    return invite_page(request, {"state": "open", "form": form, "invite": found})


def gone(request: HttpRequest, state: str, words: str) -> HttpResponse:
    return invite_page(request, {"state": state, "words": words}, status=410)


@method_decorator(login_not_required, name="dispatch")
class ResetPasswordView(PasswordResetConfirmView):
    """Django's own password-reset page, in the studio's words: a deactivated member's link
    does not work; after the new password is set the member is logged in on the studio (the
    link then stops working, as Django's tokens do once the password changes)."""

    form_class = MemberSetPasswordForm
    post_reset_login = True
    post_reset_login_backend = "django.contrib.auth.backends.ModelBackend"
    success_url = reverse_lazy("studio")
    template_name = "registration/password_reset_confirm.html"

    def get_user(self, uidb64):
        user = super().get_user(uidb64)
        return user if user is not None and user.is_active else None

    def dispatch(self, *args, **kwargs):
        response = super().dispatch(*args, **kwargs)
        if not self.validlink and response.status_code == 200:
            response.status_code = 404
        return unlogged(response)

    def form_valid(self, form):
        response = super().form_valid(form)
        messages.success(self.request, "Your new password is set, and you are logged in.")
        return response
