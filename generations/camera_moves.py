"""Hailuo's camera commands: square brackets in the prompt (/work/shared/apiframe/CONTRACT.md).

Up to three inside one bracket happen together (`[Pan left, Pedestal up]`); brackets in sequence
happen in order. static/js/camera_moves.js reads a prompt by the same rule (its counter), and the
clip's page shows the commands highlighted.
"""

from __future__ import annotations

import re

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

CAMERA_MOVES = (
    "Truck left", "Truck right", "Pan left", "Pan right", "Push in", "Pull out", "Pedestal up",
    "Pedestal down", "Tilt up", "Tilt down", "Zoom in", "Zoom out", "Shake", "Tracking shot",
    "Static shot",
)  # fmt: skip
MAX_TOGETHER = 3

_KNOWN = {move.lower() for move in CAMERA_MOVES}
_BRACKET = re.compile(r"\[([^\[\]]*)\]")


def moves_in(bracket: str) -> list[str]:
    """The commands of one bracket's inside, or none if it is not a camera command (a word
    Hailuo does not know, an empty part, more than three at once)."""
    parts = [" ".join(part.split()) for part in bracket.split(",")]
    if not 1 <= len(parts) <= MAX_TOGETHER or any(part.lower() not in _KNOWN for part in parts):
        return []
    return parts


def count_camera_moves(text: str) -> int:
    return sum(len(moves_in(match.group(1))) for match in _BRACKET.finditer(text))


def highlight_camera_moves(text: str) -> SafeString:
    """The prompt escaped, each bracket of known commands in <mark class="camera-move">."""
    pieces: list[str] = []
    end = 0
    for match in _BRACKET.finditer(text):
        if not moves_in(match.group(1)):
            continue
        pieces.append(escape(text[end : match.start()]))
        pieces.append(f'<mark class="camera-move">{escape(match.group(0))}</mark>')
        end = match.end()
    pieces.append(escape(text[end:]))
    return mark_safe("".join(pieces))  # every piece of the member's text went through escape
