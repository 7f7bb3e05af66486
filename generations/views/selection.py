"""What a member does to the clips selected in "Select" mode, beyond stars (stars.py) and boards
(boards.py): deleting those they may, and naming the rest."""

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_POST

from ..forms import SelectionForm
from ..models import Generation
from ..pipeline.tasks import ensure_tracker
from .requests import MemberRequest
from .stars import BOARDS_TEMPLATE, selection_refused


@require_POST
def delete_selection(request: MemberRequest) -> HttpResponse:
    """Delete the selected clips the member may delete (their own; staff any); the others are
    left alone and named. Their cards go from the page."""
    form = SelectionForm(request.POST)
    if not form.is_valid():
        return selection_refused(request, form)
    chosen = Generation.objects.visible().filter(pk__in=[g.pk for g in form.generations])
    deleted, left_alone = chosen.delete_for(request.user)
    if any(generation.can_be_restored_by(request.user) for generation in deleted):
        ensure_tracker()  # it drops the files of finished clips once their undo has run out
    count = len(deleted)
    done = f"Deleted {count} clip{'s' if count != 1 else ''}." if deleted else ""
    context = {
        "done": done,
        "deleted": deleted,
        "left_alone": left_alone,
        "missing": form.missing,
    }
    return render(request, f"{BOARDS_TEMPLATE}#bulk-result", context)
