"""The update's pure decisions (`reader.update.decide`): no server, no store, a fixed clock."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from reader.config import ScheduleSettings
from reader.models import (
    Feed,
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
from reader.update.decide import (
    GONE_REASON,
    Changed,
    Decider,
    Failed,
    FeedCheck,
    NotModified,
    diff_items,
    judge_response,
    move_target,
    never_fetched,
)

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
URL = "https://news.example/feed.xml"
BODY = b"<rss version='2.0'><channel><title>News</title></channel></rss>"
FEED = Feed(id=7, url=URL)
SCHEDULE = ScheduleSettings(interval=1800, min_interval=300, max_interval=86400)


def fetched(status: int = 200, body: bytes | None = BODY, **fields: object) -> FetchResult:
    return FetchResult(url=URL, final_url=URL, status=status, body=body, **fields)  # type: ignore[arg-type]


def write(identity: str, digest: str) -> ItemWrite:
    return ItemWrite(identity, identity, None, None, None, None, None, None, digest)


# -- what a response means ---------------------------------------------------------------------


def test_410_means_gone_and_disables_the_feed() -> None:
    assert judge_response(FEED, fetched(410, None)) == Failed(GONE_REASON, GONE_REASON)


@pytest.mark.parametrize(
    ("status", "retry_after", "message"),
    [
        (404, None, "HTTP 404 Not Found"),
        (500, 60, "HTTP 500 Internal Server Error"),
        (503, 60, "HTTP 503 Service Unavailable (retry after 60 s)"),
        (429, 7200, "HTTP 429 Too Many Requests (retry after 7200 s)"),
        (599, None, "HTTP 599"),
    ],
)
def test_other_statuses_fail_naming_the_status_and_any_retry_after(
    status: int, retry_after: int | None, message: str
) -> None:
    verdict = judge_response(FEED, fetched(status, None, retry_after=retry_after))
    assert verdict == Failed(message)


def test_304_is_not_modified_and_keeps_the_validators() -> None:
    assert judge_response(FEED, fetched(304, None)) == NotModified(validators=None)


def test_the_same_bytes_as_last_time_are_not_parsed_again() -> None:
    known = replace(FEED, body_hash=body_hash(BODY))
    assert judge_response(known, fetched()) == NotModified(validators=None)
    tagged = fetched(validators=Validators(etag='"v2"'))
    assert judge_response(known, tagged) == NotModified(Validators(etag='"v2"'))


def test_new_bytes_are_changed_with_their_hash() -> None:
    assert judge_response(FEED, fetched()) == Changed(BODY, body_hash(BODY))
    assert never_fetched(FEED)
    assert not never_fetched(replace(FEED, validators=Validators(last_modified="x")))


def test_only_a_new_permanent_url_is_a_move() -> None:
    assert move_target(FEED, fetched()) is None
    assert move_target(FEED, fetched(permanent_url=URL)) is None
    assert move_target(FEED, fetched(permanent_url="https://new.example/f")) == (
        "https://new.example/f"
    )


# -- items, diffed once ----------------------------------------------------------------------


def test_items_are_new_changed_unchanged_or_pruned() -> None:
    known = {
        "same": ItemVersion("same", "h1", None),
        "edited": ItemVersion("edited", "old", None),
        "pruned": ItemVersion("pruned", "h3", None, deleted=True),
    }
    writes = [write("same", "h1"), write("edited", "new"), write("pruned", "h4"), write("n", "h")]
    changes = diff_items(writes, known)
    assert [i.identity for i in changes.new] == ["n"]
    assert [i.identity for i in changes.changed] == ["edited"]
    assert [i.identity for i in changes.to_write] == ["n", "edited"]


# -- what to write and report ----------------------------------------------------------------


def test_a_changed_document_writes_its_new_and_changed_items_with_the_feed_state() -> None:
    check = FeedCheck(FEED, NOW, fetched(validators=Validators(etag='"1"')), moved_to=None)
    day = NOW - timedelta(days=1)
    parsed = ParsedFeed(
        url=URL,
        title="News",
        link="https://news.example/",
        ttl=60,
        items=(ParsedItem("a", published=day), ParsedItem("b", updated=day - timedelta(hours=2))),
    )
    known = {"b": ItemVersion("b", "old", None)}
    decision = Decider(SCHEDULE).changed(
        check, Changed(BODY, "digest"), parsed, [write("a", "1"), write("b", "2")], known
    )

    assert [i.identity for i in decision.write.items] == ["a", "b"]
    update = decision.write.feed_update
    assert (update.title, update.link, update.ttl, update.body_hash) == (
        "News",
        "https://news.example/",
        60,
        "digest",
    )
    assert update.validators == Validators(etag='"1"') and update.error is None
    assert update.next_check is not None and update.next_check > NOW
    assert (decision.result.new, decision.result.updated) == (1, 1)
    assert decision.reported(WriteCounts(new=1, updated=0)).updated == 0  # the store's word


def test_not_modified_writes_only_the_check_and_a_move() -> None:
    check = FeedCheck(FEED, NOW, fetched(304, None), moved_to="https://new.example/f")
    recent = [Item(id=1, source_id=7, source="News", identity="a", published=NOW)]
    decision = Decider(SCHEDULE).not_modified(check, NotModified(), recent)
    assert decision.write.items == ()
    assert decision.write.feed_update.new_url == "https://new.example/f"
    assert decision.write.feed_update.validators is None
    assert decision.result.not_modified and decision.result.moved_to == "https://new.example/f"


def test_a_failure_is_one_line_and_backs_off_more_with_each_error() -> None:
    decider = Decider(SCHEDULE)
    first = decider.failed(FeedCheck(FEED, NOW), Failed("connection\nrefused"))
    fourth = decider.failed(FeedCheck(replace(FEED, error_count=3), NOW), Failed("refused"))
    assert first.result.error == "connection refused"
    assert first.write.feed_update.error == "connection refused"
    assert first.write.feed_update.next_check is not None
    assert fourth.write.feed_update.next_check is not None
    assert fourth.write.feed_update.next_check > first.write.feed_update.next_check


def test_a_failure_honours_the_servers_retry_after_and_gone_disables() -> None:
    decider = Decider(SCHEDULE)
    busy = FeedCheck(FEED, NOW, fetched(503, None, retry_after=7200))
    decision = decider.failed(busy, judge_response(FEED, busy.fetched))  # type: ignore[arg-type]
    assert decision.write.feed_update.next_check == NOW + timedelta(seconds=7200)
    gone = decider.failed(
        FeedCheck(FEED, NOW, fetched(410, None)), Failed(GONE_REASON, GONE_REASON)
    )
    assert gone.result.disabled and gone.write.feed_update.disable_reason == GONE_REASON
