"""The audit log (/team/audit/, staff only): every event that moves money or access, newest
first, filtered by member, kind and days, with a CSV of exactly what the filters select. Nothing
here (nor anywhere in the studio) changes or deletes an entry."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

from django.contrib.admin.views.decorators import staff_member_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from ..models import AuditEntry
from ..team_forms import AuditFilterForm

PAGE_SIZE = 50
COLUMNS = ["when", "who", "kind", "member", "summary", "before", "after"]
# A spreadsheet runs a cell that starts with one of these as a formula (names and prompts are
# typed by members): such a cell is written with a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def values_text(values: Any) -> str:
    return "" if values is None else json.dumps(values, ensure_ascii=False, sort_keys=True)


def cells(entry: AuditEntry) -> list[str]:
    """One entry as the page and the CSV show it."""
    return [
        timezone.localtime(entry.at).isoformat(timespec="seconds"),
        entry.actor_name or "the studio",
        entry.get_kind_display(),
        entry.member_name,
        entry.summary,
        values_text(entry.before),
        values_text(entry.after),
    ]


def safe_cell(text: str) -> str:
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def filters_query(form: AuditFilterForm) -> str:
    """The filters as typed, for the CSV link and the pager."""
    return urlencode([(n, form.data[n]) for n in form.fields if form.data.get(n)])


@staff_member_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    form = AuditFilterForm(request.GET)
    page = Paginator(form.entries(), PAGE_SIZE).get_page(request.GET.get("page"))
    context = {
        "form": form,
        "page": page,
        "rows": [(entry, cells(entry)) for entry in page],
        "query": filters_query(form),
    }
    return render(request, "generations/audit.html", context, status=400 if form.errors else 200)


class Line:
    """csv.writer's file: hands back each row it writes, for a streamed response."""

    def write(self, text: str) -> str:
        return text


@staff_member_required
@require_GET
def audit_csv(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    form = AuditFilterForm(request.GET)
    if form.errors:
        words = " ".join(str(error) for errors in form.errors.values() for error in errors)
        return HttpResponse(words, status=400, content_type="text/plain; charset=utf-8")
    writer = csv.writer(Line())

    def lines() -> Iterator[str]:
        yield writer.writerow(COLUMNS)
        for entry in form.entries().iterator(chunk_size=500):
            yield writer.writerow([safe_cell(cell) for cell in cells(entry)])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
    response["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
