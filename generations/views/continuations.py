"""Continue from last frame: the studio form opened on a finished clip's last frame, with its
settings, for the member to write what happens next."""

from django.http import HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_GET
from django_htmx.http import reswap

from ..forms import GalleryFilterForm, GenerationForm
from ..models import Generation
from ..pipeline.last_frames import NoLastFrame, last_frame_of
from .requests import MemberRequest
from .studio import TEMPLATE, form_context, gallery_context


def continue_initial(source: Generation) -> dict:
    """The same settings; the prompt is the member's to write."""
    return {
        "prompt": "",
        "resolution": source.resolution,
        "duration": source.duration,
        "prompt_optimizer": source.prompt_optimizer,
        "continues": source.pk,
    }


@require_GET
def continue_clip(request: MemberRequest, pk) -> HttpResponse:
    """On the studio, htmx swaps the form in place (like Remix); anywhere else, the whole studio
    opens with it. The last frame is made the first time anyone asks, then kept."""
    source = get_object_or_404(Generation.objects.for_cards(), pk=pk)
    try:
        source = last_frame_of(source)
    except NoLastFrame as refusal:
        return refused(request, str(refusal), refusal.status)
    form = GenerationForm(initial=continue_initial(source))
    context = {"form": form, "continue_of": source, "open": True, **form_context(request)}
    if request.htmx:
        return render(request, f"{TEMPLATE}#form", context)
    return render(request, TEMPLATE, {**context, **gallery_context(request, GalleryFilterForm())})


def refused(request: MemberRequest, words: str, status: int) -> HttpResponse:
    """Why the clip can't be continued: a notice on the studio, the form left as it was."""
    if request.htmx:
        context = {"notice": words, "oob": True}
        return reswap(render(request, f"{TEMPLATE}#notice", context), "none")
    context = {
        "form": GenerationForm(),
        "notice": words,
        **form_context(request),
        **gallery_context(request, GalleryFilterForm()),
    }
    return render(request, TEMPLATE, context, status=status)
