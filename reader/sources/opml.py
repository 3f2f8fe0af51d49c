"""OPML subscription lists: import (folders become feed tags) and export (round-trips).

Import reads the whole file before writing anything, so a broken file imports nothing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from reader.exceptions import FeedExistsError, OPMLError
from reader.models import Feed
from reader.store.base import Store
from reader.textsafe import plain

_KNOWN_VERSIONS = {"1.0", "1.1", "2.0"}


@dataclass(frozen=True)
class OPMLFeed:
    """One subscription found in an OPML file."""

    url: str
    title: str | None = None
    html_url: str | None = None
    tags: tuple[str, ...] = ()
    """The folders it sits in (outermost first) and its `category` entries."""


@dataclass(frozen=True)
class OPMLDocument:
    title: str | None
    feeds: tuple[OPMLFeed, ...]
    skipped: tuple[tuple[str, str], ...] = ()
    """(url, reason) for outlines that are not fetchable feeds."""


@dataclass(frozen=True)
class OPMLImportReport:
    path: Path
    added: tuple[str, ...] = ()
    duplicates: tuple[str, ...] = ()
    """Already subscribed, or listed twice in the file."""
    skipped: tuple[tuple[str, str], ...] = ()
    tagged: dict[str, tuple[str, ...]] = field(default_factory=dict)


def _attr(element: ET.Element, name: str) -> str | None:
    """An attribute by name, case-insensitively (exports spell xmlUrl every way)."""
    lowered = name.lower()
    for key, value in element.attrib.items():
        if key.lower() == lowered:
            value = plain(value)
            return value or None
    return None


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

    feeds: list[OPMLFeed] = []
    skipped: list[tuple[str, str]] = []

    def walk(parent: ET.Element, folders: tuple[str, ...]) -> None:
        for outline in parent.findall("outline"):
            url = _attr(outline, "xmlUrl")
            label = _attr(outline, "title") or _attr(outline, "text")
            if url is None:
                walk(outline, folders + ((label,) if label else ()))
                continue
            scheme = urlsplit(url).scheme.lower()
            if scheme not in ("http", "https"):
                skipped.append((url, "not an http or https URL"))
                continue
            categories = _categories(_attr(outline, "category"))
            feeds.append(
                OPMLFeed(
                    url=url,
                    title=label,
                    html_url=_attr(outline, "htmlUrl"),
                    tags=_unique(folders + categories),
                )
            )
            walk(outline, folders)

    walk(body, ())
    if not feeds and not skipped:
        raise OPMLError(path, "holds no feeds (no outline has an xmlUrl)")
    return OPMLDocument(
        title=plain(head_title) if head_title else None, feeds=tuple(feeds), skipped=tuple(skipped)
    )


def import_opml(store: Store, path: Path) -> OPMLImportReport:
    """Subscribe to every feed in the file; feeds already there (or listed twice) are skipped."""
    document = parse_opml(path)
    existing = {feed.url for feed in store.get_feeds()}
    added: list[str] = []
    duplicates: list[str] = []
    tagged: dict[str, tuple[str, ...]] = {}
    for entry in document.feeds:
        if entry.url in existing:
            duplicates.append(entry.url)
            continue
        try:
            store.add_feed(entry.url, title=entry.title, tags=entry.tags)
        except FeedExistsError:
            duplicates.append(entry.url)
            continue
        existing.add(entry.url)
        added.append(entry.url)
        if entry.tags:
            tagged[entry.url] = entry.tags
    return OPMLImportReport(
        path=path,
        added=tuple(added),
        duplicates=tuple(duplicates),
        skipped=document.skipped,
        tagged=tagged,
    )


def export_opml(feeds: Iterable[Feed], *, title: str = "reader subscriptions") -> str:
    """An OPML 2.0 document: feeds in a folder named by their first tag, all tags in `category`."""
    root = ET.Element("opml", version="2.0")
    head = ET.SubElement(root, "head")
    ET.SubElement(head, "title").text = title
    body = ET.SubElement(root, "body")
    folders: dict[str, ET.Element] = {}
    for feed in feeds:
        if feed.is_seeds:
            continue
        attrs = {"type": "rss", "text": feed.name, "title": feed.name, "xmlUrl": feed.url}
        if feed.link:
            attrs["htmlUrl"] = feed.link
        if feed.tags:
            attrs["category"] = ",".join("/" + t for t in feed.tags)
            folder = feed.tags[0]
            if folder not in folders:
                folders[folder] = ET.SubElement(body, "outline", text=folder, title=folder)
            parent = folders[folder]
        else:
            parent = body
        ET.SubElement(parent, "outline", attrs)
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _categories(value: str | None) -> tuple[str, ...]:
    """OPML 2.0 `category`: comma-separated slash paths; each path's parts become tags."""
    if not value:
        return ()
    tags: list[str] = []
    for entry in value.split(","):
        tags += [part.strip() for part in entry.split("/") if part.strip()]
    return tuple(tags)


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, str] = {}
    for value in values:
        seen.setdefault(value.casefold(), value)
    return tuple(seen.values())
