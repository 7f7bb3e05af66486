"""`{{ prompt.text|camera_moves }}`: a prompt with Hailuo's camera commands highlighted, and
`{% camera_move_names as moves %}`: the commands the studio form offers as buttons."""

from django import template
from django.utils.safestring import SafeString

from ..camera_moves import CAMERA_MOVES, MAX_TOGETHER, highlight_camera_moves

register = template.Library()


@register.filter
def camera_moves(text: str) -> SafeString:
    return highlight_camera_moves(str(text))


@register.simple_tag
def camera_move_names() -> tuple[str, ...]:
    return CAMERA_MOVES


@register.simple_tag
def camera_moves_together() -> int:
    return MAX_TOGETHER
