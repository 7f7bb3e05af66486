"""Talking to Apiframe: the client, its typed payloads and errors, and webhook signatures."""

from .client import ApiframeClient, get_client
from .payloads import (
    MODEL,
    Account,
    GenerationRequest,
    Job,
    JobsPage,
    JobStatus,
    ModelInfo,
    SubmittedJob,
    Upload,
)

__all__ = [
    "MODEL",
    "Account",
    "ApiframeClient",
    "GenerationRequest",
    "Job",
    "JobStatus",
    "JobsPage",
    "ModelInfo",
    "SubmittedJob",
    "Upload",
    "get_client",
]
