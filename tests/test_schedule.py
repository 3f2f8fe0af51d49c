"""The scheduling rules of `reader.schedule`, each with an injected clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from reader.config import ScheduleSettings
from reader.models import CheckOutcome, Feed
from reader.schedule import check_delay, next_check, posting_rhythm, url_jitter

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
SETTINGS = ScheduleSettings(interval=1800, min_interval=300, max_interval=86400, max_backoff=7200)
FEED = Feed(id=1, url="https://example.org/feed.xml")


def seconds(feed: Feed, outcome: CheckOutcome, settings: ScheduleSettings = SETTINGS) -> float:
    return (next_check(feed, outcome, settings, jitter=0.0) - outcome.checked).total_seconds()


def test_default_interval_applies_when_nothing_else_is_known() -> None:
    assert seconds(FEED, CheckOutcome(checked=NOW)) == 1800


def test_next_check_counts_from_the_injected_clock() -> None:
    later = NOW + timedelta(days=3)
    assert next_check(FEED, CheckOutcome(checked=later), SETTINGS, jitter=0.0) == later + timedelta(
        seconds=1800
    )


def test_per_feed_override_wins_over_default_and_rhythm() -> None:
    feed = Feed(id=1, url=FEED.url, update_interval=600)
    busy = tuple(NOW - timedelta(minutes=m) for m in range(0, 50, 5))
    assert seconds(feed, CheckOutcome(checked=NOW)) == 600
    assert seconds(feed, CheckOutcome(checked=NOW, item_dates=busy)) == 600


def test_per_feed_override_is_kept_within_min_and_max() -> None:
    too_fast = Feed(id=1, url=FEED.url, update_interval=10)
    too_slow = Feed(id=1, url=FEED.url, update_interval=10**7)
    assert seconds(too_fast, CheckOutcome(checked=NOW)) == 300
    assert seconds(too_slow, CheckOutcome(checked=NOW)) == 86400


def test_frequent_posting_shortens_the_interval() -> None:
    every_ten_minutes = tuple(NOW - timedelta(minutes=10 * k) for k in range(8))
    assert seconds(FEED, CheckOutcome(checked=NOW, item_dates=every_ten_minutes)) == 600


def test_rare_posting_lengthens_the_interval_up_to_max() -> None:
    daily = tuple(NOW - timedelta(hours=6) - timedelta(days=k) for k in range(5))
    weekly = tuple(NOW - timedelta(days=7 * k) for k in range(5))
    assert seconds(FEED, CheckOutcome(checked=NOW, item_dates=daily)) == 86400
    assert seconds(FEED, CheckOutcome(checked=NOW, item_dates=weekly)) == 86400


def test_rhythm_never_goes_below_min_interval() -> None:
    every_second = tuple(NOW - timedelta(seconds=k) for k in range(10))
    assert seconds(FEED, CheckOutcome(checked=NOW, item_dates=every_second)) == 300


def test_rhythm_ignores_future_dates_and_needs_two_dates() -> None:
    assert posting_rhythm((NOW,), NOW) is None
    assert posting_rhythm((NOW + timedelta(days=1), NOW), NOW) is None
    hourly = (NOW - timedelta(hours=1), NOW - timedelta(hours=2), NOW + timedelta(days=30))
    assert posting_rhythm(hourly, NOW) == 3600


def test_a_feed_that_went_quiet_drifts_to_longer_intervals() -> None:
    old_burst = tuple(NOW - timedelta(days=30) - timedelta(minutes=k) for k in range(2))
    # One 60-second gap and 30 days of silence: the median leans to the silence.
    assert posting_rhythm(old_burst, NOW) == pytest.approx((30 * 86400 + 60) / 2)


@pytest.mark.parametrize(
    "outcome",
    [
        CheckOutcome(checked=NOW, ttl=3 * 3600),
        CheckOutcome(checked=NOW, max_age=3 * 3600),
        CheckOutcome(checked=NOW, expires=NOW + timedelta(hours=3)),
    ],
    ids=["rss-ttl", "max-age", "expires"],
)
def test_server_cache_hints_are_a_lower_bound(outcome: CheckOutcome) -> None:
    assert seconds(FEED, outcome) == 3 * 3600


def test_server_cache_hints_shorter_than_interval_change_nothing() -> None:
    assert seconds(FEED, CheckOutcome(checked=NOW, ttl=60, max_age=120)) == 1800


def test_server_cache_hints_are_capped_at_max_interval() -> None:
    far = CheckOutcome(checked=NOW, ttl=10**8, expires=NOW + timedelta(days=400))
    assert seconds(FEED, far) == 86400


def test_expires_in_the_past_is_ignored() -> None:
    assert seconds(FEED, CheckOutcome(checked=NOW, expires=NOW - timedelta(hours=1))) == 1800


def test_the_longest_server_hint_wins() -> None:
    outcome = CheckOutcome(checked=NOW, ttl=3600, max_age=7200, expires=NOW + timedelta(hours=1))
    assert seconds(FEED, outcome) == 7200


def test_retry_after_is_honoured_for_the_feed() -> None:
    outcome = CheckOutcome(checked=NOW, error_count=1, retry_after=5 * 3600)
    assert seconds(FEED, outcome) == 5 * 3600


def test_retry_after_is_capped() -> None:
    outcome = CheckOutcome(checked=NOW, error_count=1, retry_after=365 * 86400)
    assert seconds(FEED, outcome) == 86400  # the longer of max_backoff and max_interval


def test_retry_after_shorter_than_the_interval_does_not_shorten_it() -> None:
    assert seconds(FEED, CheckOutcome(checked=NOW, error_count=1, retry_after=5)) == 1800


def test_errors_back_off_exponentially_up_to_the_cap() -> None:
    waits = [seconds(FEED, CheckOutcome(checked=NOW, error_count=n)) for n in range(1, 6)]
    assert waits == [1800, 3600, 7200, 7200, 7200]


def test_a_huge_error_count_stays_at_the_cap() -> None:
    assert seconds(FEED, CheckOutcome(checked=NOW, error_count=10_000)) == 7200


def test_a_success_after_errors_returns_to_the_interval() -> None:
    assert seconds(FEED, CheckOutcome(checked=NOW, error_count=0)) == 1800


def test_jitter_adds_up_to_a_tenth_of_the_interval() -> None:
    outcome = CheckOutcome(checked=NOW)
    assert check_delay(FEED, outcome, SETTINGS, jitter=0.5) == pytest.approx(1890)
    assert check_delay(FEED, outcome, SETTINGS, jitter=0.999) < 1800 * 1.1


def test_jitter_at_max_interval_goes_down_instead_of_past_it() -> None:
    slow = Feed(id=1, url=FEED.url, update_interval=86400)
    assert check_delay(slow, CheckOutcome(checked=NOW), SETTINGS, jitter=0.5) == 86400 * 0.95


def test_jitter_never_goes_below_min_interval_or_the_server_hint() -> None:
    pinned = ScheduleSettings(interval=60, min_interval=60, max_interval=60)
    assert check_delay(FEED, CheckOutcome(checked=NOW), pinned, jitter=0.9) == 60
    hinted = CheckOutcome(checked=NOW, ttl=10**6)
    assert check_delay(FEED, hinted, SETTINGS, jitter=0.9) == 86400


def test_jitter_outside_the_unit_range_is_refused() -> None:
    with pytest.raises(ValueError, match="jitter"):
        next_check(FEED, CheckOutcome(checked=NOW), SETTINGS, jitter=1.0)
    with pytest.raises(ValueError, match="jitter"):
        next_check(FEED, CheckOutcome(checked=NOW), SETTINGS, jitter=-0.1)


def test_default_jitter_is_stable_per_url_and_spreads_feeds_of_one_host() -> None:
    outcome = CheckOutcome(checked=NOW)
    urls = [f"https://example.org/feed{k}.xml" for k in range(50)]
    first = [next_check(Feed(id=k, url=u), outcome, SETTINGS) for k, u in enumerate(urls)]
    again = [next_check(Feed(id=k, url=u), outcome, SETTINGS) for k, u in enumerate(urls)]
    assert first == again
    assert len(set(first)) == len(urls)
    assert all(0.0 <= url_jitter(u) < 1.0 for u in urls)
    assert all(NOW + timedelta(seconds=1800) <= t < NOW + timedelta(seconds=1980) for t in first)


def test_one_second_intervals_work() -> None:
    fast = ScheduleSettings(interval=1, min_interval=1, max_interval=1, max_backoff=4)
    outcome = CheckOutcome(checked=NOW)
    assert check_delay(FEED, outcome, fast, jitter=0.0) == 1
    backed_off = [
        check_delay(FEED, CheckOutcome(checked=NOW, error_count=n), fast, jitter=0.0)
        for n in range(1, 5)
    ]
    assert backed_off == [1, 2, 4, 4]


def test_zero_min_interval_still_waits_at_least_a_second() -> None:
    zero = ScheduleSettings(interval=0, min_interval=0, max_interval=0, max_backoff=0)
    assert check_delay(FEED, CheckOutcome(checked=NOW), zero, jitter=0.0) == 1
