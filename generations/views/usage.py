"""Usage review for staff, in the admin: a period's figures per member, a chart and a CSV."""

import csv
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_GET, require_POST

from .. import ledger
from ..apiframe import errors as api
from ..apiframe import get_client
from ..models import Reconciliation, Status
from ..pipeline.tasks import enqueue_ledger_check
from ..usage import Period, PeriodError, UsageReport
from ..usage_chart import daily_chart

BALANCE_CACHE_KEY = "apiframe-balance"
BALANCE_FRESH_SECONDS = 300


def period_or_error(params) -> tuple[Period, str | None]:
    try:
        return Period.from_params(params), None
    except PeriodError as error:
        return Period.from_params({}), str(error)


@staff_member_required
@require_GET
def usage_review(request: HttpRequest) -> HttpResponse:
    period, error = period_or_error(request.GET)
    report = UsageReport(period)
    link_rows_to_admin(report)
    context = {
        **admin.site.each_context(request),
        "title": "Team usage",
        "period": period,
        "period_error": error,
        "form_values": request.GET if error else period.query(),
        "report": report,
        "chart": daily_chart(report),
        "csv_query": urlencode(period.query()),
        "balance": apiframe_balance(),
        "ledger_check": Reconciliation.objects.select_related("requested_by").first(),
    }
    return render(request, "admin/usage.html", context)


@staff_member_required
@require_POST
def check_ledger(request: HttpRequest) -> HttpResponse:
    """Compare the period's clips with Apiframe's own list of jobs, in the task cluster."""
    period, _ = period_or_error(request.POST)
    check = ledger.start_check(period.start, min(period.end, timezone.now()), by=request.user)
    enqueue_ledger_check(check)
    return redirect(f"{reverse('usage_review')}?{urlencode(period.query())}")


@staff_member_required
@require_GET
def usage_csv(request: HttpRequest) -> HttpResponse:
    period, _ = period_or_error(request.GET)
    report = UsageReport(period)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = (
        f'attachment; filename="usage-{period.first_day}-{period.last_day}.csv"'
    )
    csv.writer(response).writerows(report.csv_rows())
    return response


def link_rows_to_admin(report: UsageReport) -> None:
    """Give each row links to the admin's generation list, filtered to what each number counts."""
    changelist = reverse("admin:generations_generation_changelist")
    period = {
        "created_at__gte": report.period.start.isoformat(),
        "created_at__lt": report.period.end.isoformat(),
    }

    def link(row, **filters) -> str:
        query = dict(period)
        if row.member is not None:
            query["owner__id__exact"] = row.member.pk
        return f"{changelist}?{urlencode({**query, **filters})}"

    for row in [*report.rows, report.totals]:
        row.links = {
            "submitted": link(row),
            "completed": link(row, status__exact=Status.COMPLETED),
            "failed": link(row, status__exact=Status.FAILED),
            "deleted_while_running": link(row, deleted_while_running__exact=1),
        }


def apiframe_balance() -> dict:
    """The Apiframe credit balance with the time it was read, or why it can't be shown."""
    if settings.APIFRAME_SIMULATED:
        return {"note": "The studio runs on its built-in simulator (no APIFRAME_API_KEY is set), "
                        "so there is no Apiframe balance to show."}  # fmt: skip
    last = cache.get(BALANCE_CACHE_KEY)
    if last and (timezone.now() - last["read_at"]).total_seconds() < BALANCE_FRESH_SECONDS:
        return last
    try:
        account = get_client().me()
    except api.ApiframeError as error:
        note = f"The balance could not be read from Apiframe just now: {error.user_message}"
        return {**(last or {}), "note": note}
    reading = {"credits": account.credits, "read_at": timezone.now()}
    cache.set(BALANCE_CACHE_KEY, reading, None)
    return reading
