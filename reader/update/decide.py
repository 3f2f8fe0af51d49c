"""The update's decisions, apart from its I/O: given what a check found, what to write and report.

Pure functions of their arguments (the clock comes in as `FeedCheck.checked`), so every case
is tested without a server or a store:

- `judge_response`: the fetch result is gone (410), failed (any other non-2xx but 304), not
  modified (304, or the same bytes as last time), or changed (parse it);
- `move_target`: where a chain of permanent redirects moved the feed;
- `diff_items`: which parsed items are new or changed against the store's versions (once);
- `Decider`: the store write (`FeedWrite`) and the report (`FeedResult`) for each outcome,
  with the next check from `reader.schedule`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from http import HTTPStatus

from reader.config import ScheduleSettings
from reader.models import (
    CheckOutcome,
    Feed,
    FeedResult,
    FeedUpdate,
    FeedWrite,
    FetchResult,
    Item,
    ItemVersion,
    ItemWrite,
    ParsedFeed,
    ParsedItem,
    Validators,
    WriteCounts,
)
from reader.normalize import body_hash
from reader.schedule import next_check

GONE_REASON = "HTTP 410 Gone: the server says this feed was removed for good"


@dataclass(frozen=True)
class FeedCheck:
    """One feed's check as the decisions see it: the one value they take, not seven."""

    feed: Feed
    """The feed as the store had it before this check."""
    checked: datetime
    """When the check started."""
    fetched: FetchResult | None = None
    """What the fetcher got; None when the fetch itself failed."""
    moved_to: str | None = None
    """The feed's new URL after permanent redirects (already known not to be subscribed)."""


@dataclass(frozen=True)
class Failed:
    """The check failed: the feed keeps its items and backs off."""

    message: str
    """One line for the user, saved as the feed's last error."""
    disable_reason: str | None = None
    """Set when the feed is to be disabled (410 Gone)."""


@dataclass(frozen=True)
class NotModified:
    """Nothing new: a 304, or the same bytes as the last parsed body."""

    validators: Validators | None = None
    """Validators to save (same bytes from a server that sent some); None keeps the old."""


@dataclass(frozen=True)
class Changed:
    """A new body: parse it, then decide with `Decider.changed`."""

    body: bytes
    digest: str
    """The body's hash, saved so identical bytes are not parsed next time."""


Response = Failed | NotModified | Changed
"""What a fetch result means for its feed."""


def http_status_text(status: int) -> str:
    """``HTTP 404 Not Found``: the status with its standard reason, when it has one."""
    try:
        return f"HTTP {status} {HTTPStatus(status).phrase}"
    except ValueError:
        return f"HTTP {status}"


def has_validators(validators: Validators) -> bool:
    return validators.etag is not None or validators.last_modified is not None


def never_fetched(feed: Feed) -> bool:
    """True for a feed with nothing from an earlier fetch (its body will surely be parsed)."""
    return feed.body_hash is None and not has_validators(feed.validators)


def judge_response(feed: Feed, fetched: FetchResult) -> Response:
    """Gone, failed, not modified (304 or the same bytes as last time), or changed."""
    status = fetched.status
    if status == 410:
        return Failed(GONE_REASON, disable_reason=GONE_REASON)
    if status == 304:
        return NotModified()
    if not 200 <= status < 300:
        message = http_status_text(status)
        if fetched.retry_after is not None and status in (429, 503):
            message += f" (retry after {fetched.retry_after} s)"
        return Failed(message)
    body = fetched.body or b""
    digest = body_hash(body)
    if feed.body_hash is not None and digest == feed.body_hash:
        # A server without validators sends the same bytes: no need to parse them again.
        validators = fetched.validators if has_validators(fetched.validators) else None
        return NotModified(validators)
    return Changed(body, digest)


def move_target(feed: Feed, fetched: FetchResult) -> str | None:
    """Where permanent redirects (and only those) moved the feed, if anywhere new.

    The caller still checks that no other subscription has that URL.
    """
    target = fetched.permanent_url
    return None if target is None or target == feed.url else target


@dataclass(frozen=True)
class ItemChanges:
    """Which of a document's items the store lacks or holds in an older version."""

    new: tuple[ItemWrite, ...]
    changed: tuple[ItemWrite, ...]

    @property
    def to_write(self) -> tuple[ItemWrite, ...]:
        return self.new + self.changed


def diff_items(writes: Sequence[ItemWrite], known: Mapping[str, ItemVersion]) -> ItemChanges:
    """Split parsed items into new and changed against what the store knows.

    Items pruned by retention (tombstones) are neither: they must not come back.
    """
    new: list[ItemWrite] = []
    changed: list[ItemWrite] = []
    for item in writes:
        version = known.get(item.identity)
        if version is None:
            new.append(item)
        elif not version.deleted and version.content_hash != item.content_hash:
            changed.append(item)
    return ItemChanges(tuple(new), tuple(changed))


@dataclass(frozen=True)
class Decision:
    """What to write for one feed's check, and what to report about it."""

    write: FeedWrite
    """The feed's items and state, written in one transaction."""
    result: FeedResult
    """The report; its item counts are what the decision expects to be written."""

    def reported(self, counts: WriteCounts) -> FeedResult:
        """The report with the counts the store says it wrote."""
        return replace(self.result, new=counts.new, updated=counts.updated)


class Decider:
    """Turns each outcome of a check into a `Decision`; holds only the schedule settings."""

    def __init__(self, schedule: ScheduleSettings) -> None:
        self.schedule = schedule

    def failed(self, check: FeedCheck, failure: Failed) -> Decision:
        """The feed's error recorded, with backoff (and `Retry-After` when the server sent one)."""
        feed = check.feed
        message = " ".join(failure.message.split())
        retry_after = check.fetched.retry_after if check.fetched is not None else None
        outcome = CheckOutcome(
            checked=check.checked, error_count=feed.error_count + 1, retry_after=retry_after
        )
        update = FeedUpdate(
            checked=check.checked,
            next_check=next_check(feed, outcome, self.schedule),
            error=message,
            disable_reason=failure.disable_reason,
        )
        return Decision(
            FeedWrite(feed.id, feed.url, (), update),
            FeedResult(feed.url, error=message, disabled=failure.disable_reason is not None),
        )

    def not_modified(
        self, check: FeedCheck, verdict: NotModified, recent: Sequence[Item]
    ) -> Decision:
        """Nothing new: only the check, and the schedule from the feed's `recent` items (its
        newest stored ones: `reader.schedule.RHYTHM_ITEMS` of them give its rhythm)."""
        feed, fetched = check.feed, check.fetched
        outcome = CheckOutcome(
            checked=check.checked,
            not_modified=True,
            ttl=feed.ttl,
            max_age=fetched.max_age if fetched else None,
            expires=fetched.expires if fetched else None,
            item_dates=_dates(recent),
        )
        update = FeedUpdate(
            checked=check.checked,
            next_check=next_check(feed, outcome, self.schedule),
            validators=verdict.validators,
            new_url=check.moved_to,
        )
        return Decision(
            FeedWrite(feed.id, feed.url, (), update),
            FeedResult(feed.url, not_modified=True, moved_to=check.moved_to),
        )

    def changed(
        self,
        check: FeedCheck,
        verdict: Changed,
        parsed: ParsedFeed,
        writes: Sequence[ItemWrite],
        known: Mapping[str, ItemVersion],
    ) -> Decision:
        """A parsed document: its new and changed items (diffed once), its title, link,
        validators and body hash, and the schedule from its own item dates."""
        feed, fetched = check.feed, check.fetched
        changes = diff_items(writes, known)
        outcome = CheckOutcome(
            checked=check.checked,
            ttl=parsed.ttl,
            max_age=fetched.max_age if fetched else None,
            expires=fetched.expires if fetched else None,
            item_dates=_dates(parsed.items),
        )
        update = FeedUpdate(
            checked=check.checked,
            next_check=next_check(feed, outcome, self.schedule),
            title=parsed.title,
            link=parsed.link,
            validators=fetched.validators if fetched else None,
            body_hash=verdict.digest,
            ttl=parsed.ttl,
            new_url=check.moved_to,
        )
        return Decision(
            FeedWrite(feed.id, feed.url, changes.to_write, update),
            FeedResult(
                feed.url,
                new=len(changes.new),
                updated=len(changes.changed),
                moved_to=check.moved_to,
            ),
        )


def _dates(items: Sequence[Item] | Sequence[ParsedItem]) -> tuple[datetime, ...]:
    """The dates the items give themselves (published, else updated), for the rhythm."""
    return tuple(d for d in (item.published or item.updated for item in items) if d)
