"""An update run by hand (CLI, reader): new items are scored and grouped as they arrive."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.config import Settings, TopicSettings
from reader.core import Reader
from reader.models import ItemFilter, SortOrder
from reader.sources.seeds import import_seeds
from reader.store import SQLiteStore, open_store
from reader.topic import refresh_topic
from reader.topic.refresh import REGROUP_KEY, RESCORE_KEY, STORIES_LOCK
from tests.loopback_server import LoopbackServer, loopback_server

from .conftest import SEEDS_DIR

__all__ = ["loopback_server"]

WIRE_STORY = (
    "Chinese Ambassador to Russia Zhang Hanhui warned Japan against backing NATO's expansion "
    "into the Asia-Pacific, telling TASS that it would be like letting the wolf into the "
    "sheepfold. The warning follows NATO talks on a liaison office in Japan."
)
OFF_TOPIC = "The city council approved a new bicycle lane on the river road after a long debate."

RSS = f"""<?xml version="1.0"?><rss version="2.0"><channel><title>Wire</title>
<item><guid>wire-1</guid><title>China's envoy warns Japan: NATO is a wolf in the sheepfold</title>
<link>https://example.org/wire-1</link><description>{WIRE_STORY}</description></item>
<item><guid>wire-2</guid><title>Council approves bicycle lane</title>
<link>https://example.org/wire-2</link><description>{OFF_TOPIC}</description></item>
</channel></rss>""".encode()


def test_fetched_items_are_scored_and_join_the_seeds_story(
    store: SQLiteStore, loopback_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_seeds(store, SEEDS_DIR)
    settings = Settings()
    refresh_topic(store, settings)
    url = loopback_server.feed("wire.xml", RSS)
    store.add_feed(url, title="Wire")
    monkeypatch.setenv("READER_FETCH_ALLOW", loopback_server.authority)

    report = Reader(store, settings).update_feeds()

    assert (report.new, report.errors) == (2, ())
    wire = {i.link: i for i in store.get_items(ItemFilter(source="Wire"))}
    on_topic = wire["https://example.org/wire-1"]
    off_topic = wire["https://example.org/wire-2"]
    assert on_topic.score is not None and off_topic.score is not None
    assert on_topic.score > 0.5 > off_topic.score
    assert "liaison office" in on_topic.score_terms  # why it matched
    story = store.get_items(ItemFilter(story_id=on_topic.story_id))
    assert on_topic.story_size == 2  # the wire copy and the seeds report one event
    assert {i.source for i in story} == {"seeds", "Wire"}
    ranked = [i.id for i in store.get_items(sort=SortOrder.RELEVANCE)]
    assert ranked.index(on_topic.id) < ranked.index(off_topic.id)


def test_an_update_that_brings_nothing_leaves_stories_alone(store: SQLiteStore) -> None:
    import_seeds(store, SEEDS_DIR)
    refresh_topic(store, Settings())
    before = [(s.title, len(s.items)) for s in store.get_stories(min_sources=1)]
    report = Reader(store, Settings()).update_feeds()
    assert report.checked == 0
    assert [(s.title, len(s.items)) for s in store.get_stories(min_sources=1)] == before


def test_an_update_leaves_due_whole_store_walks_to_the_daemon(
    store: SQLiteStore, loopback_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    import_seeds(store, SEEDS_DIR)
    refresh_topic(store, Settings())
    # A changed [topic] setting makes a re-scoring walk due; a forced regroup left halfway
    # leaves a regrouping walk due.
    changed = Settings(topic=TopicSettings(keywords=("sheepfold",)))
    store.set_meta(REGROUP_KEY, "")
    url = loopback_server.feed("wire.xml", RSS)
    store.add_feed(url, title="Wire")
    monkeypatch.setenv("READER_FETCH_ALLOW", loopback_server.authority)

    report = Reader(store, changed).update_feeds()

    assert report.new == 2
    assert store.get_meta(RESCORE_KEY) is not None  # not walked by the update
    assert store.get_meta(REGROUP_KEY) == ""
    wire = store.get_items(ItemFilter(source="Wire"))
    assert all(item.score is not None for item in wire)  # new items scored all the same
    assert all(item.story_id is None for item in wire)  # they wait for the regroup's walk

    walked = refresh_topic(store, changed)

    assert (walked.rescore_left, walked.regroup_left) == (False, False)
    assert store.get_meta(RESCORE_KEY) is None and store.get_meta(REGROUP_KEY) is None
    wire = {i.link: i for i in store.get_items(ItemFilter(source="Wire"))}
    assert wire["https://example.org/wire-1"].story_size == 2  # joined the seeds' story


def test_a_refresh_leaves_the_stories_to_a_process_already_grouping_them(
    store_location: Path | str,
) -> None:
    settings = Settings()
    with open_store(store_location) as store, open_store(store_location) as daemon:
        import_seeds(store, SEEDS_DIR)
        with daemon.exclusive(STORIES_LOCK) as grouping:
            assert grouping
            busy = refresh_topic(store, settings)
            forced = refresh_topic(store, settings, force=True)
        assert busy.busy and forced.busy
        assert (busy.grouped, forced.grouped) == (0, 0)
        assert store.get_meta(REGROUP_KEY) is None  # the forced regroup never started

        done = refresh_topic(store, settings)

        assert not done.busy and done.grouped == len(store.get_items(ItemFilter()))


_PEOPLE = ("Abe", "Baker", "Chen", "Dorn", "Ellis", "Fujita", "Garcia", "Hale", "Ito")
_PEOPLE += ("Jensen", "Kato", "Lund", "Mori")
_PLACES = ("Tokyo", "Manila", "Canberra", "Seoul", "Brussels", "Taipei", "Hanoi")
_PLACES += ("Jakarta", "Ottawa", "Lima")


def _many_items_rss(count: int) -> bytes:
    """A feed of `count` short reports, each of its own event (a person in a place)."""
    items = "".join(
        f"<item><guid>many-{n}</guid>"
        f"<title>{_PEOPLE[n % 13]} visits {_PLACES[n // 13 % 10]}</title>"
        f"<description>{_PEOPLE[n % 13]} arrived in {_PLACES[n // 13 % 10]} for talks with"
        f" {_PEOPLE[(n + 5) % 13]} on trade.</description>"
        f"<pubDate>Mon, {1 + n // 100:02d} Jun 2026 {n % 24:02d}:00:00 GMT</pubDate></item>"
        for n in range(count)
    )
    head = '<?xml version="1.0"?><rss version="2.0"><channel><title>Many</title>'
    return f"{head}{items}</channel></rss>".encode()


@pytest.mark.parametrize("in_a_process", [True, False])
def test_an_update_of_more_than_a_batch_leaves_nothing_ungrouped(
    store: SQLiteStore,
    store_location: Path | str,
    loopback_server: LoopbackServer,
    monkeypatch: pytest.MonkeyPatch,
    in_a_process: bool,
) -> None:
    from reader.topic.refresh import GROUP_BATCH

    # Whole batches are grouped while the update stores items, the rest by the refresh after.
    half = GROUP_BATCH // 2 + 15
    for name in ("east", "west"):  # two outlets reporting the same talks
        store.add_feed(loopback_server.feed(f"{name}.xml", _many_items_rss(half)), title=name)
    monkeypatch.setenv("READER_FETCH_ALLOW", loopback_server.authority)
    # A reader that knows where its store is groups along in a process of its own.
    location = str(store_location) if in_a_process else None
    report = Reader(store, Settings(), location=location).update_feeds()
    assert report.new == 2 * half > GROUP_BATCH
    assert store.count_ungrouped() == 0

    def grouped() -> set[frozenset[int]]:
        return {frozenset(i.id for i in s.items) for s in store.get_stories(min_sources=2)}

    along = grouped()
    assert along  # visits reported by both outlets
    refresh_topic(store, Settings(), force=True)  # every item again, in date order
    assert grouped() == along


def test_grouping_along_takes_whole_batches_and_leaves_the_rest(store: SQLiteStore) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime, timedelta

    from reader.core.grouping import group_full_batches
    from reader.models import ItemWrite
    from reader.topic.refresh import GROUP_BATCH, REGROUP_KEY

    feed = store.add_feed("https://many.example/feed")
    start = datetime(2026, 6, 1, tzinfo=UTC)
    writes = [
        ItemWrite(
            f"i-{n}",
            f"Talks in port {n % 13} round {n // 13}",
            None,
            None,
            start + timedelta(hours=n),
            None,
            None,
            f"Officials met at port {n % 13} about shipping lane {n % 5}.",
            f"h-{n}",
        )
        for n in range(GROUP_BATCH + 30)
    ]
    store.write_items(feed.id, writes, now=start)
    assert group_full_batches(store, Settings().topic.story_days) == GROUP_BATCH
    assert store.count_ungrouped() == 30
    refresh_topic(store, Settings())
    assert store.count_ungrouped() == 0
    store.set_meta(REGROUP_KEY, "")  # a full regroup is due: the refresh walks it first
    store.write_items(
        feed.id, [replace(w, identity=f"again-{w.identity}") for w in writes], now=start
    )
    assert group_full_batches(store, Settings().topic.story_days) == 0


@pytest.mark.parametrize("in_a_process", [True, False])
async def test_grouping_along_groups_whole_batches_as_they_are_stored(
    store: SQLiteStore, store_location: Path | str, in_a_process: bool
) -> None:
    from datetime import UTC, datetime, timedelta

    from reader.core.grouping import GroupAlong
    from reader.models import ItemWrite
    from reader.topic.refresh import GROUP_BATCH

    feed = store.add_feed("https://many.example/feed")
    start = datetime(2026, 6, 1, tzinfo=UTC)
    writes = [
        ItemWrite(f"i-{n}", f"Port {n % 13} talks", None, None, start + timedelta(hours=n),
                  None, None, f"Officials met at port {n % 13}.", f"h-{n}")
        for n in range(GROUP_BATCH + 30)
    ]  # fmt: skip
    store.write_items(feed.id, writes, now=start)
    grouping = GroupAlong(store, 3, str(store_location) if in_a_process else None)
    grouping.stored(GROUP_BATCH - 1)
    await grouping.finish()
    assert store.count_ungrouped() == GROUP_BATCH + 30  # less than a batch arrived: nothing
    grouping = GroupAlong(store, 3, str(store_location) if in_a_process else None)
    grouping.stored(GROUP_BATCH + 30)
    await grouping.finish()
    assert store.count_ungrouped() == 30  # the whole batch, in date order


async def test_a_grouping_process_started_early_groups_what_comes_and_stops_unused(
    store: SQLiteStore, store_location: Path | str
) -> None:
    from datetime import UTC, datetime, timedelta

    from reader.core.grouping import GroupAlong
    from reader.models import ItemWrite
    from reader.topic.refresh import GROUP_BATCH

    unused = GroupAlong(store, 3, str(store_location))
    unused.start_early()
    await unused.finish()  # nothing came: the process it started is stopped, not left behind
    assert unused._starting is not None and unused._starting.result().returncode == 0
    feed = store.add_feed("https://many.example/feed")
    start = datetime(2026, 6, 1, tzinfo=UTC)
    writes = [
        ItemWrite(f"i-{n}", f"Port {n % 13} talks", None, None, start + timedelta(hours=n),
                  None, None, f"Officials met at port {n % 13}.", f"h-{n}")
        for n in range(GROUP_BATCH + 30)
    ]  # fmt: skip
    grouping = GroupAlong(store, 3, str(store_location))
    grouping.start_early()
    store.write_items(feed.id, writes, now=start)
    grouping.stored(GROUP_BATCH + 30)
    await grouping.finish()
    assert store.count_ungrouped() == 30


async def test_grouping_along_leaves_the_queue_to_another_process_grouping(
    store: SQLiteStore, store_location: Path | str
) -> None:
    from datetime import UTC, datetime, timedelta

    from reader.core.grouping import GroupAlong
    from reader.models import ItemWrite
    from reader.topic.refresh import GROUP_BATCH, STORIES_LOCK

    feed = store.add_feed("https://many.example/feed")
    start = datetime(2026, 6, 1, tzinfo=UTC)
    writes = [
        ItemWrite(f"i-{n}", f"Port {n % 13} talks", None, None, start + timedelta(hours=n),
                  None, None, f"Officials met at port {n % 13}.", f"h-{n}")
        for n in range(GROUP_BATCH)
    ]  # fmt: skip
    store.write_items(feed.id, writes, now=start)
    with store.exclusive(STORIES_LOCK) as mine:  # another grouping holds the stories
        assert mine
        grouping = GroupAlong(store, 3, str(store_location))
        grouping.stored(GROUP_BATCH)
        await grouping.finish()
    assert store.count_ungrouped() == GROUP_BATCH
