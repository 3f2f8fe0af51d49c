"""When to check a feed next: pure rules, the clock comes in with the outcome.

The rules, in the order they apply:

1. The base interval is the feed's own override (`Feed.update_interval`), else the feed's
   posting rhythm (median gap between its recent items, so a busy feed is checked more
   often and a quiet one less), else the configured default (`ScheduleSettings.interval`).
   It is kept within [`min_interval`, `max_interval`].
2. What the server said it caches for (RSS ``<ttl>``, ``Cache-Control: max-age``,
   ``Expires``) is a lower bound: we never ask sooner, but never wait past `max_interval`
   for it either.
3. A little jitter (up to `JITTER_SHARE` of the interval) spreads feeds of one host out:
   added, or taken off where adding would pass `max_interval`.
4. After consecutive errors the wait doubles per error, capped at `max_backoff`.
5. ``Retry-After`` (429/503) is honoured for that feed, capped at the longest of
   `max_backoff` and `max_interval` so a silly header cannot park a feed for a year.
"""

from __future__ import annotations

import hashlib
import itertools
import statistics
from collections.abc import Sequence
from datetime import datetime, timedelta

from reader.config import ScheduleSettings
from reader.models import CheckOutcome, Feed

JITTER_SHARE = 0.1
"""The most jitter adds to an interval, as a share of it."""

RHYTHM_ITEMS = 10
"""How many of the newest item dates make a feed's posting rhythm."""

_MAX_DOUBLINGS = 40
"""Backoff stops doubling after this many errors (the cap is reached long before)."""


def next_check(
    feed: Feed,
    outcome: CheckOutcome,
    settings: ScheduleSettings,
    *,
    jitter: float | None = None,
) -> datetime:
    """When `feed` is next due, given what its check at `outcome.checked` showed.

    `jitter` is a fraction in [0, 1); None derives a stable one from the feed URL, so the
    result is repeatable and feeds of one host still spread out.
    """
    return outcome.checked + timedelta(seconds=check_delay(feed, outcome, settings, jitter=jitter))


def check_delay(
    feed: Feed,
    outcome: CheckOutcome,
    settings: ScheduleSettings,
    *,
    jitter: float | None = None,
) -> float:
    """Seconds from `outcome.checked` until the feed's next check (see the module rules)."""
    if jitter is None:
        jitter = url_jitter(feed.url)
    if not 0.0 <= jitter < 1.0:
        raise ValueError(f"jitter must be in [0, 1), got {jitter!r}")
    low = float(max(settings.min_interval, 1))
    high = float(max(settings.max_interval, low))

    interval = _clamp(base_interval(feed, outcome, settings), low, high)
    floor = low
    server_hint = server_min_delay(outcome)
    if server_hint is not None:
        floor = max(floor, min(server_hint, high))
        interval = max(interval, floor)
    spread = interval * JITTER_SHARE * jitter
    # Jitter goes up, except where that would pass max_interval: there it goes down (never
    # below min_interval or the server's hint), so feeds at the cap still spread out.
    delay = interval + spread if interval + spread <= high else max(interval - spread, floor)

    if outcome.error_count > 0:
        doublings = min(outcome.error_count - 1, _MAX_DOUBLINGS)
        backoff_cap = float(max(settings.max_backoff, 1))
        delay = max(delay, min(delay * 2.0**doublings, backoff_cap))
    if outcome.retry_after is not None and outcome.retry_after > 0:
        retry_cap = float(max(settings.max_backoff, high))
        delay = max(delay, min(float(outcome.retry_after), retry_cap))
    return delay


def base_interval(feed: Feed, outcome: CheckOutcome, settings: ScheduleSettings) -> float:
    """The interval before bounds, hints and jitter: override, else rhythm, else default."""
    if feed.update_interval is not None and feed.update_interval > 0:
        return float(feed.update_interval)
    rhythm = posting_rhythm(outcome.item_dates, outcome.checked)
    if rhythm is not None:
        return rhythm
    return float(settings.interval)


def posting_rhythm(item_dates: Sequence[datetime], now: datetime) -> float | None:
    """The median gap in seconds between a feed's newest items, or None if it cannot tell.

    Only dates up to `now` count (a future date is a feed's mistake). The silence since the
    newest item counts as one more gap, so a feed that stopped posting drifts to longer
    intervals instead of being polled at its old pace forever.
    """
    past = sorted({d for d in item_dates if d <= now}, reverse=True)[:RHYTHM_ITEMS]
    if len(past) < 2:
        return None
    gaps = [(newer - older).total_seconds() for newer, older in itertools.pairwise(past)]
    gaps.append((now - past[0]).total_seconds())
    return float(statistics.median(gaps))


def server_min_delay(outcome: CheckOutcome) -> float | None:
    """The longest 'do not ask before' the server gave (ttl, max-age, Expires), in seconds."""
    hints: list[float] = []
    if outcome.ttl is not None and outcome.ttl > 0:
        hints.append(float(outcome.ttl))
    if outcome.max_age is not None and outcome.max_age > 0:
        hints.append(float(outcome.max_age))
    if outcome.expires is not None:
        until = (outcome.expires - outcome.checked).total_seconds()
        if until > 0:
            hints.append(until)
    return max(hints) if hints else None


def url_jitter(url: str) -> float:
    """A stable fraction in [0, 1) from a feed URL, so repeated runs schedule alike."""
    digest = hashlib.blake2b(url.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") / 2.0**64


def _clamp(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)
