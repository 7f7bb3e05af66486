"""Error reports (Django's error mails and debug page) never carry the Apiframe keys, nor the
media bucket's secret (boto3 holds it in its variables as it signs in).

Django already hides settings whose names look secret and variables marked with
@sensitive_variables; the key also travels through httpx's and the client's own variables, so any
frame variable whose value contains a key is hidden as well, with DEBUG on or off.
"""

import os
from typing import Any

from django.conf import settings
from django.views.debug import SafeExceptionReporterFilter


class SecretScrubbingFilter(SafeExceptionReporterFilter):
    def get_traceback_frame_variables(self, request: Any, tb_frame: Any) -> Any:
        variables = super().get_traceback_frame_variables(request, tb_frame)
        bucket_secrets = (
            os.environ.get(name) for name in ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")
        )
        secrets = [
            key
            for key in (settings.APIFRAME_API_KEY, settings.SIMULATOR_API_KEY, *bucket_secrets)
            if key
        ]
        return [
            (name, self.cleansed_substitute if _mentions(value, secrets) else value)
            for name, value in variables
        ]


def _mentions(value: Any, secrets: list[str]) -> bool:
    try:
        text = repr(value)
    except Exception:  # A broken __repr__ must not break the error report itself.
        return False
    return any(secret in text for secret in secrets)
