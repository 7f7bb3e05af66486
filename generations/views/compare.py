"""Compare: 2 to 4 clips side by side, played in step, to pick the keeper (with the star).

Either a batch's takes (?batch=<uuid>, what a take's card links to) or clips picked in the
gallery (?clip=<uuid>&clip=<uuid>..., what Select mode's Compare sends)."""

import uuid

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import Generation
from ..models.generations import MAX_TAKES
from .requests import MemberRequest

TEMPLATE = "generations/compare.html"
FEWEST = 2
MOST = MAX_TAKES


class CompareRefused(Exception):
    """Why there is nothing to compare, in words for the member; `status` 400 or 404."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.status = status


@require_GET
def compare(request: MemberRequest) -> HttpResponse:
    try:
        clips, left_out, batch = clips_to_compare(request)
    except CompareRefused as refused:
        return render(request, TEMPLATE, {"reason": str(refused)}, status=refused.status)
    context = {"clips": clips, "left_out": left_out, "batch": batch}
    return render(request, TEMPLATE, context)


def clips_to_compare(request: MemberRequest) -> tuple[list[Generation], int, uuid.UUID | None]:
    """The clips to show, in order; how many asked for were deleted (left out); the batch."""
    cards = Generation.objects.visible().for_cards(request.user)
    batch_values, clip_values = request.GET.getlist("batch"), request.GET.getlist("clip")
    if batch_values and clip_values:
        raise CompareRefused("Compare a batch's takes or clips you chose, not both at once.")
    if batch_values:
        batch = one_uuid(batch_values, "That is not a batch of takes.")
        takes = list(cards.filter(batch=batch).order_by("take"))
        if not takes:
            raise CompareRefused("No takes of that batch are left: deleted, or never made.", 404)
        if len(takes) < FEWEST:
            raise CompareRefused(
                "Only one take of that batch is left (the others were deleted): a compare needs "
                "two or more."
            )
        return takes, takes[0].batch_size - len(takes), batch
    ids = chosen_ids(clip_values)
    found = {generation.pk: generation for generation in cards.filter(pk__in=ids)}
    clips = [found[pk] for pk in ids if pk in found]
    if len(clips) < FEWEST:
        gone = len(ids) - len(clips)
        raise CompareRefused(
            f"{gone} of the {len(ids)} clips chosen {'is' if gone == 1 else 'are'} gone "
            "(deleted, or never made): fewer than two are left to compare.",
            404,
        )
    return clips, len(ids) - len(clips), None


def chosen_ids(values: list[str]) -> list[uuid.UUID]:
    """2 to MOST distinct clip ids, in the order given; CompareRefused in words otherwise."""
    if len(values) < FEWEST:
        chose = "none" if not values else "one"
        raise CompareRefused(f"Choose {FEWEST} to {MOST} clips to compare; you chose {chose}.")
    if len(values) > MOST:
        raise CompareRefused(
            f"A compare shows at most {MOST} clips side by side; you chose {len(values)}."
        )
    ids = [parse_uuid(value, "One of the chosen clips is not a clip's id.") for value in values]
    if len(set(ids)) < len(ids):
        raise CompareRefused(
            f"The same clip is chosen twice: choose {FEWEST} to {MOST} different clips."
        )
    return ids


def one_uuid(values: list[str], problem: str) -> uuid.UUID:
    if len(values) != 1:
        raise CompareRefused("Name one batch to compare its takes.")
    return parse_uuid(values[0], problem)


def parse_uuid(value: str, problem: str) -> uuid.UUID:
    try:
        return uuid.UUID(value)
    except ValueError:
        raise CompareRefused(problem) from None
