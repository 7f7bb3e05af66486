"""Talking to Apiframe: the client, its typed payloads and errors, and webhook signatures."""

from .client import ApiframeClient, get_client
from .payloads import MODEL, Account, GenerationRequest, Job, JobStatus, SubmittedJob, Upload

__all__ = [
    "MODEL",
    "Account",
    "ApiframeClient",
    "GenerationRequest",
    "Job",
    "JobStatus",
    "SubmittedJob",
    "Upload",
    "get_client",
]
