"""Spend approval on any page that shows it, without its view having to know: the offer beside a
refusal in the studio's form, a member's own requests, and staff's list to decide on (the team
page only includes `generations/approvals.html#pending`)."""

from django import template

from ..approval_forms import approval_offer as offer_for
from ..models import ApprovalRequest, Refusal, Spending

register = template.Library()

# How many of a member's requests their studio shows (pending first, then the latest decided).
MEMBER_SHOWN = 6
# How many decided requests staff see under the pending ones.
DECIDED_SHOWN = 10


@register.simple_tag(takes_context=True)
def approval_offer(context, form) -> Refusal | None:
    """`{% approval_offer form as offer %}`: the refusal the member may ask staff past, if any."""
    request = context.get("request")
    if request is None or form is None:
        return None
    return offer_for(form, request.user)


@register.simple_tag(takes_context=True)
def member_requests(context) -> list[ApprovalRequest]:
    """`{% member_requests as requests %}`: the member's pending and recently decided requests,
    in one query."""
    request = context.get("request")
    if request is None or not request.user.is_authenticated:
        return []
    mine = ApprovalRequest.objects.filter(member=request.user).recent().with_made_clip()
    return list(mine.order_by("-created_at", "-pk")[:MEMBER_SHOWN])


@register.simple_tag
def pending_approvals() -> list[tuple[ApprovalRequest, Spending]]:
    """`{% pending_approvals as rows %}`: what staff have to decide, oldest first, each with what
    its member and the team have spent this month."""
    return ApprovalRequest.objects.pending().order_by("created_at", "pk").with_spending()


@register.simple_tag
def recent_decisions() -> list[ApprovalRequest]:
    """`{% recent_decisions as decided %}`: the requests decided lately, newest first."""
    decided = ApprovalRequest.objects.decided().recent().with_made_clip()
    return list(decided.order_by("-decided_at", "-pk")[:DECIDED_SHOWN])
