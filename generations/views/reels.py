"""Team reels: the list, a reel's page (its shots in order, "Make reel", the made file), and
adding clips to a reel from a card, a clip's page or a selection. Any member edits any reel (a
reel is the team's cut, and a shot gone with its deleted clip must not wait for whoever added it);
only its maker or staff delete it."""

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from ..forms import SelectionForm
from ..models.reels import Reel, ReelRefusal, Shot
from ..pipeline.reels import enqueue_reel
from ..reel_forms import AddToReelForm, ReelForm
from .media import stored_file
from .requests import MemberRequest

TEMPLATE = "generations/reels.html"
MOVES = {"up": -1, "down": 1}


@require_GET
def reels(request: MemberRequest) -> HttpResponse:
    return render_list(request, ReelForm())


def render_list(request: MemberRequest, form: ReelForm, status: int = 200) -> HttpResponse:
    listed = Reel.objects.with_facts().select_related("made_by")
    context = {"view": "list", "reels": listed, "form": form}
    return render(request, TEMPLATE, context, status=status)


@require_POST
def create(request: MemberRequest) -> HttpResponse:
    form = ReelForm(request.POST)
    if not form.is_valid():
        return render_list(request, form, status=400)  # what was typed stays, with the reason
    reel = form.save(by=request.user)
    messages.success(request, f"Made the reel “{reel.name}”. Add clips to it from the studio.")
    return redirect(reel)


def find_reel(pk: int) -> Reel:
    return get_object_or_404(Reel.objects.with_facts().select_related("made_by"), pk=pk)


def reel_context(request: MemberRequest, reel: Reel, **extra) -> dict:
    shots = list(reel.ordered_shots())
    blocker = reel.what_blocks_making(shots)
    return {
        "reel": reel,
        "shots": shots,
        "blocker": blocker,
        "make_hint": blocker or reel.why_not_make_now(),
        "shots_seconds": sum(s.generation.duration for s in shots if not s.is_gone),
        "may_delete": reel.may_be_deleted_by(request.user),
        **extra,
    }


def render_reel(request: MemberRequest, reel: Reel, *, status: int = 200, **extra) -> HttpResponse:
    context = {"view": "reel", **reel_context(request, reel, **extra)}
    return render(request, TEMPLATE, context, status=status)


@require_GET
def detail(request: MemberRequest, pk: int) -> HttpResponse:
    return render_reel(request, find_reel(pk))


@require_GET
def making(request: MemberRequest, pk: int) -> HttpResponse:
    """The reel's state, polled every second while it is being made; once made, the player
    comes with it."""
    reel = find_reel(pk)
    context = reel_context(request, reel, finished=not reel.is_being_made)
    return render(request, f"{TEMPLATE}#reel-status", context)


@require_POST
def make(request: MemberRequest, pk: int) -> HttpResponse:
    """Make reel: queue its stitching task, or say in words why not."""
    reel = find_reel(pk)
    try:
        reel.request_making()
    except ReelRefusal as refusal:
        reel = find_reel(pk)
        if request.htmx:
            context = reel_context(request, reel, refusal=str(refusal))
            return render(request, f"{TEMPLATE}#reel-status", context)
        return render_reel(request, reel, refusal=str(refusal), status=409)
    enqueue_reel(reel)
    if request.htmx:
        return render(request, f"{TEMPLATE}#reel-status", reel_context(request, find_reel(pk)))
    messages.success(request, "Making the reel: this page shows its progress.")
    return redirect(reel)


def posted_shot(request: MemberRequest, reel: Reel) -> Shot:
    """The reel's shot in the form's `shot`; 404 for one not in it."""
    value = request.POST.get("shot", "")
    pk = int(value) if value.isascii() and value.isdigit() and len(value) < 18 else None
    return get_object_or_404(Shot.objects.select_related("generation__prompt"), reel=reel, pk=pk)


def render_shots(request: MemberRequest, reel: Reel, words: str) -> HttpResponse:
    """The shots redrawn after an edit (htmx), with the reel's state and player, or the page."""
    if not request.htmx:
        messages.success(request, words)
        return redirect(reel)
    context = reel_context(request, find_reel(reel.pk), status_words=words, oob=True)
    return render(request, f"{TEMPLATE}#reel-shots", context)


@require_POST
def move(request: MemberRequest, pk: int) -> HttpResponse:
    """One shot a place up or down (the keyboard's way to arrange)."""
    reel = find_reel(pk)
    offset = MOVES.get(request.POST.get("direction", ""))
    shot = posted_shot(request, reel)
    if offset is None:
        return HttpResponse("Say direction=up or direction=down.", status=400)
    moved = reel.move(shot.pk, offset)
    place = Shot.objects.values_list("position", flat=True).filter(pk=shot.pk).first()
    if place is None:  # removed by a teammate at this very moment
        return HttpResponse("That shot was just removed from the reel: reload it.", status=409)
    total = reel.shots.count()
    words = (
        f"Moved “{shot.short_prompt}” to shot {place} of {total}."
        if moved
        else f"“{shot.short_prompt}” is already {'first' if offset < 0 else 'last'}."
    )
    return render_shots(request, reel, words)


@require_POST
def arrange(request: MemberRequest, pk: int) -> HttpResponse:
    """The order as dragged: the shots' ids (`ids`) in their new order."""
    reel = find_reel(pk)
    reel.arrange(request.POST.getlist("ids"))
    return render_shots(request, reel, "Saved the new order of the shots.")


@require_POST
def remove(request: MemberRequest, pk: int) -> HttpResponse:
    """Take a shot out of the reel; its clip stays in the gallery."""
    reel = find_reel(pk)
    shot = posted_shot(request, reel)
    reel.remove(shot.pk)
    words = f"Took “{shot.short_prompt}” out of the reel. The clip itself stays in the gallery."
    return render_shots(request, reel, words)


@require_POST
def delete(request: MemberRequest, pk: int) -> HttpResponse:
    """Delete the reel (its maker or staff) and its file; its clips stay in the gallery."""
    reel = find_reel(pk)
    if not reel.may_be_deleted_by(request.user):
        maker = reel.made_by.get_username() if reel.made_by else "the member who made it"
        error = f"Only {maker}, who made this reel, or staff can delete it."
        return render_reel(request, reel, refusal=error, status=403)
    reel.delete_with_file()
    messages.success(request, f"Deleted the reel “{reel.name}”. Its clips stay in the gallery.")
    return redirect("reels")


def shown_file(pk: int) -> Reel:
    reel = find_reel(pk)
    if not reel.shows_file:
        raise Http404("This reel has no file made as it stands: make it first.")
    return reel


@require_GET
def video(request: MemberRequest, pk: int) -> HttpResponseBase:
    """The made reel for the page's player, with Range requests (the members-only media view's
    way); its address changes with each file made."""
    return stored_file(request, shown_file(pk).file.name or "")


@require_GET
def download(request: MemberRequest, pk: int) -> FileResponse:
    reel = shown_file(pk)
    try:
        made = reel.file.open("rb")
    except OSError:
        raise Http404("The reel's file is missing: press Make reel to make it again.") from None
    return FileResponse(
        made,
        as_attachment=True,
        filename=reel.download_name,
        content_type="video/mp4",
    )


@require_GET
def picker(request: MemberRequest) -> HttpResponse:
    """The "Add to reel" step for the clips in `ids` (in that order): a reel, or a new one."""
    chosen = SelectionForm(request.GET)
    chosen.is_valid()
    context = {
        "view": "pick",
        "form": AddToReelForm(initial={}),
        "picked": chosen.cleaned_data.get("generations", []),
        "error": " ".join(str(e) for e in chosen.non_field_errors()),
    }
    return render_picker(request, context)


def render_picker(request: MemberRequest, context: dict, status: int = 200) -> HttpResponse:
    if request.htmx:
        return render(request, f"{TEMPLATE}#picker", {**context, "in_dialog": True})
    return render(request, TEMPLATE, context, status=status)


@require_POST
def add(request: MemberRequest) -> HttpResponse:
    form = AddToReelForm(request.POST)
    if not form.is_valid():
        context = {
            "view": "pick",
            "form": form,
            "picked": form.cleaned_data.get("generations", []),
        }
        return render_picker(request, context, status=400)
    added = form.save(by=request.user)
    if request.htmx:
        context = {"added": added, "in_dialog": True}
        return render(request, f"{TEMPLATE}#picker-done", context)
    messages.success(request, added.words)
    return redirect(added.reel)
