"""Apiframe's signed webhooks: verified, then applied exactly like a poll's answer."""

import logging

from django.conf import settings
from django.contrib.auth.decorators import login_not_required
from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from ..apiframe import Job, signatures
from ..apiframe.payloads import PayloadError, load_json
from ..models import Generation
from ..pipeline.tasks import ensure_tracker

log = logging.getLogger(__name__)


@csrf_exempt  # Apiframe cannot hold a CSRF token; the HMAC signature authenticates it instead.
@login_not_required
@require_POST
def apiframe(request: HttpRequest) -> HttpResponse:
    signature = request.headers.get("X-Webhook-Signature")
    if not signatures.verify(request.body, signature, settings.APIFRAME_API_KEY):
        log.warning("Refused a webhook with a missing or wrong signature")
        return HttpResponse("Bad signature.", status=401, content_type="text/plain")
    try:
        job = Job.from_webhook(load_json(request.body))
    except PayloadError:
        return HttpResponse("Unreadable event.", status=400, content_type="text/plain")
    generation = Generation.objects.filter(job_id=job.id).first()
    if generation is None:
        # Unknown to us (another studio on the same key, or long deleted): nothing to do.
        return HttpResponse(status=204)
    if generation.apply_job(job) and generation.is_storing:
        ensure_tracker()  # The finished clip is due now; make sure a tracker picks it up.
    return HttpResponse(status=204)
