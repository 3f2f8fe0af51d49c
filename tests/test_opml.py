"""OPML import and export: real exports from other readers, broken files, round trips."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.exceptions import OPMLError
from reader.sources.opml import export_opml, import_opml, parse_opml
from reader.store import SQLiteStore

from .conftest import CORPUS, PROJECT, corpus_rows, needs_corpus


def corpus_opml(kind: str) -> list[str]:
    return sorted(r[0] for r in corpus_rows() if r[0].startswith("opml/") and r[4] == kind)


@needs_corpus
@pytest.mark.parametrize("relative", corpus_opml("opml"))
def test_real_opml_files_import_or_say_clearly_why_not(store: SQLiteStore, relative: str) -> None:
    path = CORPUS / relative
    try:
        report = import_opml(store, path)
    except OPMLError as exc:
        assert str(exc).startswith(str(path))
        assert store.get_feeds() == []  # nothing half-imported
        return
    feeds = store.get_feeds()
    assert len(feeds) == len(report.added)
    assert all(f.url.startswith(("http://", "https://")) for f in feeds)


@needs_corpus
@pytest.mark.parametrize("relative", corpus_opml("illformed"))
def test_broken_opml_is_an_error_and_imports_nothing(store: SQLiteStore, relative: str) -> None:
    with pytest.raises(OPMLError):
        import_opml(store, CORPUS / relative)
    assert store.get_feeds() == []


@needs_corpus
def test_nested_folders_become_feed_tags(store: SQLiteStore) -> None:
    report = import_opml(store, CORPUS / "opml/infosec-opml/inoreader-export-feeds.xml")
    assert len(report.added) > 50
    tagged = [f for f in store.get_feeds() if f.tags]
    assert tagged and all(len(f.tags) >= 1 for f in tagged)


@needs_corpus
def test_pipe_and_filter_urls_are_skipped_with_a_reason(store: SQLiteStore) -> None:
    report = import_opml(store, CORPUS / "opml/newsboat/piped.opml")
    assert report.added == ("https://example.com/feed.atom",)
    assert report.skipped == (("|~/fetch_tweets.py", "not an http or https URL"),)
    assert store.get_feed("https://example.com/feed.atom").tags == ("tagged",)


def test_import_skips_duplicates_in_the_file_and_in_the_store(
    store: SQLiteStore, tmp_path: Path
) -> None:
    path = tmp_path / "list.opml"
    path.write_text(
        """<?xml version="1.0"?>
<opml version="2.0"><head><title>t</title></head><body>
  <outline text="NATO"><outline type="rss" text="A" xmlUrl="https://a.example/feed"/></outline>
  <outline type="rss" text="A again" xmlurl="https://a.example/feed"/>
  <outline type="rss" text="B" xmlUrl="https://b.example/feed"/>
</body></opml>""",
        encoding="utf-8",
    )
    store.add_feed("https://b.example/feed")
    report = import_opml(store, path)
    assert report.added == ("https://a.example/feed",)
    assert report.duplicates == ("https://a.example/feed", "https://b.example/feed")
    assert store.get_feed("https://a.example/feed").tags == ("NATO",)


def test_export_round_trips_through_import(store: SQLiteStore, tmp_path: Path) -> None:
    store.add_feed("https://a.example/feed", title="A & co", tags=["NATO", "Japan"])
    store.add_feed("https://b.example/feed?x=1&y=2", title="B")
    store.add_feed("https://c.example/feed", tags=["NATO"])
    exported = tmp_path / "out.opml"
    exported.write_text(export_opml(store.get_feeds()), encoding="utf-8")

    document = parse_opml(exported)

    got = {(f.url, f.title, f.tags) for f in document.feeds}
    assert got == {
        ("https://a.example/feed", "A & co", ("Japan", "NATO")),
        ("https://b.example/feed?x=1&y=2", "B", ()),
        ("https://c.example/feed", "https://c.example/feed", ("NATO",)),
    }


def test_missing_and_empty_files_are_named(tmp_path: Path) -> None:
    with pytest.raises(OPMLError, match=r"missing\.opml: cannot read"):
        parse_opml(tmp_path / "missing.opml")
    empty = tmp_path / "empty.opml"
    empty.write_bytes(b"")
    with pytest.raises(OPMLError, match=r"empty\.opml: empty file"):
        parse_opml(empty)


def test_the_topic_feed_list_is_usable() -> None:
    document = parse_opml(PROJECT / "config" / "feeds.opml")
    assert len(document.feeds) >= 20
    assert not document.skipped
    assert all(f.tags for f in document.feeds)  # every feed sits in a folder
