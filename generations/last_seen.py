"""Last seen: when each member last used the studio, written at most once a minute per member.

The time of the last write rides in the member's session, so a request within the minute costs
nothing (the session is read anyway to know who is asking); past it, one conditional UPDATE on
the member's profile, which another tab or worker that wrote a moment ago turns into no change.
Logging in counts as being seen (and so starts the minute)."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from .models.team import SEEN_EVERY, MemberProfile

SESSION_KEY = "studio_seen_at"  # seconds since the epoch of the last write


def note_seen(request: HttpRequest, user) -> None:
    now = time.time()
    last = request.session.get(SESSION_KEY)
    if isinstance(last, (int, float)) and 0 <= now - last < SEEN_EVERY.total_seconds():
        return
    MemberProfile.note_seen(user)
    request.session[SESSION_KEY] = now


class NoteLastSeen:
    """After AuthenticationMiddleware: a signed-in member's request notes when they were seen."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            note_seen(request, user)
        return self.get_response(request)


def seen_at_login(sender, request: HttpRequest | None, user, **kwargs) -> None:
    """Connected to user_logged_in (apps.py)."""
    if request is not None and hasattr(request, "session"):
        note_seen(request, user)
