"""Spend approval: a member asks staff to let through a clip the budget refused; staff approve or
decline it on the team page (htmx swaps the request's row in place; without JS, a POST and back
to the team page, or this request's own page with the words when it could not be done)."""

from collections.abc import Callable
from functools import wraps

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST
from django_htmx.http import reswap

from ..approval_forms import ApprovalAskForm, DecisionForm
from ..forms import GalleryFilterForm
from ..models import AlreadyDecided, ApprovalRequest, BudgetRefusal, NotApprovable
from ..pipeline.tasks import enqueue_submissions
from .requests import MemberRequest
from .studio import TEMPLATE as STUDIO
from .studio import form_context, gallery_context

TEMPLATE = "generations/approvals.html"
GO_PAST = "Tick “Also go past the team budget” to approve it anyway."


def staff_only(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Decisions are staff's: a member is refused (403), whatever the method."""

    @wraps(view)
    def guarded(request: MemberRequest, *args, **kwargs) -> HttpResponse:
        if not request.user.is_staff:
            raise PermissionDenied("Only staff can approve or decline a clip.")
        return view(request, *args, **kwargs)

    return guarded


def team_page() -> str:
    return f"{reverse('team')}#approvals"


@require_POST
def ask(request: MemberRequest) -> HttpResponse:
    """Ask staff to approve the clip the studio's form describes, the whole form kept."""
    form = ApprovalAskForm(request.POST, request.FILES, member=request.user)
    approval, made = None, False
    if form.is_valid():
        try:
            approval, made = form.ask()
        except NotApprovable as refused:
            form.add_error(None, str(refused))
    if approval is None:
        if request.htmx:
            # The words only, as the studio answers a refusal: what was typed stays put.
            return reswap(render(request, f"{STUDIO}#form-errors", {"form": form}), "none")
        context = {
            "form": form,
            **form_context(request),
            **gallery_context(request, GalleryFilterForm()),
        }
        return render(request, STUDIO, context, status=400)
    words = approval.asked_words if made else approval.asked_again_words
    if request.htmx:
        return reswap(render(request, f"{TEMPLATE}#asked", {"form": form, "words": words}), "none")
    messages.success(request, words)
    return redirect("studio")


def find_request(pk: int) -> ApprovalRequest:
    return get_object_or_404(ApprovalRequest.objects.select_related("member", "decided_by"), pk=pk)


@staff_only
@require_POST
def approve(request: MemberRequest, pk: int) -> HttpResponse:
    """Make the clip as the member's, marked approved by this staff member."""
    approval = find_request(pk)
    form = DecisionForm(request.POST)
    form.is_valid()  # a tick box and a text: nothing it cannot read
    past_team_budget = form.cleaned_data.get("past_team_budget", False)
    try:
        takes = approval.approve(request.user, past_team_budget=past_team_budget)
    except BudgetRefusal as refusal:
        return answer(request, approval, form, error=f"{refusal} {GO_PAST}", status=400)
    except NotApprovable as refused:
        status = 409 if isinstance(refused, AlreadyDecided) else 400
        return answer(request, approval, form, error=str(refused), status=status)
    enqueue_submissions(takes)
    made = f"{len(takes)} takes" if len(takes) > 1 else "a clip"
    words = f"Approved {approval.member.get_username()}'s request: made as {made}."
    return answer(request, approval, form, notice=words)


@staff_only
@require_POST
def decline(request: MemberRequest, pk: int) -> HttpResponse:
    """Refuse the request, saying why: the member reads the reason in their studio."""
    approval = find_request(pk)
    form = DecisionForm(request.POST)
    if not form.is_valid():
        return answer(request, approval, form, error=str(form.errors["reason"][0]), status=400)
    try:
        approval.decline(request.user, form.cleaned_data["reason"])
    except NotApprovable as refused:
        status = 409 if isinstance(refused, AlreadyDecided) else 400
        return answer(request, approval, form, error=str(refused), status=status)
    words = f"Declined {approval.member.get_username()}'s request."
    return answer(request, approval, form, notice=words)


def answer(
    request: MemberRequest,
    approval: ApprovalRequest,
    form: DecisionForm,
    *,
    notice: str = "",
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    """The request's row as it is now, with what was typed kept: swapped in place by htmx (the
    words in it, even for a refusal), else back to the team page, or this request's own page
    when the decision could not be made."""
    if not request.htmx and not error:
        messages.success(request, notice)
        return redirect(team_page())
    rows = ApprovalRequest.objects.filter(pk=approval.pk).with_made_clip().with_spending()
    fresh, spending = rows[0]
    context = {
        "approval": fresh,
        "spending": spending if fresh.is_pending else None,
        "notice": notice,
        "error": error,
        "typed_reason": form.data.get("reason", ""),
        "ticked": form.cleaned_data.get("past_team_budget", False),
        "team_page": team_page(),
    }
    if request.htmx:
        return render(request, f"{TEMPLATE}#row", context)
    return render(request, TEMPLATE, context, status=status)
