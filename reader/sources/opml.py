"""OPML subscription lists: import (every folder a feed is in becomes a tag) and export
(one folder per tag), so tags survive a round trip through us and through other readers.

Import reads the whole file before writing anything, so a broken file imports nothing. Names
are read as Newsboat and most exporters write them: `text` before `title`, folder names whole
(``tag/three`` is one tag), `category` a comma-separated list of names. A feed listed several
times (in several folders, or with its scheme or host in another case) is one feed with every
folder's tag.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from reader.exceptions import FeedExistsError, OPMLError
from reader.models import Feed, tag_key
from reader.sources.urls import canonical_feed_url
from reader.store.base import Store
from reader.textsafe import plain

_KNOWN_VERSIONS = {"1.0", "1.1", "2.0"}


@dataclass(frozen=True)
class OPMLFeed:
    """One subscription found in an OPML file (all its listings merged)."""

    url: str
    """The feed's URL, scheme and host in lower case."""
    title: str | None = None
    html_url: str | None = None
    tags: tuple[str, ...] = ()
    """Every folder it sits in (each level of a nested folder is a tag) and its `category`
    entries, in the order first met."""


@dataclass(frozen=True)
class OPMLDocument:
    title: str | None
    feeds: tuple[OPMLFeed, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    """(url, reason) for outlines that are not fetchable feeds."""
    repeated: tuple[str, ...] = ()
    """URLs listed more than once (each repeat once), merged into one feed."""


@dataclass(frozen=True)
class OPMLImportReport:
    path: Path
    added: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()
    """Already subscribed, or listed twice in the file."""
    skipped: tuple[tuple[str, str], ...] = ()
    tagged: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Tags of the feeds added."""
    retagged: dict[str, tuple[str, ...]] = field(default_factory=dict)
    """Tags the file gave to feeds already subscribed (added; none are taken away)."""


def _attr(element: ET.Element, name: str) -> str | None:
    """An attribute by name, case-insensitively (exports spell xmlUrl every way)."""
    lowered = name.lower()
    for key, value in element.attrib.items():
        if key.lower() == lowered:
            value = plain(value)
            return value or None
    return None


def _label(outline: ET.Element) -> str | None:
    """What an outline is called: `text` (which OPML requires), else `title`."""
    text = _attr(outline, "text")
    return " ".join(text.split()) if text and text.strip() else _attr(outline, "title")


def parse_opml(path: Path) -> OPMLDocument:
    """Read an OPML file; raise `OPMLError` with a clear reason when it is unusable."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise OPMLError(path, f"cannot read: {exc.strerror or exc}") from None
    if not data.strip():
        raise OPMLError(path, "empty file")
    try:
        root = ET.fromstring(data)
    except ET.ParseError as exc:
        raise OPMLError(path, f"not well-formed XML: {exc}") from None
    if root.tag != "opml":
        raise OPMLError(path, f"not an OPML document (root element is <{root.tag}>)")
    version = root.get("version")
    if version is not None and version.strip() not in _KNOWN_VERSIONS:
        raise OPMLError(path, f"unsupported OPML version {version!r}")
    body = root.find("body")
    if body is None:
        raise OPMLError(path, "no <body> element")
    head_title = root.findtext("head/title")

    feeds: dict[str, OPMLFeed] = {}
    repeated: list[str] = []
    skipped: list[tuple[str, str]] = []

    def walk(parent: ET.Element, folders: tuple[str, ...]) -> None:
        for outline in parent.findall("outline"):
            raw_url = _attr(outline, "xmlUrl")
            label = _label(outline)
            if raw_url is None:
                walk(outline, folders + ((label,) if label else ()))
                continue
            if urlsplit(raw_url).scheme.lower() not in ("http", "https"):
                skipped.append((raw_url, "not an http or https URL"))
                continue
            url = canonical_feed_url(raw_url)
            tags = _unique(folders + _categories(_attr(outline, "category")))
            known = feeds.get(url)
            if known is None:
                feeds[url] = OPMLFeed(url, label, _attr(outline, "htmlUrl"), tags)
            else:
                repeated.append(url)
                feeds[url] = OPMLFeed(
                    url,
                    known.title or label,
                    known.html_url or _attr(outline, "htmlUrl"),
                    _unique(known.tags + tags),
                )
            walk(outline, folders)

    walk(body, ())
    if not feeds and not skipped:
        raise OPMLError(path, "holds no feeds (no outline has an xmlUrl)")
    return OPMLDocument(
        title=plain(head_title) if head_title else None,
        feeds=tuple(feeds.values()),
        skipped=tuple(skipped),
        repeated=tuple(repeated),
    )


def import_opml(store: Store, path: Path) -> OPMLImportReport:
    """Subscribe to every feed in the file. Feeds already there are not added again, but
    get the file's folders as tags too (none are taken away)."""
    document = parse_opml(path)
    existing = {canonical_feed_url(feed.url): feed for feed in store.get_feeds()}
    added: list[str] = []
    duplicates: list[str] = list(document.repeated)
    tagged: dict[str, tuple[str, ...]] = {}
    retagged: dict[str, tuple[str, ...]] = {}
    for entry in document.feeds:
        feed = existing.get(entry.url)
        if feed is None:
            try:
                feed = store.add_feed(entry.url, title=entry.title, tags=entry.tags)
            except FeedExistsError:
                feed = store.get_feed(entry.url)
            else:
                existing[entry.url] = feed
                added.append(entry.url)
                if entry.tags:
                    tagged[entry.url] = entry.tags
                continue
        duplicates.append(entry.url)
        have = {tag_key(t) for t in feed.tags}
        new_tags = tuple(t for t in entry.tags if tag_key(t) not in have)
        if new_tags:
            store.set_feed_tags(feed.url, (*feed.tags, *new_tags))
            retagged[feed.url] = new_tags
    return OPMLImportReport(
        path=path,
        added=tuple(added),
        duplicates=tuple(duplicates),
        skipped=document.skipped,
        tagged=tagged,
        retagged=retagged,
    )


def export_opml(feeds: Iterable[Feed], *, title: str = "reader subscriptions") -> str:
    """An OPML 2.0 document with one folder per tag: a feed with three tags is listed in
    three folders (what Feedly, Inoreader and NewsBlur write); untagged feeds at the top."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    by_tag: dict[str, list[Feed]] = {}
    untagged: list[Feed] = []
    for feed in feeds:
        if feed.is_seeds:
            continue
        for tag in feed.tags:
            by_tag.setdefault(tag, []).append(feed)
        if not feed.tags:
            untagged.append(feed)
    for tag in sorted(by_tag, key=str.casefold):
        folder = ET.SubElement(body, "outline", text=tag, title=tag)
        for feed in by_tag[tag]:
            _feed_outline(folder, feed)
    for feed in untagged:
        _feed_outline(body, feed)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _feed_outline(parent: ET.Element, feed: Feed) -> None:
    attrs = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
    if feed.link:
        attrs["htmlUrl"] = feed.link
    ET.SubElement(parent, "outline", attrs)


def _categories(value: str | None) -> tuple[str, ...]:
    """`category`: names separated by commas. A name is kept whole (``tag/three`` is one
    tag, as Newsboat writes it); the leading slash of an OPML 2.0 path is dropped."""
    if not value:
        return ()
    names = (" ".join(entry.split()).removeprefix("/").strip() for entry in value.split(","))
    return tuple(name for name in names if name)


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(tag_key(value), value)
    return tuple(seen.values())
