"""Word when a clip is done: whether the member wants a browser notification too (static/js/
clip_word.js asks the browser's permission first, and only when the member switches it on).

The choice is the member's, kept on their profile; their session keeps a copy, read from the
profile once a session, so the studio page shows the switch without a query of its own (as
last_seen.py keeps the time of its last write). A choice made in another browser reaches this
one at its next login."""

from django.http import HttpResponse, JsonResponse
from django.views.decorators.http import require_POST

from ..models import MemberProfile
from .requests import MemberRequest

CHOICES = {"on": True, "off": False}
SESSION_KEY = "studio_notify_when_done"


def notify_choice(request: MemberRequest) -> bool:
    """Whether this member asked for a notification when their clips are done."""
    choice = request.session.get(SESSION_KEY)
    if not isinstance(choice, bool):
        profiles = MemberProfile.objects.filter(member=request.user, notify_when_done=True)
        choice = request.session[SESSION_KEY] = profiles.exists()
    return choice


@require_POST
def notify_when_done(request: MemberRequest) -> HttpResponse:
    """Remember the member's choice, for every browser they use."""
    choice = request.POST.get("notify_when_done", "")
    if choice not in CHOICES:
        return HttpResponse(
            'Say "on" or "off" for notify_when_done.', status=400, content_type="text/plain"
        )
    MemberProfile.objects.update_or_create(
        member=request.user, defaults={"notify_when_done": CHOICES[choice]}
    )
    request.session[SESSION_KEY] = CHOICES[choice]
    return JsonResponse({"notify_when_done": CHOICES[choice]})
