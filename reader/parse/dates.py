"""Feed dates to timezone-aware UTC, or None when absent, unparseable or implausible.

A wrong date is worse than none: it reorders the reading list and confuses the scheduler's
posting-rhythm estimate, so we never invent one.
"""

from __future__ import annotations

import calendar
import time
from datetime import UTC, datetime, timedelta

from reader.parse._feedparser_compat import parse_date as feedparser_parse_date

EARLIEST_PLAUSIBLE = datetime(1990, 1, 1, tzinfo=UTC)
"""Dates before this are taken as errors (epoch zero, year 1, two-digit-year mix-ups)."""

FUTURE_SLACK = timedelta(days=2)
"""How far past `now` a date may lie (time zones, clock skew, scheduled posts) and still count."""


def plausible(moment: datetime | None, now: datetime) -> datetime | None:
    """`moment` in UTC if it lies between 1990 and `now` + 2 days, else None."""
    if moment is None:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    moment = moment.astimezone(UTC)
    if moment < EARLIEST_PLAUSIBLE or moment > now + FUTURE_SLACK:
        return None
    return moment


def from_struct_time(value: time.struct_time | None) -> datetime | None:
    """A UTC `struct_time` (as feedparser gives `*_parsed`) to an aware datetime."""
    if value is None:
        return None
    try:
        return datetime.fromtimestamp(calendar.timegm(value), UTC)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def parse_date_text(text: str | None) -> datetime | None:
    """Parse an RFC 3339 date (JSON Feed), falling back to feedparser's many-format parser."""
    if not text or not isinstance(text, str):
        return None
    stripped = text.strip()
    try:
        moment = datetime.fromisoformat(stripped)
    except ValueError:
        try:
            parsed = feedparser_parse_date(stripped)
        except (ValueError, OverflowError, TypeError, IndexError):
            return None
        return from_struct_time(parsed)
    if moment.tzinfo is None:
        # RFC 3339 requires an offset; a naive timestamp is most often meant as UTC.
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)
