"""ZIPs for members: the clips selected in the gallery or on a board ("Download selected"), and a
whole board ("Download board"). Both stream (generations/zips.py)."""

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.text import slugify
from django.views.decorators.http import require_http_methods
from django_htmx.http import reswap

from ..models import Board
from ..zips import ClipZip
from .requests import MemberRequest


@require_http_methods(["GET", "POST"])
def download_selected(request: MemberRequest) -> HttpResponseBase:
    """`ids` by POST (the bulk bar's form) or GET. Ids of clips the member cannot see (deleted,
    or no clip's) are skipped and named in clips.csv; nothing to put in the ZIP is refused."""
    params = request.POST if request.method == "POST" else request.GET
    archive = ClipZip.of_selection(params.getlist("ids"))
    problem = archive.problem()
    if problem:
        return refused(request, problem)
    count = archive.downloadable
    return archive.response(f"hailuo-{count}-clip{'s' if count != 1 else ''}.zip")


@require_http_methods(["GET"])
def download_board(request: MemberRequest, pk: int) -> HttpResponseBase:
    board = get_object_or_404(Board, pk=pk)
    archive = ClipZip.of_board(board)
    empty = f"The board “{board.name}” has no clips to download yet."
    problem = archive.problem(f"the clips on the board “{board.name}”", empty)
    if problem:
        return refused(request, problem, fallback=board.get_absolute_url())
    return archive.response(f"{slugify(board.name)[:60] or 'board'}-{board.pk}.zip")


def refused(request: MemberRequest, problem: str, fallback: str = "/") -> HttpResponse:
    """The reason, where the member is: in the page's notice (htmx, the selection stays put), or
    back on the page the form was sent from."""
    if request.htmx:
        context = {"notice": problem, "oob": True}
        return reswap(render(request, "generations/studio.html#notice", context), "none")
    messages.error(request, problem)
    referer = request.headers.get("Referer", "")
    safe = url_has_allowed_host_and_scheme(
        referer, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    )
    return redirect(referer if safe else fallback)
