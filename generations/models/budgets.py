"""What the team may spend: a monthly team budget, per-member quotas and a cap on clips in flight.

Credits for clips in flight are reserved at submission (the price table's estimate) and replaced
by Apiframe's real creditCost when its job ends (statuses.py has the rule). Admission happens under
a lock on the budget row (Generation.start), so members submitting at the same moment can never
overshoot together.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import models
from django.utils import timezone


def month_bounds(moment: datetime | None = None) -> tuple[datetime, datetime]:
    """The start of this month and of the next, in the studio's time zone."""
    local = timezone.localtime(moment or timezone.now())
    start = local.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    next_month = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return start, next_month


def renewal_words(moment: datetime | None = None) -> str:
    renews: date = month_bounds(moment)[1].date()
    return f"{renews.day} {renews:%B}"


# Credits per clip by (resolution, duration): what the studio offers, and each price's default
# (staff change the prices in the admin).
PRICE_TABLE: dict[tuple[str, int], int] = {("768p", 6): 5, ("768p", 10): 10, ("1080p", 6): 10}


class NotOffered(ValueError):
    """A resolution and duration the studio does not offer, so it has no price."""

    def __init__(self, resolution: str, duration: int) -> None:
        super().__init__(f"The studio does not offer {resolution} clips of {duration} s.")


class BudgetRefusal(Exception):
    """A submission the budget does not allow; the message is for the member, as is. `rule` says
    which rule refused it: "running", "quota" or "team" (staff may approve past the last two)."""

    def __init__(self, message: str, rule: str = "") -> None:
        super().__init__(message)
        self.rule = rule


@dataclass(frozen=True)
class Standing:
    """Where a member stands this month."""

    spent: int  # billed and reserved, this member
    team_spent: int
    running: int
    quota: int | None
    team_budget: int | None
    max_running: int
    renews: str
    waiting: int = 0  # of `running`: takes admitted that wait for a free slot, not sent yet

    @property
    def being_made(self) -> int:
        """Clips sent to Apiframe that it may still be making (`running` less the waiting)."""
        return self.running - self.waiting

    @property
    def quota_left(self) -> int | None:
        return None if self.quota is None else max(0, self.quota - self.spent)

    @property
    def team_left(self) -> int | None:
        return None if self.team_budget is None else max(0, self.team_budget - self.team_spent)

    @property
    def left(self) -> int | None:
        """What this member can still spend: the tighter of their quota and the team's budget."""
        limits = [left for left in (self.quota_left, self.team_left) if left is not None]
        return min(limits) if limits else None

    def broken_rules(self, credits: int, takes: int = 1) -> list[tuple[str, str]]:
        """Each rule a submission of `credits` would break, as (rule, words for the member).

        The in-flight limit refuses only when no slot is free at all: takes beyond the free slots
        are admitted and wait in the studio for one (`Generation.start_batch`)."""
        broken = []
        clips = "These clips need" if takes > 1 else "This clip needs"
        if self.running >= self.max_running:
            waiting = f" (and {self.waiting} waiting for a slot)" if self.waiting else ""
            broken.append(
                (
                    "running",
                    f"You already have {self.being_made} clips being made{waiting}, the most one "
                    "person can have at a time. Submit this one when one of them is ready.",
                )
            )
        if self.quota_left is not None and credits > self.quota_left:
            broken.append(
                (
                    "quota",
                    f"{clips} about {credits} credits, but your monthly quota has "
                    f"{self.quota_left} left (of {self.quota}). It renews on {self.renews}.",
                )
            )
        if self.team_left is not None and credits > self.team_left:
            broken.append(
                (
                    "team",
                    f"{clips} about {credits} credits, but the team's monthly budget has "
                    f"{self.team_left} left (of {self.team_budget}). It renews on {self.renews}; "
                    "a staff member can raise it in the admin.",
                )
            )
        return broken

    def refusal(self, credits: int, takes: int = 1) -> str | None:
        broken = self.broken_rules(credits, takes)
        return broken[0][1] if broken else None

    @property
    def free_slots(self) -> int:
        return max(0, self.max_running - self.running)


class Budget(models.Model):
    """The team's spending rules (a single row, edited by staff in the admin)."""

    team_monthly_credits = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Credits the whole team may use per month. Empty: no limit.",
    )
    member_monthly_credits = models.PositiveIntegerField(
        null=True,
        blank=True,
        help_text="Each member's monthly quota unless they have their own. Empty: no limit.",
    )
    max_running_per_member = models.PositiveSmallIntegerField(
        default=3, help_text="How many clips one member may have in the making at once."
    )
    price_768p_6s = models.PositiveIntegerField("768p, 6 s", default=PRICE_TABLE[("768p", 6)])
    price_768p_10s = models.PositiveIntegerField("768p, 10 s", default=PRICE_TABLE[("768p", 10)])
    price_1080p_6s = models.PositiveIntegerField("1080p, 6 s", default=PRICE_TABLE[("1080p", 6)])
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "budget"
        verbose_name_plural = "budget"

    def __str__(self) -> str:
        return "Team budget and prices"

    @classmethod
    def current(cls, *, lock: bool = False) -> Budget:
        """The one budget row; `lock` holds it until the transaction ends (admission)."""
        budget, _ = cls.objects.get_or_create(pk=1)  # prices default to PRICE_TABLE
        return cls.objects.select_for_update().get(pk=budget.pk) if lock else budget

    def price(self, resolution: str, duration: int) -> int:
        """This budget's credits for one clip; NotOffered for a size outside PRICE_TABLE."""
        prices = {
            ("768p", 6): self.price_768p_6s,
            ("768p", 10): self.price_768p_10s,
            ("1080p", 6): self.price_1080p_6s,
        }
        try:
            return prices[(resolution, int(duration))]
        except KeyError:
            raise NotOffered(resolution, duration) from None

    def prices(self) -> dict[str, int]:
        return {"768p-6": self.price_768p_6s, "768p-10": self.price_768p_10s,
                "1080p-6": self.price_1080p_6s}  # fmt: skip

    def quota_for(self, member) -> int | None:
        personal = MemberQuota.objects.filter(member=member).values_list(
            "monthly_credits", flat=True
        )
        return next(iter(personal), self.member_monthly_credits)


class MemberQuota(models.Model):
    """A member's own monthly quota, instead of the team default."""

    member = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="quota"
    )
    monthly_credits = models.PositiveIntegerField(
        help_text="Credits this member may use per month."
    )

    def __str__(self) -> str:
        return f"{self.member}: {self.monthly_credits} credits a month"

    @classmethod
    def set_for(cls, member, monthly_credits: int | None) -> None:
        """Give `member` their own quota, or (None) put them back on the team default."""
        if monthly_credits is None:
            cls.objects.filter(member=member).delete()
        else:
            cls.objects.update_or_create(
                member=member, defaults={"monthly_credits": monthly_credits}
            )
