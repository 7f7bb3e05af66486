"""The team's prompt library: every prompt used, most used and most recent first."""

from django.core.paginator import Paginator
from django.db.models import OuterRef, Prefetch, Subquery
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET

from ..models import Generation, Prompt, Status
from .requests import MemberRequest

PAGE_SIZE = 30


@require_GET
def library(request: MemberRequest) -> HttpResponse:
    # No NUL: PostgreSQL can't compare text holding one (and nobody types it).
    query = request.GET.get("q", "").replace("\x00", "").strip()[:200]
    latest_clip = (
        Generation.objects.visible()
        .filter(prompt=OuterRef("pk"), status=Status.COMPLETED)
        .order_by("-created_at")
    )
    prompts = (
        Prompt.objects.in_use()
        .search(query)
        .library_order()
        .select_related("created_by")
        .annotate(latest_clip_id=Subquery(latest_clip.values("pk")[:1]))
    )
    page = Paginator(prompts, PAGE_SIZE).get_page(request.GET.get("page"))
    # django-stubs loses the annotation through Paginator's Page; latest_clip is for the template.
    ids = [p.latest_clip_id for p in page if p.latest_clip_id]  # type: ignore[attr-defined]
    clips = Generation.objects.in_bulk(ids)
    for prompt in page:
        prompt.latest_clip = clips.get(prompt.latest_clip_id)  # type: ignore[attr-defined]
    template = "generations/prompt_library.html"
    if request.htmx and not request.htmx.boosted:
        template += "#results"
    return render(request, template, {"page": page, "query": query})


@require_GET
def detail(request: MemberRequest, pk: int) -> HttpResponse:
    generations = Generation.objects.visible().for_cards(request.user).order_by("-created_at")
    prompt = get_object_or_404(
        Prompt.objects.in_use()
        .select_related("created_by")
        .prefetch_related(
            Prefetch("generations", queryset=generations, to_attr="visible_generations")
        ),
        pk=pk,
    )
    return render(request, "generations/prompt_detail.html", {"prompt": prompt})
