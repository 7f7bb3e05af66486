"""Team boards: the list, a board's page (its clips newest first or in the team's order), and
adding clips to a board from a card, a clip's page or a selection."""

import uuid

from django.contrib import messages
from django.core.paginator import Page, Paginator
from django.db.models import Exists, OuterRef
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET, require_POST

from ..forms import AddToBoardForm, BoardForm, SelectionForm
from ..models import Board, BoardItem, Star
from .requests import MemberRequest

TEMPLATE = "generations/boards.html"
PAGE_SIZE = 48
MOVES = {"up": -1, "down": 1}


@require_GET
def boards(request: MemberRequest) -> HttpResponse:
    return render_list(request, BoardForm())


def render_list(request: MemberRequest, form: BoardForm, status: int = 200) -> HttpResponse:
    listed = Board.objects.with_counts().select_related("created_by")
    context = {"view": "list", "boards": listed, "form": form}
    return render(request, TEMPLATE, context, status=status)


@require_POST
def create(request: MemberRequest) -> HttpResponse:
    form = BoardForm(request.POST)
    board = form.save(by=request.user) if form.is_valid() else None
    if board is None:
        return render_list(request, form, status=400)  # what was typed stays, with the reason
    messages.success(request, f"Made the board “{board.name}”. Add clips from the studio.")
    return redirect(board)


def board_items(request: MemberRequest, board: Board, number) -> Page:
    """One page of the board's clips, each card knowing the member's star (no query per card)."""
    mine = Star.objects.filter(member=request.user, generation=OuterRef("generation_id"))
    items = (
        board.shown_items()
        .select_related("generation__owner", "generation__prompt", "added_by")
        .annotate(starred=Exists(mine))
    )
    page = Paginator(items, PAGE_SIZE).get_page(number)
    for item in page:
        item.generation.starred = item.starred  # type: ignore[attr-defined]
    return page


def render_board(
    request: MemberRequest, board: Board, *, form=None, error="", number=None, status=200
) -> HttpResponse:
    context = {
        "view": "board",
        "board": board,
        "page": board_items(request, board, number or request.GET.get("page")),
        "form": form or BoardForm(board=board),
        "may_delete": board.may_be_deleted_by(request.user),
        "error": error,
    }
    return render(request, TEMPLATE, context, status=status)


def find_board(pk: int) -> Board:
    return get_object_or_404(Board.objects.select_related("created_by"), pk=pk)


@require_GET
def detail(request: MemberRequest, pk: int) -> HttpResponse:
    return render_board(request, find_board(pk))


@require_POST
def edit(request: MemberRequest, pk: int) -> HttpResponse:
    """A new name or description; a clip is never touched."""
    board = find_board(pk)
    form = BoardForm(request.POST, board=board)
    if not (form.is_valid() and form.save(by=request.user)):
        board.refresh_from_db()  # the page's title keeps the name it has
        return render_board(request, board, form=form, status=400)
    messages.success(request, "Saved the board's name and description.")
    return redirect(board)


@require_POST
def order(request: MemberRequest, pk: int) -> HttpResponse:
    board = find_board(pk)
    if not board.set_order(request.POST.get("order", "")):
        error = "Choose “Newest first” or “In the team's order”."
        return render_board(request, board, error=error, status=400)
    return redirect(board)


@require_POST
def delete(request: MemberRequest, pk: int) -> HttpResponse:
    """Delete the board (its maker or staff); its clips stay in the gallery."""
    board = find_board(pk)
    if not board.may_be_deleted_by(request.user):
        maker = board.created_by.get_username() if board.created_by else "the member who made it"
        error = f"Only {maker}, who made this board, or staff can delete it."
        return render_board(request, board, error=error, status=403)
    board.delete()
    messages.success(request, f"Deleted the board “{board.name}”. Its clips stay in the gallery.")
    return redirect("boards")


def posted_page(request: MemberRequest) -> str:
    """The board's page a change was made on (plain digits, or the first)."""
    page = request.POST.get("page", "")
    return page if page.isascii() and page.isdigit() and len(page) < 10 else "1"


def render_items(request: MemberRequest, board: Board, status_words: str = "") -> HttpResponse:
    """The board's clips, redrawn after a change of their order (htmx), or its whole page."""
    if not request.htmx:
        if status_words:
            messages.success(request, status_words)
        return redirect(f"{board.get_absolute_url()}?page={posted_page(request)}")
    context = {
        "board": board,
        "page": board_items(request, board, posted_page(request)),
        "status_words": status_words,
        "oob_status": True,
    }
    return render(request, f"{TEMPLATE}#board-items", context)


@require_POST
def arrange(request: MemberRequest, pk: int) -> HttpResponse:
    """The team's order as dragged on one page of the board: `ids` in their new order."""
    board = find_board(pk)
    board.arrange(request.POST.getlist("ids"))
    return render_items(request, board, "Saved the board's new order.")


@require_POST
def move(request: MemberRequest, pk: int) -> HttpResponse:
    """One clip a place up or down in the team's order (the keyboard's way to arrange)."""
    board = find_board(pk)
    offset = MOVES.get(request.POST.get("direction", ""))
    item = posted_item(request, board)
    if offset is None:
        return HttpResponse("Say direction=up or direction=down.", status=400)
    moved = board.move(item.generation_id, offset)
    place = board.shown_items().filter(position__lt=position_of(item)).count() + 1
    total = board.shown_items().count()
    prompt = item.generation.prompt.text
    words = (
        f"Moved “{short(prompt)}” to place {place} of {total}."
        if moved
        else f"“{short(prompt)}” is already {'first' if offset < 0 else 'last'}."
    )
    return render_items(request, board, words)


def position_of(item: BoardItem) -> int:
    return BoardItem.objects.values_list("position", flat=True).get(pk=item.pk)


def short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def posted_item(request: MemberRequest, board: Board) -> BoardItem:
    """The board's item for the clip in the form's `generation`; 404 for one not on it."""
    try:
        generation_id = uuid.UUID(request.POST.get("generation", ""))
    except ValueError:
        generation_id = None
    return get_object_or_404(
        BoardItem.objects.select_related("generation__prompt", "added_by"),
        board=board,
        generation_id=generation_id,
        generation__deleted_at__isnull=True,
    )


@require_POST
def remove(request: MemberRequest, pk: int) -> HttpResponse:
    """Take a clip off the board: members the clips they added, staff any. The clip stays."""
    board = find_board(pk)
    item = posted_item(request, board)
    prompt = short(item.generation.prompt.text)
    if not item.may_be_removed_by(request.user):
        adder = item.added_by.get_username() if item.added_by else "the member who added it"
        error = f"Only {adder}, who added “{prompt}” to this board, or staff can take it off."
        if request.htmx:
            context = {"status_words": error, "oob_status": True, "is_error": True}
            response = render(request, f"{TEMPLATE}#board-status", context)
            response["HX-Reswap"] = "none"
            return response
        return render_board(request, board, error=error, status=403)
    board.remove(item, by=request.user)
    words = f"Took “{prompt}” off the board. The clip itself stays in the gallery."
    if request.htmx:
        context = {"status_words": words, "oob_status": True}
        return render(request, f"{TEMPLATE}#board-status", context)  # the card's place empties
    messages.success(request, words)
    return redirect(board)


@require_GET
def picker(request: MemberRequest) -> HttpResponse:
    """The "Add to board" step for the clips in `ids`: choose a board or name a new one."""
    chosen = SelectionForm(request.GET)
    chosen.is_valid()
    form = AddToBoardForm(initial={})
    context = {
        "view": "pick",
        "form": form,
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
    form = AddToBoardForm(request.POST)
    added = form.save(by=request.user) if form.is_valid() else None
    if added is None:
        context = {
            "view": "pick",
            "form": form,
            "picked": form.cleaned_data.get("generations", []),
        }
        return render_picker(request, context, status=400)
    words = added_words(added.added, added.already, added.board.name)
    if request.htmx:
        context = {"added": added, "words": words, "in_dialog": True}
        return render(request, f"{TEMPLATE}#picker-done", context)
    messages.success(request, words)
    return redirect(added.board)


def added_words(added: int, already: int, name: str) -> str:
    words = f"Added {added} clip{'s' if added != 1 else ''} to “{name}”."
    if already:
        words += f" {already} {'was' if already == 1 else 'were'} on it already."
    return words
