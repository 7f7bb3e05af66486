"""A member's own page: this month's usage, what is left, the months before, and the links
they shared."""

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import Generation, Status, committed_credits
from .requests import MemberRequest
from .shares import member_links

MONTHS_SHOWN = 12


@require_GET
def account(request: MemberRequest) -> HttpResponse:
    months = (
        Generation.objects.filter(owner=request.user)
        .annotate(month=TruncMonth("created_at"))
        .values("month")
        .annotate(
            clips=Count("pk"),
            completed=Count("pk", filter=Q(status=Status.COMPLETED)),
            credits=Coalesce(Sum(committed_credits()), 0),
        )
        .order_by("-month")[:MONTHS_SHOWN]
    )
    standing = Generation.objects.standing(request.user)
    context = {"standing": standing, "months": months, "share_links": member_links(request)}
    return render(request, "generations/account.html", context)
