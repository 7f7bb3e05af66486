"""The studio page: the form and the team's live gallery (htmx fragments from one template)."""

import json
import uuid
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csp import csp_override, csp_report_only_override
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import reswap

from ..forms import GalleryFilterForm, GenerationForm
from ..models import (
    ApprovalRequest,
    Budget,
    BudgetRefusal,
    FirstFrameRequirement,
    Generation,
    Prompt,
    Star,
)
from ..pipeline.tasks import enqueue_submissions
from .requests import MemberRequest

PAGE_SIZE = 24
# Live updates overlap by this much, so a change committed a moment late is still seen.
UPDATES_OVERLAP = timedelta(seconds=3)
TEMPLATE = "generations/studio.html"

FIRST_FRAME_GONE = (
    "The image this clip was to start from is gone (its clip was deleted): choose another "
    "image, or none."
)


def gallery_context(request: MemberRequest, filters: GalleryFilterForm, cursor=None) -> dict:
    cards = Generation.objects.visible().for_cards(request.user)
    generations = filters.apply(cards, request.user)
    page = generations.page_before(cursor, PAGE_SIZE + 1)
    return {
        "filters": filters,
        "studio_page": True,
        "gallery_query": gallery_query(filters.data),
        "generations": page[:PAGE_SIZE],
        "next_cursor": page[PAGE_SIZE - 1].cursor if len(page) > PAGE_SIZE else None,
        "busy": clips_on_their_way(),
        "since": timezone.now().isoformat(),
    }


def gallery_query(params) -> str:
    """The gallery's filters as a query string, carried by card links to the clip's page (whose
    arrow keys then step through the same gallery). Read raw: the page checks it again."""
    return urlencode({name: params[name] for name in GalleryFilterForm.NAMES if params.get(name)})


def clips_on_their_way() -> bool:
    """Whether the gallery should look again soon: the page polls faster meanwhile (#live)."""
    return Generation.objects.visible().changing().exists()


def form_context(request: MemberRequest) -> dict:
    """What the form shows beside its fields: prices for the estimate, the member's standing,
    and whether Apiframe is asking for a first frame (GenerationForm then refuses clips without)."""
    budget = Budget.current()
    standing = Generation.objects.standing(request.user, budget)
    return {
        "prices": json.dumps(budget.prices()),
        "standing": standing,
        "first_frame_needed": FirstFrameRequirement.current().stands(),
    }


@require_GET
def studio(request: MemberRequest) -> HttpResponse:
    remix_of = remix_source(request)
    initial = remix_initial(remix_of) if remix_of else prompt_initial(request)
    context = {
        "form": GenerationForm(initial=initial),
        "remix_of": remix_of,
        "undo": undoable_delete(request),
        **form_context(request),
        **gallery_context(request, GalleryFilterForm(request.GET)),
    }
    return render(request, TEMPLATE, context)


def prompt_initial(request: MemberRequest) -> dict:
    """Prefill from a teammate's prompt (?prompt=ID); an id that is not one (a typo, a truncated
    link) prefills nothing."""
    prompt_id = request.GET.get("prompt", "").strip()
    if not prompt_id.isdecimal():
        return {}
    prompt = Prompt.objects.in_use().filter(pk=prompt_id).first()
    return {"prompt": prompt.text} if prompt else {}


def remix_source(request: MemberRequest) -> Generation | None:
    """The clip to remix (?remix=ID), from a clip's page or any link; None if it is not one."""
    remix_id = parse_uuid(request.GET.get("remix", ""))
    if remix_id is None:
        return None
    return Generation.objects.visible().for_cards().filter(pk=remix_id).first()


def undoable_delete(request: MemberRequest) -> Generation | None:
    """The clip just deleted from its own page (?deleted=ID), while its delete can be undone."""
    deleted_id = parse_uuid(request.GET.get("deleted", ""))
    if deleted_id is None:
        return None
    generation = Generation.objects.for_cards().filter(pk=deleted_id).first()
    return generation if generation and generation.can_be_restored_by(request.user) else None


def remix_initial(source: Generation) -> dict:
    return {
        "prompt": source.prompt.text,
        "resolution": source.resolution,
        "duration": source.duration,
        "prompt_optimizer": source.prompt_optimizer,
        "image_url": "" if source.first_frame else source.first_frame_url,
        "reuse_image_of": source.pk if source.first_frame else None,
    }


@require_GET
def remix(request: MemberRequest, pk) -> HttpResponse:
    source = get_object_or_404(Generation.objects.visible().select_related("prompt"), pk=pk)
    form = GenerationForm(initial=remix_initial(source))
    context = {"form": form, "remix_of": source, "open": True, **form_context(request)}
    return render(request, f"{TEMPLATE}#form", context)


@require_POST
def create(request: MemberRequest) -> HttpResponse:
    form = GenerationForm(request.POST, request.FILES, member=request.user)
    first_frame = None
    if form.is_valid():
        try:
            first_frame = form.first_frame_file()
        except OSError:  # the image to reuse went meanwhile (its clip deleted, its undo run out)
            form.add_error(None, FIRST_FRAME_GONE)
    if form.is_valid():
        try:
            takes = Generation.start_batch(
                owner=request.user,
                prompt_text=form.cleaned_data["prompt"],
                takes=form.cleaned_data["takes"],
                first_frame=first_frame,
                over_budget=form.cleaned_data["over_budget"],
                **form.generation_settings(),
            )
        except BudgetRefusal as refusal:
            form.add_error(None, str(refusal))
    if not form.is_valid():
        if request.htmx:
            # Only the messages change: what was typed and chosen, files included, stays put.
            response = render(request, f"{TEMPLATE}#form-errors", {"form": form})
            return reswap(response, "none")
        context = {
            "form": form,
            **form_context(request),
            **gallery_context(request, GalleryFilterForm()),
        }
        return render(request, TEMPLATE, context, status=400)
    enqueue_submissions(takes)
    if request.htmx:
        # Newest first, as the gallery shows them: the last take on top.
        context = {"takes": takes[::-1], "form": form, **form_context(request)}
        return render(request, f"{TEMPLATE}#created", context)
    return redirect("studio")


@require_GET
def gallery(request: MemberRequest) -> HttpResponse:
    """A page of cards: the first under new filters, or the next one ("load more")."""
    if not request.htmx:
        # A bookmarked or reloaded filter address: show the whole studio with those filters.
        return redirect(f"{reverse('studio')}?{request.GET.urlencode()}")
    filters = GalleryFilterForm(request.GET)
    context = gallery_context(request, filters, parse_cursor(request.GET.get("before", "")))
    response = render(request, f"{TEMPLATE}#cards", context)
    if not request.GET.get("before"):
        query = request.GET.copy()
        response["HX-Push-Url"] = f"{reverse('studio')}?{query.urlencode()}"
    return response


def parse_cursor(value: str) -> tuple[datetime, uuid.UUID] | None:
    """The card a "load more" continues after; None for anything that is not a card's cursor."""
    created, _, pk = value.rpartition("_")
    moment, generation_id = parse_moment(created), parse_uuid(pk)
    return (moment, generation_id) if moment and generation_id else None


def parse_moment(value: str) -> datetime | None:
    """An ISO 8601 moment, aware; None for anything else, a 13th month, an offset of +99:00 or a
    moment so near year 1 or 9999 that it has no UTC equivalent (the database compares in UTC)."""
    try:
        moment = parse_datetime(value)
        if moment is None:
            return None
        if timezone.is_naive(moment):
            moment = timezone.make_aware(moment)
        moment.astimezone(UTC)
    except (ValueError, OverflowError):
        return None
    return moment


def parse_uuid(value: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


@csp_override({})
@csp_report_only_override({})
def nothing_changed(request: MemberRequest) -> HttpResponse:
    """The answer every open tab gets every few seconds, so as small as it can be: no body, hence
    no Content-Type and no Content-Security-Policy (a policy governs documents; this has none).
    htmx swaps nothing on a 204."""
    response = HttpResponse(status=204)
    del response["Content-Type"]
    return response


def stars_changed(request: MemberRequest, stars, shown: list[Generation]) -> list[Generation]:
    """The cards this member starred or unstarred in another tab, under the page's filters but
    the status and "Starred" ones: each redraws in place; on a "Starred" page an unstarred one
    leaves it (sent as gone), a newly starred one joins it."""
    filters = GalleryFilterForm({**request.GET.dict(), "status": "", "starred": ""})
    cards: list[Generation] = list(
        filters.apply(Generation.objects.visible(), request.user)
        .filter(pk__in=stars.values("generation_id"))
        .exclude(pk__in=[generation.pk for generation in shown])
        .for_cards(request.user)[: PAGE_SIZE * 4]
    )
    starred_page = GalleryFilterForm(request.GET).narrowing["starred"]
    for generation in cards:
        starred = generation.starred  # type: ignore[attr-defined]
        generation.leaves_view = starred_page and not starred  # type: ignore[attr-defined]
    return cards


@require_GET
def gallery_updates(request: MemberRequest) -> HttpResponse:
    """Cards changed since the tab last asked (#gallery-live sends `since` and the filters): one
    small request per tab, 204 when none, else the cards and the next `since`, out of band."""
    since = parse_moment(request.GET.get("since", "")) or timezone.now() - UPDATES_OVERLAP
    asked_at = timezone.now()
    # The status filter is left to the page: a card that finishes must still update in place.
    filters = GalleryFilterForm({**request.GET.dict(), "status": ""})
    changes = filters.apply(Generation.objects.all(), request.user).filter(updated_at__gt=since)
    # A star is the member's own: it leaves updated_at alone (no teammate's tab redraws) and
    # reaches this member's other tabs through the stars they changed since.
    stars = Star.changes.changed_since(request.user, since)
    # The member's approval requests asked or decided since: their panel redraws (an approved
    # one's clips come as cards besides).
    approvals = ApprovalRequest.objects.changed_since(request.user, since)
    # Nearly every ask finds nothing: say so after one query, probing the updated_at index, the
    # member's star changes and their approval requests.
    probes = (stars.values("pk"), approvals.values("pk"))
    if not changes.values("pk").union(*probes, all=True).exists():
        return nothing_changed(request)
    # Found through the updated_at index too (ordering by created_at in SQL made SQLite walk the
    # whole gallery), then put in the order the cards are shown.
    changed = list(changes.for_cards(request.user).order_by("updated_at")[: PAGE_SIZE * 4])
    changed = sorted(
        changed + stars_changed(request, stars, changed),
        key=lambda generation: (generation.created_at, generation.pk),
    )
    busy = any((g.is_active or g.awaits_poster) and not g.deleted_at for g in changed)
    context = {
        "studio_page": True,
        "gallery_query": gallery_query(request.GET),
        "changed": changed,
        "since": (asked_at - UPDATES_OVERLAP).isoformat(),
        "busy": busy or clips_on_their_way(),
        "approvals_changed": approvals.exists(),
    }
    if any(generation.owner_id == request.user.pk for generation in changed):
        context["standing"] = Generation.objects.standing(request.user)  # the running count
    return render(request, f"{TEMPLATE}#updates", context)
