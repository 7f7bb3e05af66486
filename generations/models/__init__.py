"""The studio's data: prompts, generations (with their state machine), budgets, leases and the
ledger checks against Apiframe, and whether Apiframe asks for a first frame. Imports run one way:
statuses, budgets, prompts, first-frame requirements → generations."""

from .approvals import (
    AlreadyDecided,
    ApprovalRequest,
    ApprovalState,
    NotApprovable,
    Refusal,
    Spending,
)
from .audit import AuditEntry, AuditKind, Immutable
from .budgets import (
    PRICE_TABLE,
    Budget,
    BudgetRefusal,
    MemberQuota,
    NotOffered,
    Standing,
    month_bounds,
)
from .collections import (
    BOARD_NAME_MAX_LENGTH,
    Added,
    Board,
    BoardItem,
    BoardNameTaken,
    ShareLink,
    Star,
)
from .first_frame_requirements import FirstFrameRequirement
from .generations import Duration, Generation, GenerationQuerySet, Resolution, first_frame_path
from .leases import Lease
from .prompts import PROMPT_MAX_LENGTH, Prompt, PromptQuerySet
from .reconciliations import Reconciliation
from .reels import REEL_NAME_MAX_LENGTH, Reel, ReelState, Shot
from .statuses import (
    ACTIVE_STATUSES,
    BILLING_OPEN,
    UPSTREAM_STATUSES,
    Status,
    committed_credits,
)
from .team import Invite, MemberProfile

__all__ = [
    "ACTIVE_STATUSES",
    "BILLING_OPEN",
    "BOARD_NAME_MAX_LENGTH",
    "PRICE_TABLE",
    "PROMPT_MAX_LENGTH",
    "REEL_NAME_MAX_LENGTH",
    "UPSTREAM_STATUSES",
    "Added",
    "AlreadyDecided",
    "ApprovalRequest",
    "ApprovalState",
    "AuditEntry",
    "AuditKind",
    "Board",
    "BoardItem",
    "BoardNameTaken",
    "Budget",
    "BudgetRefusal",
    "Duration",
    "FirstFrameRequirement",
    "Generation",
    "GenerationQuerySet",
    "Immutable",
    "Invite",
    "Lease",
    "MemberProfile",
    "MemberQuota",
    "NotApprovable",
    "NotOffered",
    "Prompt",
    "PromptQuerySet",
    "Reconciliation",
    "Reel",
    "ReelState",
    "Refusal",
    "Resolution",
    "ShareLink",
    "Shot",
    "Spending",
    "Standing",
    "Star",
    "Status",
    "committed_credits",
    "first_frame_path",
    "month_bounds",
]
