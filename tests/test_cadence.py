import random

from generations.pipeline import cadence


def test_the_first_check_waits_for_a_short_job_to_be_done():
    assert cadence.first_check_delay(8, webhooks=False) == 8


def test_the_first_check_of_a_long_job_comes_in_time_to_show_progress():
    assert cadence.first_check_delay(90, webhooks=False) == cadence.MAX_POLL_INTERVAL


def test_with_webhooks_the_first_check_is_a_late_safety_net():
    assert cadence.first_check_delay(20, webhooks=True) >= 50


def test_remaining_time_comes_from_the_progress_rate():
    remaining = cadence.estimated_remaining(
        elapsed=30,
        progress=50,
        expected_seconds=90,
        previous_progress=25,
        seconds_since_previous=10,
    )
    assert remaining == 20  # 2.5 % a second, 50 % to go


def test_without_a_rate_remaining_time_comes_from_progress_so_far():
    assert cadence.estimated_remaining(elapsed=30, progress=60, expected_seconds=90) == 20


def test_without_progress_remaining_time_comes_from_experience():
    assert cadence.estimated_remaining(elapsed=5, progress=0, expected_seconds=20) == 15


def test_checks_come_just_after_the_expected_end():
    assert cadence.next_check_delay(remaining=4, overdue_checks=0, webhooks=False) == 4.2


def test_checks_while_running_are_never_far_apart():
    delay = cadence.next_check_delay(remaining=80, overdue_checks=0, webhooks=False)
    assert delay == cadence.MAX_POLL_INTERVAL


def test_overdue_checks_back_off_to_a_cap():
    delays = [
        cadence.next_check_delay(remaining=0, overdue_checks=n, webhooks=False) for n in range(12)
    ]
    assert delays[0] == cadence.OVERDUE_FIRST_DELAY
    assert delays == sorted(delays)
    assert delays[-1] == cadence.OVERDUE_MAX_DELAY


def test_retry_delays_grow_with_jitter_and_stay_capped():
    rng = random.Random(7)
    delays = [cadence.retry_delay(attempt, rng=rng) for attempt in range(20)]
    assert all(cadence.BACKOFF_BASE <= d <= cadence.BACKOFF_CAP for d in delays)
    assert max(delays[:2]) <= 2.0


def test_retry_after_is_honoured():
    assert cadence.retry_delay(0, retry_after=7.0, rng=random.Random(1)) >= 7.0


def test_without_a_rate_the_next_check_reads_progress_again_halfway_to_the_end():
    delay = cadence.next_check_delay(
        remaining=6, overdue_checks=0, webhooks=False, rate_known=False
    )
    assert delay == 3  # a second reading gives the rate, which then aims at the real end


def test_a_near_end_is_aimed_at_even_without_a_rate():
    delay = cadence.next_check_delay(
        remaining=1.5, overdue_checks=0, webhooks=False, rate_known=False
    )
    assert delay == 1.7
