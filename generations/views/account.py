"""A member's own page: this month's usage, what is left, and the months before."""

from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncMonth
from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from ..models import Generation, Status, committed_credits
from .requests import MemberRequest

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
    return render(request, "generations/account.html", {"standing": standing, "months": months})
