"""`{% notify_when_done as on %}`: whether the member asked for a browser notification when their
clips are done (the studio's switch shows it)."""

from django import template

from ..views.notifications import notify_choice

register = template.Library()


@register.simple_tag(takes_context=True)
def notify_when_done(context) -> bool:
    """For a signed-in member (the only kind who sees the studio)."""
    request = context.get("request")
    return bool(request and request.user.is_authenticated and notify_choice(request))
