from functools import cache

from django.conf import settings
from django.http import HttpRequest

from .models import ApprovalRequest
from .pipeline.expectations import expected_job_seconds


def studio(request: HttpRequest) -> dict:
    """What every page needs to know: whether the studio runs on its built-in simulator, and
    (called only by a page that draws a clip's progress) how long Apiframe takes per clip."""
    return {
        "APIFRAME_SIMULATED": settings.APIFRAME_SIMULATED,
        "expected_job_seconds": expected_job_seconds,
    }


def approvals(request: HttpRequest) -> dict:
    """For staff, how many clips wait for their approval (the header's count): one COUNT, made
    only when a page shows it (htmx fragments never do)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_staff:
        return {}
    # A callable: the template calls it when (and only if) it shows the count.
    return {"pending_approvals": cache(ApprovalRequest.objects.pending().count)}
