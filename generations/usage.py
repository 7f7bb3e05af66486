"""The team's usage over a period, for staff: who made what, and what it cost."""

from __future__ import annotations

import statistics
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser
from django.db.models import Count, Q, Sum
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.dateparse import parse_date

from .models import Budget, Generation, MemberQuota, Status, committed_credits, month_bounds

MAX_RANGE_DAYS = 366


class PeriodError(ValueError):
    """The chosen period makes no sense; the message says why."""


@dataclass(frozen=True)
class Period:
    kind: str  # "month", "30d" or "range"
    first_day: date
    last_day: date  # inclusive

    @property
    def start(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.first_day, time.min))

    @property
    def end(self) -> datetime:
        return timezone.make_aware(datetime.combine(self.last_day + timedelta(days=1), time.min))

    @property
    def days(self) -> list[date]:
        return [
            self.first_day + timedelta(days=n)
            for n in range((self.last_day - self.first_day).days + 1)
        ]

    @property
    def label(self) -> str:
        if self.kind == "month":
            return f"{self.first_day:%B %Y}"
        return f"{self.first_day:%-d %b %Y} – {self.last_day:%-d %b %Y}"

    def query(self) -> dict[str, str]:
        """The picker's parameters that select this period again (for links and the CSV)."""
        if self.kind == "range":
            return {
                "period": "range",
                "start": self.first_day.isoformat(),
                "end": self.last_day.isoformat(),
            }
        return {"period": self.kind}

    @classmethod
    def from_params(cls, params, today: date | None = None) -> Period:
        today = today or timezone.localdate()
        kind = params.get("period") or "month"
        if kind == "30d":
            return cls("30d", today - timedelta(days=29), today)
        if kind == "range":
            try:
                first = parse_date(params.get("start") or "")
                last = parse_date(params.get("end") or "")
            except ValueError:  # shaped like a date, but not one (2020-13-45)
                first = last = None
            if not first or not last:
                raise PeriodError("Choose both a first and a last day for the range.")
            if first > last:
                raise PeriodError("The first day of the range comes after its last day.")
            if (last - first).days >= MAX_RANGE_DAYS:
                raise PeriodError(f"A range can cover at most {MAX_RANGE_DAYS} days.")
            period = cls("range", first, last)
            try:  # the database compares in UTC: both ends must exist there
                utc = timezone.get_fixed_timezone(0)
                period.start.astimezone(utc), period.end.astimezone(utc)
            except OverflowError:
                raise PeriodError("Choose a range between the years 1 and 9999.") from None
            return period
        return cls("month", today.replace(day=1), today)


@dataclass
class Row:
    member: AbstractBaseUser | None  # None for the totals row
    submitted: int = 0
    completed: int = 0
    failed: int = 0
    credits: int = 0
    video_seconds: int = 0
    deleted_while_running: int = 0
    quota: int | None = None
    left_this_month: int | None = None
    seconds_to_clip: list[float] = field(default_factory=list, repr=False)
    # The admin's generation lists behind each figure (views/usage.py adds them).
    links: dict[str, str] = field(default_factory=dict, repr=False)

    @property
    def median_seconds_to_clip(self) -> float | None:
        return statistics.median(self.seconds_to_clip) if self.seconds_to_clip else None

    @property
    def name(self) -> str:
        return self.member.get_username() if self.member else "Total"


@dataclass
class MemberRow(Row):
    """A member's row: the report's rows other than the totals."""

    member: AbstractBaseUser


FIGURES = ("submitted", "completed", "failed", "credits", "video_seconds", "deleted_while_running")


class UsageReport:
    """Per member (every active one, and anyone else who made a clip in the period): generations
    submitted, completed and failed, credits by the studio's one rule (what Apiframe billed, else
    what is reserved while it may still bill; deleted clips included), seconds of video made, the
    median time from submission to a stored clip, and this month's quota and what is left."""

    def __init__(self, period: Period) -> None:
        self.period = period
        generations = Generation.objects.filter(
            created_at__gte=period.start, created_at__lt=period.end
        )
        completed = Q(status=Status.COMPLETED, deleted_at__isnull=True)
        per_member = {
            owner: dict(zip(FIGURES, figures, strict=True))
            for owner, *figures in generations.values("owner")
            .annotate(
                submitted=Count("pk"),
                completed=Count("pk", filter=completed),
                failed=Count("pk", filter=Q(status=Status.FAILED)),
                credits=Coalesce(Sum(committed_credits()), 0),
                video_seconds=Coalesce(Sum("duration", filter=completed), 0),
                deleted_while_running=Count("pk", filter=Q(deleted_while_running=True)),
            )
            .values_list("owner", *FIGURES)
        }
        members = (
            get_user_model()
            .objects.filter(Q(is_active=True) | Q(pk__in=per_member))
            .order_by("username")
        )
        self.rows = [
            MemberRow(member=member, **per_member.get(member.pk, {})) for member in members
        ]
        self._add_quotas()
        by_member = {row.member.pk: row for row in self.rows}
        for owner, submitted, stored in generations.filter(completed).values_list(
            "owner", "submitted_at", "stored_at"
        ):
            if submitted and stored:
                by_member[owner].seconds_to_clip.append((stored - submitted).total_seconds())
        self.rows.sort(key=lambda row: (-row.credits, -row.submitted, row.name.lower()))
        self.totals = Row(member=None)
        for row in self.rows:
            for name in FIGURES:
                setattr(self.totals, name, getattr(self.totals, name) + getattr(row, name))
            self.totals.seconds_to_clip.extend(row.seconds_to_clip)
        self.daily = self._daily_credits(generations)

    def _add_quotas(self) -> None:
        """This month's quota and what is left, as the form shows each member (two queries)."""
        start, end = month_bounds()
        spent = dict(
            Generation.objects.filter(created_at__gte=start, created_at__lt=end)
            .values("owner")
            .annotate(credits=Coalesce(Sum(committed_credits()), 0))
            .values_list("owner", "credits")
        )
        default_quota = Budget.current().member_monthly_credits
        personal = dict(MemberQuota.objects.values_list("member_id", "monthly_credits"))
        for row in self.rows:
            row.quota = personal.get(row.member.pk, default_quota)
            if row.quota is not None:
                row.left_this_month = max(0, row.quota - spent.get(row.member.pk, 0))

    @staticmethod
    def _daily_credits(generations) -> dict[date, dict[int, int]]:
        daily: dict[date, dict[int, int]] = defaultdict(dict)
        for day, owner, credits in (
            generations.annotate(day=TruncDate("created_at"))
            .values("day", "owner")
            .annotate(credits=Coalesce(Sum(committed_credits()), 0))
            .filter(credits__gt=0)
            .values_list("day", "owner", "credits")
        ):
            daily[day][owner] = credits
        return daily

    def csv_rows(self) -> list[list]:
        header = ["Member", "Submitted", "Completed", "Failed", "Credits spent",
                  "Seconds of video", "Median seconds from submit to clip",
                  "Deleted while running", "Monthly quota", "Left this month"]  # fmt: skip
        body = [
            [row.name, row.submitted, row.completed, row.failed, row.credits, row.video_seconds,
             "" if row.median_seconds_to_clip is None else f"{row.median_seconds_to_clip:.1f}",
             row.deleted_while_running,
             "" if row.quota is None else row.quota,
             "" if row.left_this_month is None else row.left_this_month]
            for row in [*self.rows, self.totals]
        ]  # fmt: skip
        return [header, *body]
