from django.conf import settings
from django.http import HttpRequest

from .pipeline.expectations import expected_job_seconds


def studio(request: HttpRequest) -> dict:
    """What every page needs to know: whether the studio runs on its built-in simulator, and
    (called only by a page that draws a clip's progress) how long Apiframe takes per clip."""
    return {
        "APIFRAME_SIMULATED": settings.APIFRAME_SIMULATED,
        "expected_job_seconds": expected_job_seconds,
    }
