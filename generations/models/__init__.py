"""The studio's data: prompts, generations (with their state machine), budgets and leases."""

from .budgets import Budget, BudgetRefusal, MemberQuota, Standing, month_bounds
from .generations import (
    ACTIVE_STATUSES,
    UPSTREAM_STATUSES,
    Duration,
    Generation,
    GenerationQuerySet,
    Resolution,
    Status,
    first_frame_path,
)
from .leases import Lease
from .prompts import PROMPT_MAX_LENGTH, Prompt, PromptQuerySet

__all__ = [
    "ACTIVE_STATUSES",
    "PROMPT_MAX_LENGTH",
    "UPSTREAM_STATUSES",
    "Budget",
    "BudgetRefusal",
    "Duration",
    "Generation",
    "GenerationQuerySet",
    "Lease",
    "MemberQuota",
    "Prompt",
    "PromptQuerySet",
    "Resolution",
    "Standing",
    "Status",
    "first_frame_path",
    "month_bounds",
]
