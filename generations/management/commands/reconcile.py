"""Check the studio's ledger against Apiframe's own list of jobs, from the shell."""

from datetime import datetime, time, timedelta

from django.core.management.base import BaseCommand, CommandError
from django.utils import timezone
from django.utils.dateparse import parse_date

from generations import ledger
from generations.pipeline.tasks import ensure_tracker


def day_start(text: str, option: str) -> datetime:
    try:
        day = parse_date(text)
    except ValueError:
        day = None
    if day is None:
        raise CommandError(f"{option} takes a day like 2026-11-01, not {text!r}.")
    return timezone.make_aware(datetime.combine(day, time.min))


class Command(BaseCommand):
    help = "Compare the studio's clips with Apiframe's list of jobs and bring finished ones up to date."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--since", help="First day (YYYY-MM-DD); default: two days ago.")
        parser.add_argument("--until", help="Last day, included (YYYY-MM-DD); default: now.")

    def handle(self, *args, since=None, until=None, **options) -> None:
        start = day_start(since, "--since") if since else timezone.now() - ledger.DAILY_LOOKBACK
        end = day_start(until, "--until") + timedelta(days=1) if until else timezone.now()
        if start >= end:
            raise CommandError("--since must come before --until.")
        check = ledger.run_check(ledger.start_check(start, end))
        ensure_tracker()
        if check.error:
            raise CommandError(check.error)
        self.stdout.write(
            f"Apiframe billed {ledger.credits(check.apiframe_billed)} for "
            f"{check.jobs_seen} job{'s' if check.jobs_seen != 1 else ''}; "
            f"the studio recorded {ledger.credits(check.studio_recorded)}."
        )
        for difference in check.differences:
            self.stdout.write(f"- {difference['words']}")
        if not check.differences:
            self.stdout.write("No differences.")
