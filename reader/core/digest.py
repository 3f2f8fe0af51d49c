"""Digests and the Topic feed: what the topic brought, for a mail, a browser or another reader.

`build_digest` groups the period's items by story (pure); `digest_markdown` and `digest_html`
render it (the HTML is a whole, standalone, escaped document); `topic_atom` writes the Topic
view as an Atom 1.0 feed any reader or phone can follow.
"""

from __future__ import annotations

import html
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from reader import __version__
from reader.models import Item
from reader.textsafe import plain

ATOM = "http://www.w3.org/2005/Atom"
ENTRY_NAMESPACE = uuid.UUID("6f1c1f1e-4c5e-4d7a-9a55-2f3c7c1d2b10")
"""Entry ids are name-based UUIDs in this project's namespace: stable for an item's life."""


@dataclass(frozen=True)
class DigestStory:
    """One story of a digest: its best item, and every source that reported it."""

    title: str
    link: str | None
    """The best item's link."""
    score: float | None
    """The best item's topic score."""
    sources: tuple[str, ...]
    items: tuple[Item, ...]
    """Best-scored first."""


@dataclass(frozen=True)
class Digest:
    since: datetime
    until: datetime
    stories: tuple[DigestStory, ...]
    """Best first: score, then how many sources reported it."""


def build_digest(
    items: Sequence[Item],
    *,
    since: datetime,
    until: datetime,
    min_score: float | None = None,
    limit: int = 30,
) -> Digest:
    """The top `limit` stories among `items` (items without a story stand alone)."""
    groups: dict[object, list[Item]] = {}
    for item in items:
        if min_score is not None and (item.score or 0.0) < min_score:
            continue
        key: object = item.story_id if item.story_id is not None else ("item", item.id)
        groups.setdefault(key, []).append(item)
    stories: list[DigestStory] = []
    for members in groups.values():
        members.sort(key=lambda i: (-(i.score or 0.0), -(i.date or since).timestamp()))
        best = members[0]
        sources = tuple(dict.fromkeys(i.source for i in members))
        stories.append(
            DigestStory(
                title=plain(best.title or "(untitled)"),
                link=best.link,
                score=best.score,
                sources=sources,
                items=tuple(members),
            )
        )
    stories.sort(key=lambda s: (-(s.score or 0.0), -len(s.sources), s.title))
    return Digest(since=since, until=until, stories=tuple(stories[:limit]))


def _when(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


def _score(value: float | None) -> str:
    return "unscored" if value is None else f"{value:.2f}"


def _md(text: str) -> str:
    """Text safe inside Markdown link text and lines."""
    return "".join("\\" + c if c in "\\`*_[]<>#|" else c for c in plain(text))


def digest_markdown(digest: Digest) -> str:
    lines = [
        f"# Topic digest: {_when(digest.since)} to {_when(digest.until)}",
        "",
        f"{len(digest.stories)} stories, best first.",
        "",
    ]
    for number, story in enumerate(digest.stories, start=1):
        title = _md(story.title)
        head = f"[{title}](<{story.link}>)" if story.link else title
        lines.append(f"{number}. **{head}** (score {_score(story.score)})")
        lines.append(f"   Sources: {', '.join(_md(s) for s in story.sources)}")
        for item in story.items[1:4]:
            other = _md(item.title or "(untitled)")
            linked = f"[{other}](<{item.link}>)" if item.link else other
            lines.append(f"   - {linked} ({_md(item.source)})")
        lines.append("")
    if not digest.stories:
        lines.append("Nothing on the topic in this period.")
    return "\n".join(lines).rstrip() + "\n"


_STYLE = """
body { font: 16px/1.5 system-ui, sans-serif; max-width: 46rem; margin: 2rem auto; padding: 0 1rem;
  color: #1d1d1f; }
h1 { font-size: 1.4rem; } ol { padding-left: 1.4rem; } li.story { margin-bottom: 1.2rem; }
.meta { color: #555; font-size: .9rem; } .score { font-variant-numeric: tabular-nums; }
ul.others { margin: .3rem 0 0; padding-left: 1.1rem; font-size: .95rem; }
"""


def digest_html(digest: Digest) -> str:
    """A whole HTML5 document; every text from the network is escaped."""
    e = html.escape
    title = f"Topic digest: {_when(digest.since)} to {_when(digest.until)}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en">',
        "<head>",
        '<meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{e(title)}</title>",
        f"<style>{_STYLE}</style>",
        "</head>",
        "<body>",
        f"<h1>{e(title)}</h1>",
        f'<p class="meta">{len(digest.stories)} stories, best first.</p>',
    ]
    if digest.stories:
        parts.append('<ol class="stories">')
        for story in digest.stories:
            head = e(story.title)
            if story.link:
                head = f'<a href="{e(story.link)}">{head}</a>'
            parts.append(f'<li class="story"><strong>{head}</strong>')
            parts.append(
                f'<div class="meta">Score <span class="score">{_score(story.score)}</span>'
                f" · Sources: {e(', '.join(plain(s) for s in story.sources))}</div>"
            )
            others = story.items[1:4]
            if others:
                parts.append('<ul class="others">')
                for item in others:
                    text = e(plain(item.title or "(untitled)"))
                    if item.link:
                        text = f'<a href="{e(item.link)}">{text}</a>'
                    parts.append(
                        f'<li>{text} <span class="meta">{e(plain(item.source))}</span></li>'
                    )
                parts.append("</ul>")
            parts.append("</li>")
        parts.append("</ol>")
    else:
        parts.append("<p>Nothing on the topic in this period.</p>")
    parts += ["</body>", "</html>"]
    return "\n".join(parts) + "\n"


def _atom_time(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z")


def entry_id(item: Item) -> str:
    return f"urn:uuid:{uuid.uuid5(ENTRY_NAMESPACE, f'{item.source_id}/{item.identity}')}"


def topic_atom(items: Sequence[Item], *, title: str, now: datetime) -> str:
    """The items (best first, with bodies) as an Atom 1.0 document."""
    ET.register_namespace("", ATOM)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    feed = ET.Element(f"{{{ATOM}}}feed")
    sub(feed, "id", f"urn:uuid:{uuid.uuid5(ENTRY_NAMESPACE, 'topic')}")
    sub(feed, "title", title)
    sub(feed, "subtitle", "Items ranked by how on-topic they are")
    dates = [i.date for i in items if i.date is not None]
    sub(feed, "updated", _atom_time(max(dates) if dates else now))
    sub(feed, "generator", "topic-reader", version=__version__)
    for item in items:
        entry = sub(feed, "entry")
        sub(entry, "id", entry_id(item))
        sub(entry, "title", plain(item.title or "(untitled)"))
        if item.link:
            sub(entry, "link", href=item.link, rel="alternate")
        sub(entry, "updated", _atom_time(item.updated or item.date or now))
        if item.published is not None:
            sub(entry, "published", _atom_time(item.published))
        author = sub(entry, "author")
        sub(author, "name", plain(item.author or item.source))
        source = sub(entry, "source")
        sub(source, "title", plain(item.source))
        for tag in item.tags:
            sub(entry, "category", term=plain(tag))
        summary = " ".join((item.summary or item.text or "").split())[:600]
        score = "unscored" if item.score is None else f"{item.score:.2f}"
        sub(entry, "summary", f"[topic score {score}] {plain(summary)}".strip())
        if item.content_html:
            sub(entry, "content", item.content_html, type="html")
    ET.indent(feed)
    return '<?xml version="1.0" encoding="utf-8"?>\n' + ET.tostring(feed, encoding="unicode") + "\n"
