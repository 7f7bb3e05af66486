"""Share links: a member makes a view-only link to a clip or a board, sees and turns off their
own links (staff: everyone's); anyone holding a link opens its public page under /s/<token>/.

The public pages show only what the link shares: the player(s), the prompt, the date and, unless
turned off, a download. Their media are served through the link, for its clips only; the studio's
/media/ stays for members. Unknown tokens are counted per address and answered 404; an address
that guessed too many is answered 429 before any lookup (generations/throttle.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import wraps

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.contrib.auth.decorators import login_not_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_POST

from .. import throttle
from ..models import Board, Generation, ShareLink
from ..models.collections import ShareRefusal
from ..zips import SHARED_COLUMNS, ClipZip
from .generation import visible_generation
from .media import in_folders, stored_file
from .requests import MemberRequest

TEMPLATE = "generations/shares.html"  # the member's side: the form, their links, staff's list
PUBLIC_TEMPLATE = "generations/share.html"  # what anyone holding a link sees
# What new_share_token makes (43 characters); anything else is no token, without a lookup.
TOKEN = re.compile(r"[A-Za-z0-9_-]{43}", re.ASCII)
STAFF_PAGE_SIZE = 100


class ShareForm(forms.Form):
    expires = forms.TypedChoiceField(
        label="The link stops working after",
        choices=ShareLink.Expiry.choices,
        coerce=int,
        initial=ShareLink.Expiry.MONTH,
        widget=forms.RadioSelect,
        error_messages={
            "required": "Choose when the link stops working: after 7 days, 30 days or never.",
            "invalid_choice": "Choose when the link stops working: after 7 days, 30 days or never.",
        },
    )
    allow_download = forms.BooleanField(
        label="Let people with the link download the clips", required=False, initial=True
    )


def absolute(request: HttpRequest, path: str) -> str:
    """The address to hand out: under PUBLIC_URL when the studio knows it, else as reached."""
    if settings.PUBLIC_URL:
        return settings.PUBLIC_URL.rstrip("/") + path
    return request.build_absolute_uri(path)


def with_urls(request: HttpRequest, links) -> list[ShareLink]:
    listed = list(links)
    for link in listed:
        link.url = absolute(request, link.get_absolute_url())
    return listed


# The member's side ------------------------------------------------------------------------------


@require_POST
def share_generation(request: MemberRequest, pk) -> HttpResponse:
    generation = visible_generation(pk)  # a deleted clip: 404
    action = reverse("generation_share", args=[generation.pk])
    return make_link(request, action, generation=generation)


@require_POST
def share_board(request: MemberRequest, pk: int) -> HttpResponse:
    board = get_object_or_404(Board, pk=pk)
    return make_link(request, reverse("board_share", args=[board.pk]), board=board)


def make_link(
    request: MemberRequest,
    action: str,
    *,
    generation: Generation | None = None,
    board: Board | None = None,
) -> HttpResponse:
    form = ShareForm(request.POST)
    link = None
    if form.is_valid():
        try:
            link = ShareLink.make(
                by=request.user,
                generation=generation,
                board=board,
                expiry_days=form.cleaned_data["expires"],
                allow_download=form.cleaned_data["allow_download"],
            )
        except ShareRefusal as refusal:
            form.add_error(None, str(refusal))
    target = generation or board
    if link is not None and not request.htmx:
        messages.success(request, "Made the link. Copy it from “Links you shared” below.")
        return redirect(f"{reverse('account')}#share-{link.pk}")
    context = {
        "form": ShareForm() if link else form,
        "action": action,
        "made": with_urls(request, [link])[0] if link else None,
        "open": True,
        "target": target,
        "what": "this board" if board else "this clip",
    }
    if request.htmx:
        return render(request, f"{TEMPLATE}#share-control", context)  # htmx swaps a 200 only
    # Without script: the form again, with the reason and what was chosen.
    return render(request, TEMPLATE, {**context, "view": "make"}, status=400)


@require_POST
def revoke(request: MemberRequest, pk: int) -> HttpResponse:
    link = get_object_or_404(ShareLink.objects.for_listing(), pk=pk)
    if not link.can_be_revoked_by(request.user):
        raise PermissionDenied("Only the member who made this link, or staff, can turn it off.")
    if link.revoke(by=request.user):
        words = "Turned the link off: it now answers “not found” to everyone."
    else:
        words = "This link was already turned off."
    if request.htmx:
        context = {"link": with_urls(request, [link])[0], "words": words, "staff_list": False}
        context["staff_list"] = request.POST.get("list") == "staff"
        return render(request, f"{TEMPLATE}#link", context)
    messages.success(request, words)
    back = request.POST.get("next", "")
    safe = url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(back if safe else reverse("account"))


def member_links(request: MemberRequest) -> list[ShareLink]:
    """The member's own links, for their account page."""
    return with_urls(request, ShareLink.objects.made_by(request.user).for_listing())


@staff_member_required
@require_GET
def share_review(request: HttpRequest) -> HttpResponse:
    """Every link of the team, newest first: staff turn off any."""
    page = Paginator(ShareLink.objects.for_listing(), STAFF_PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    context = {"view": "review", "page": page, "links": with_urls(request, page)}
    return render(request, TEMPLATE, context)


# What anyone holding a link sees ----------------------------------------------------------------

PublicView = Callable[..., HttpResponseBase]


def through_link(view: PublicView) -> PublicView:
    """A public page or file of one link: throttled, looked up, 404 unless the link is live; never
    indexed, never telling another site where it was (the token is in the address)."""

    @wraps(view)
    def wrapper(request: HttpRequest, token: str, **kwargs) -> HttpResponseBase:
        response = open_link(request, token, view, kwargs)
        response["X-Robots-Tag"] = "noindex"
        response["Referrer-Policy"] = "no-referrer"
        # Django would log each 404 and 429 with its path, the token in it: a guesser's flood
        # would fill the log, and a mistyped link's token is nearly a real one.
        response._has_been_logged = True  # type: ignore[attr-defined]
        return response

    return login_not_required(require_GET(wrapper))


def open_link(request: HttpRequest, token: str, view: PublicView, kwargs) -> HttpResponseBase:
    wait = throttle.share_guesses_paused(request)
    if wait:
        response = public_page(request, {"state": "paused", "wait": wait}, status=429)
        response["Retry-After"] = str(wait)
        return response
    link = None
    if TOKEN.fullmatch(token):
        link = ShareLink.objects.select_related("generation", "board").filter(token=token).first()
    if link is None:
        throttle.count_share_guess(request)
        return gone(request)
    if not link.is_live:
        return gone(request)
    return view(request, link, **kwargs)


def public_page(request: HttpRequest, context: dict, status: int = 200) -> HttpResponse:
    response = render(request, PUBLIC_TEMPLATE, context, status=status)
    response["Cache-Control"] = "private, no-cache"
    return response


def gone(request: HttpRequest) -> HttpResponse:
    return public_page(request, {"state": "gone"}, status=404)


@through_link
def share_page(request: HttpRequest, link: ShareLink) -> HttpResponseBase:
    if not link.count_view():  # turned off a moment ago
        return gone(request)
    clips = link.clips()
    context = {"state": "shared", "link": link, "clips": clips, "board": link.board}
    return public_page(request, context)


@through_link
def share_video(request: HttpRequest, link: ShareLink, pk) -> HttpResponseBase:
    clip = link.clip(pk)
    return shared_file(request, clip.video.name if clip else "")


@through_link
def share_poster(request: HttpRequest, link: ShareLink, pk) -> HttpResponseBase:
    clip = link.clip(pk)
    return shared_file(request, clip.poster.name if clip else "")


def shared_file(request: HttpRequest, path: str) -> HttpResponseBase:
    if not path or not in_folders(path):
        return gone(request)
    try:
        return stored_file(request, path, cache_control="private, max-age=300")
    except Http404:  # the file went missing
        return gone(request)


@through_link
def share_clip_download(request: HttpRequest, link: ShareLink, pk) -> HttpResponseBase:
    clip = link.clip(pk) if link.allow_download else None
    if clip is None or not in_folders(clip.video.name):
        return gone(request)
    try:
        handle = clip.video.open("rb")
    except OSError:
        return gone(request)
    return FileResponse(
        handle, as_attachment=True, filename=clip.download_name, content_type="video/mp4"
    )


@through_link
def share_download(request: HttpRequest, link: ShareLink) -> HttpResponseBase:
    """A shared board's clips in one ZIP, with a manifest of their prompts and dates only."""
    if link.board is None or not link.allow_download:
        return gone(request)
    archive = ClipZip.of_clips(link.clips(), SHARED_COLUMNS)
    if archive.problem():
        return gone(request)
    return archive.response(f"{slugify(link.board.name)[:60] or 'board'}.zip")
