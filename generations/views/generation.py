"""One generation: its page, and what its owner (or staff) may do to it."""

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap

from ..forms import GalleryFilterForm
from ..models import Board, BudgetRefusal, Generation, Status
from ..pipeline.tasks import enqueue_submission, ensure_tracker
from .requests import MemberRequest
from .studio import TEMPLATE, form_context, gallery_query


def visible_generation(pk, member=None) -> Generation:
    """A clip in the gallery (404 otherwise), knowing `member`'s star if one is given."""
    return get_object_or_404(Generation.objects.visible().for_cards(member), pk=pk)


def changeable_generation(request: MemberRequest, pk) -> Generation:
    generation = visible_generation(pk)
    if not generation.can_be_changed_by(request.user):
        raise PermissionDenied("Only its author or staff can change this clip.")
    return generation


@require_GET
def detail(request: MemberRequest, pk) -> HttpResponse:
    generation = visible_generation(pk, request.user)
    if request.htmx and request.GET.get("part") == "card":
        return render(request, f"{TEMPLATE}#card", {"generation": generation})
    # Arrow keys step to the clips beside this one in the gallery it was opened from.
    filters = GalleryFilterForm(request.GET)
    newer, older = filters.apply(Generation.objects.visible(), request.user).neighbours(generation)
    context = {
        "generation": generation,
        "newer": newer,
        "older": older,
        "gallery_query": gallery_query(request.GET),
        "boards": Board.objects.holding(generation),
        # Continue from last frame: the clips before this one in its story, and after it.
        "chain": generation.chain_before(),
        "continued_by": generation.continued_by(),
    }
    return render(request, "generations/generation_detail.html", context)


@require_POST
def delete(request: MemberRequest, pk) -> HttpResponse:
    generation = changeable_generation(request, pk)
    generation.soft_delete(by=request.user)
    undoable = generation.can_be_restored_by(request.user)
    if undoable:
        ensure_tracker()  # it drops the files when the undo has run out
    if request.htmx:
        # The card gives way to a note with an undo, or to nothing.
        if not undoable:
            return HttpResponse("")
        return render(request, f"{TEMPLATE}#deleted", {"generation": generation})
    if undoable:
        return redirect(f"{reverse('studio')}?deleted={generation.pk}")
    return redirect("studio")


@require_POST
def restore(request: MemberRequest, pk) -> HttpResponse:
    """Undo a delete, a few seconds long (UNDO_SECONDS)."""
    generation = get_object_or_404(
        Generation.objects.for_cards(request.user), pk=pk, deleted_at__isnull=False
    )
    if not generation.can_be_changed_by(request.user):
        raise PermissionDenied("Only its author or staff can change this clip.")
    if not generation.restore():
        message = "Too late to undo: the clip is gone."
        if request.htmx:
            context = {"notice": message, "oob": True}
            return reswap(render(request, f"{TEMPLATE}#notice", context), "none")
        messages.error(request, message)
        return redirect("studio")
    ensure_tracker()  # a poster that was still to be made
    if request.htmx:
        return render(request, f"{TEMPLATE}#card", {"generation": generation, "studio_page": True})
    return redirect(generation)


@require_POST
def retry(request: MemberRequest, pk) -> HttpResponse:
    generation = changeable_generation(request, pk)
    if generation.status != Status.FAILED:
        return HttpResponse("Only a failed clip can be retried.", status=409)
    try:
        new_generation = generation.retry(by=request.user)
    except BudgetRefusal as refusal:
        if request.htmx:
            context = {"notice": str(refusal), "oob": True}
            return reswap(render(request, f"{TEMPLATE}#notice", context), "none")
        messages.error(request, str(refusal))
        return redirect(generation)
    enqueue_submission(new_generation)
    if request.htmx:
        context = {"generation": new_generation, **form_context(request)}
        return render(request, f"{TEMPLATE}#created", context)
    return redirect(new_generation)


@require_GET
def download(request: MemberRequest, pk) -> FileResponse:
    generation = visible_generation(pk)
    if not generation.video:
        raise Http404("This clip is not ready yet.")
    return FileResponse(
        generation.video.open("rb"),
        as_attachment=True,
        filename=generation.download_name,
        content_type="video/mp4",
    )
