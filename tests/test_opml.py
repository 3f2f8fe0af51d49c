"""OPML import and export: real exports from other readers, broken files, round trips."""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from reader.exceptions import OPMLError
from reader.sources.opml import export_opml, import_opml, parse_opml
from reader.store import SQLiteStore, open_store

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


# -- tags that round-trip (every folder a tag, one folder per tag on the way out) ---------------

INOREADER = "opml/infosec-opml/inoreader-export-feeds.xml"
NEWSBOAT = shutil.which("newsboat")
needs_newsboat = pytest.mark.skipif(NEWSBOAT is None, reason="newsboat is not installed")


def folders_of_every_feed(path: Path) -> dict[str, list[str]]:
    """Independently of the importer: each feed URL and the names (text, else title) of every
    folder around each of its listings, in document order."""
    found: dict[str, list[str]] = {}

    def walk(element: ET.Element, folders: list[str]) -> None:
        for outline in element.findall("outline"):
            url = outline.get("xmlUrl")
            name = outline.get("text") or outline.get("title")
            if url is None:
                walk(outline, folders + ([name] if name else []))
            elif url.startswith(("http://", "https://")):
                have = found.setdefault(url, [])
                have += [f for f in folders if f.casefold() not in {h.casefold() for h in have}]

    body = ET.parse(path).getroot().find("body")
    assert body is not None
    walk(body, [])
    return found


@needs_corpus
def test_a_feed_in_several_folders_gets_every_folder_as_a_tag(store: SQLiteStore) -> None:
    path = CORPUS / INOREADER
    expected = folders_of_every_feed(path)
    in_several = [u for u, folders in expected.items() if len(folders) > 1]
    assert (len(expected), len(in_several)) == (340, 136)  # 341 less one e-mail address
    report = import_opml(store, path)
    assert len(report.added) == len(expected)
    got = {f.url: list(f.tags) for f in store.get_feeds()}
    assert {u: sorted(t, key=str.casefold) for u, t in got.items()} == {
        u: sorted(t, key=str.casefold) for u, t in expected.items()
    }
    assert sum(len(t) > 1 for t in got.values()) == len(in_several)


@needs_corpus
def test_newsboat_categories_are_split_on_commas_only(store: SQLiteStore) -> None:
    import_opml(store, CORPUS / "opml/newsboat/category.opml")
    [feed] = store.get_feeds()
    assert feed.tags == tuple(sorted(("tag one", "tag_two", "tag/three"), key=str.casefold))


@needs_corpus
def test_category_entries_join_the_folder_tags() -> None:
    document = parse_opml(CORPUS / "opml/rome/opml_2.0.xml")
    [slashdot] = [f for f in document.feeds if f.title == "Slashdot"]
    assert slashdot.tags == ("Subscriptions", "nerdy", "foo", "bar", "baz")


def test_opml_2_category_paths_are_one_tag_each(tmp_path: Path) -> None:
    path = tmp_path / "paths.opml"
    path.write_text(
        '<opml version="2.0"><body><outline text="x" xmlUrl="https://a.example/feed"'
        ' category="/Philosophy/Baseball/Mets,/Tourism/New York"/></body></opml>',
        encoding="utf-8",
    )
    [feed] = parse_opml(path).feeds
    assert feed.tags == ("Philosophy/Baseball/Mets", "Tourism/New York")


@needs_corpus
def test_text_is_read_before_title(store: SQLiteStore) -> None:
    import_opml(store, CORPUS / "opml/newsboat/example.opml")
    assert store.get_feed("https://blogs.example.com/~john/posts.rss").tags == ("Blogs",)
    assert store.get_feed("https://blogs.example.com/~mike/.rss").tags == ("Blogs", "friends")
    assert "should be ignored" not in {t.name for t in store.get_tags()}


@needs_corpus
def test_urls_differing_only_in_scheme_or_host_case_are_one_feed(
    store: SQLiteStore, tmp_path: Path
) -> None:
    original = CORPUS / "opml/netnewswire/Subs.opml"
    shouted = tmp_path / "Subs-upper.opml"  # the same list, scheme and host in upper case
    shouted.write_text(
        re.sub(
            r'xmlUrl="(https?)://([^/"]+)',
            lambda m: f'xmlUrl="{m.group(1).upper()}://{m.group(2).upper()}',
            original.read_text(encoding="utf-8"),
        ),
        encoding="utf-8",
    )
    first = import_opml(store, original)
    again = import_opml(store, shouted)
    assert len(first.added) == 207 and again.added == ()
    assert len(again.duplicates) == 207 and len(store.get_feeds()) == 207
    mixed = tmp_path / "mixed.opml"
    mixed.write_text(
        '<opml version="2.0"><body>'
        '<outline text="A"><outline text="x" xmlUrl="HTTP://Host.Example/x"/></outline>'
        '<outline text="B"><outline text="x" xmlUrl="http://host.example/x"/></outline>'
        "</body></opml>",
        encoding="utf-8",
    )
    [feed] = parse_opml(mixed).feeds
    assert (feed.url, feed.tags) == ("http://host.example/x", ("A", "B"))


def test_importing_again_adds_new_folders_to_feeds_already_there(
    store: SQLiteStore, tmp_path: Path
) -> None:
    store.add_feed("https://a.example/feed", tags=["Mine"])
    path = tmp_path / "list.opml"
    path.write_text(
        '<opml version="2.0"><body><outline text="News, World">'
        '<outline text="A" xmlUrl="https://A.example/feed"/></outline></body></opml>',
        encoding="utf-8",
    )
    report = import_opml(store, path)
    assert report.retagged == {"https://a.example/feed": ("News, World",)}
    assert store.get_feed("https://a.example/feed").tags == ("Mine", "News, World")


@needs_corpus
def test_export_writes_one_folder_per_tag_and_round_trips_every_tag(
    store: SQLiteStore, tmp_path: Path
) -> None:
    import_opml(store, CORPUS / INOREADER)
    before = {f.url: set(f.tags) for f in store.get_feeds()}
    exported = tmp_path / "out.opml"
    exported.write_text(export_opml(store.get_feeds()), encoding="utf-8")
    body = ET.parse(exported).getroot().find("body")
    assert body is not None
    for folder in body.findall("outline"):
        if folder.get("xmlUrl") is None:  # a folder holds feeds only, one level deep
            tag = folder.get("text")
            assert all(o.get("xmlUrl") and tag in before[o.get("xmlUrl", "")] for o in folder)
    placed = sum(len(folder) for folder in body.findall("outline") if folder.get("xmlUrl") is None)
    assert placed == sum(len(t) for t in before.values())  # a feed with 3 tags is in 3 folders
    with open_store(tmp_path / "again.db") as again:
        import_opml(again, exported)
        assert {f.url: set(f.tags) for f in again.get_feeds()} == before


def newsboat_import(opml: Path, home: Path) -> dict[str, list[str]]:
    """`newsboat -i` into an empty urls file; each URL with the tags Newsboat gave it."""
    assert NEWSBOAT is not None
    urls = home / "urls"
    subprocess.run(
        [NEWSBOAT, "-u", str(urls), "-c", str(home / "cache.db"), "-C", "/dev/null", "-i", opml],
        env={"HOME": str(home), "PATH": os.environ.get("PATH", "")},
        capture_output=True,
        timeout=60,
        check=True,
    )
    found: dict[str, list[str]] = {}
    for line in urls.read_text(encoding="utf-8").splitlines():
        url, *tags = shlex.split(line)
        found[url] = tags
    return found


@needs_corpus
@needs_newsboat
def test_newsboat_imports_our_export_with_every_feed_in_its_tags_folder(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """Newsboat 2.21 gives a feed the folder of its first listing only: its importer skips a
    URL it has already added (opml.cpp). So every single-tag feed arrives with its tag, and a
    feed with several arrives with the first of them (the folders are in name order)."""
    import_opml(store, CORPUS / INOREADER)
    feeds = store.get_feeds()
    exported = tmp_path / "ours.opml"
    exported.write_text(export_opml(feeds), encoding="utf-8")
    seen = newsboat_import(exported, tmp_path)
    assert set(seen) == {f.url for f in feeds}
    for feed in feeds:
        first = min(feed.tags, key=str.casefold)
        assert seen[feed.url] == [first], feed.url
    single = [f for f in feeds if len(f.tags) == 1]
    assert len(single) > 150 and all(seen[f.url] == list(f.tags) for f in single)
