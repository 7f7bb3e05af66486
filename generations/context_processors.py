from django.conf import settings
from django.http import HttpRequest


def studio(request: HttpRequest) -> dict:
    """What every page needs to know: whether the studio runs on its built-in simulator."""
    return {"APIFRAME_SIMULATED": settings.APIFRAME_SIMULATED}
