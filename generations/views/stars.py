"""Stars: a member's own marks on clips, changed in place and heard of by their other tabs."""

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from ..forms import SelectionForm
from ..models import Star
from .generation import visible_generation
from .requests import MemberRequest
from .studio import TEMPLATE

BOARDS_TEMPLATE = "generations/boards.html"
STAR_VALUES = {"1": True, "0": False}


@require_POST
def star(request: MemberRequest, pk) -> HttpResponse:
    """Star ("starred=1") or unstar ("starred=0") one clip: the state asked for, never a flip,
    so a tab showing an old state can't undo what another tab just did."""
    generation = visible_generation(pk)
    starred = STAR_VALUES.get(request.POST.get("starred", ""))
    if starred is None:
        return HttpResponseBadRequest("Say starred=1 to star the clip or starred=0 to unstar it.")
    Star.set(request.user, [generation.pk], starred)
    generation.starred = starred  # type: ignore[attr-defined]
    if request.htmx:
        return render(request, f"{TEMPLATE}#star", {"generation": generation})
    return back(request, generation.get_absolute_url())


@require_POST
def star_selection(request: MemberRequest) -> HttpResponse:
    """Star every selected clip (those already starred stay so)."""
    form = SelectionForm(request.POST)
    if not form.is_valid():
        return selection_refused(request, form)
    generations = form.generations
    changed = Star.set(request.user, [g.pk for g in generations], True)
    for generation in generations:
        generation.starred = True  # type: ignore[attr-defined]
    count = len(generations)
    done = f"Starred {count} clip{'s' if count != 1 else ''}."
    if changed < count:
        done += f" {count - changed} {'was' if count - changed == 1 else 'were'} starred already."
    context = {"done": done, "starred": generations, "missing": form.missing}
    return render(request, f"{BOARDS_TEMPLATE}#bulk-result", context)


def selection_refused(request: MemberRequest, form: SelectionForm) -> HttpResponse:
    """Why a bulk action did nothing, in words, in the bulk bar (the selection stays)."""
    error = " ".join(str(e) for e in form.non_field_errors())
    response = render(request, f"{BOARDS_TEMPLATE}#bulk-result", {"error": error}, status=400)
    if request.htmx:
        response.status_code = 200  # htmx swaps only a success; the words are the answer
    return response


def back(request: MemberRequest, fallback: str) -> HttpResponse:
    """Where a plain form (no htmx) returns to: the page it was sent from, if it is ours."""
    referer = request.headers.get("Referer", "")
    if url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return redirect(referer)
    return redirect(fallback)
