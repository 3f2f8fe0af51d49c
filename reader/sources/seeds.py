"""Seed articles: plain-text news articles that define the topic, imported as items.

A seed file is what a person pasted from a news page: maybe a headline, maybe a header block
(outlet, editor, a date, a byline), paragraphs (sometimes hard-wrapped mid-sentence), and
trailing page furniture (`Source link`, `Related News`, `More related stories:`,
`Sources include:` lists). `parse_seed` turns that into fields and a clean body;
`import_seeds` writes every `*.txt` of a folder into the built-in `seeds` source, keyed by
file name so a re-import updates in place and never duplicates.
"""

from __future__ import annotations

import hashlib
import html
import os
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from reader.exceptions import SeedFileError
from reader.models import ItemWrite
from reader.store.base import Store
from reader.textsafe import plain, strip_controls

TITLE_MAX_CHARS = 120
"""A title made from a first sentence is trimmed to this, at a word boundary."""

MAX_FILE_BYTES = 1024 * 1024
"""The default cap on a seed file (`[seeds] max_file_bytes`): a pasted article is a few KiB;
a 50 MB file took most of a minute and 1.4 GB to import, and made every search crawl."""

_HEADLINE_MAX_CHARS = 160
_HEADLINE_MAX_WORDS = 25
_HEADER_LINE_MAX_WORDS = 8
_SENTENCE_END = tuple('.!?:"”’)')
_URL = re.compile(r"https?://\S+")
_BYLINE = re.compile(r"^by\s+(?P<name>[^.]{2,80})$", re.IGNORECASE)
_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december|"
    "jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_DATE_PATTERNS: tuple[tuple[re.Pattern[str], tuple[str, ...]], ...] = (
    (
        re.compile(r"^\d{4}-\d{2}-\d{2}(?:[ T]\d{2}:\d{2}(?::\d{2})?)?(?:\s*(?:UTC|GMT|Z))?$"),
        ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"),
    ),
    (
        re.compile(rf"^(?:{_MONTHS})\.? \d{{1,2}}, \d{{4}}$", re.IGNORECASE),
        ("%B %d, %Y", "%b %d, %Y"),
    ),
    (
        re.compile(rf"^\d{{1,2}} (?:{_MONTHS})\.? \d{{4}}$", re.IGNORECASE),
        ("%d %B %Y", "%d %b %Y"),
    ),
)
# Lines of page furniture that end the article: everything from here on is not body text.
_TRAILER_MARKERS = ("related news", "more related stories:", "related stories:", "sources include:")
_SOURCE_LINK = re.compile(r"^source link\b:?\s*(?P<url>https?://\S+)?\s*$", re.IGNORECASE)
_READ_MORE = re.compile(r"^read more:", re.IGNORECASE)


@dataclass(frozen=True)
class SeedArticle:
    """The fields found in one seed file."""

    identity: str
    """The file name: the seed's stable identity."""
    title: str
    """The headline, or a title made from the first sentence."""
    paragraphs: tuple[str, ...]
    """The body, one entry per paragraph."""
    author: str | None = None
    """From a `By ...` byline."""
    published: datetime | None = None
    """A date written in the header, in UTC (a date without a zone is taken as UTC)."""
    link: str | None = None
    """A `Source link` URL, when the file has one."""
    source_names: tuple[str, ...] = ()
    """The outlet named in the header and the `Sources include:` list."""
    related: tuple[str, ...] = ()
    """Headlines listed under `More related stories:` (not body text)."""

    @property
    def text(self) -> str:
        return "\n\n".join(self.paragraphs)

    @property
    def html(self) -> str:
        return "".join(f"<p>{html.escape(p, quote=False)}</p>" for p in self.paragraphs)

    def to_item(self) -> ItemWrite:
        """The item the store keeps for this seed."""
        digest = hashlib.sha256()
        for part in (
            self.title,
            self.text,
            self.author or "",
            self.published.isoformat() if self.published else "",
            self.link or "",
            "\x1f".join(self.source_names),
        ):
            digest.update(part.encode("utf-8"))
            digest.update(b"\x00")
        return ItemWrite(
            identity=self.identity,
            title=self.title,
            link=self.link,
            author=self.author,
            published=self.published,
            updated=None,
            content_html=self.html,
            text=self.text,
            content_hash=digest.hexdigest(),
            source_names=self.source_names,
        )


@dataclass(frozen=True)
class SeedImportReport:
    """What `import_seeds` did."""

    directory: Path
    new: tuple[str, ...] = ()
    updated: tuple[str, ...] = ()
    unchanged: tuple[str, ...] = ()
    errors: tuple[SeedFileError, ...] = ()
    """Files that could not be imported (the others were)."""
    missing: tuple[str, ...] = ()
    """Seeds in the store whose file is gone: reported, kept."""
    item_ids: dict[str, int] = field(default_factory=dict)
    """Store ids of the imported seeds, by file name."""

    @property
    def imported(self) -> int:
        return len(self.new) + len(self.updated) + len(self.unchanged)


def _size(count: int) -> str:
    """A byte count for messages: "812 bytes", "3.5 KiB", "50.0 MiB"."""
    if count < 1024:
        return f"{count} bytes"
    if count < 1024 * 1024:
        return f"{count / 1024:.1f} KiB"
    return f"{count / (1024 * 1024):.1f} MiB"


def read_seed_file(path: Path, *, max_bytes: int = MAX_FILE_BYTES) -> str:
    """The text of a seed file; raise `SeedFileError` if it is unreadable, larger than
    `max_bytes` (checked before reading it), not UTF-8 or empty."""
    try:
        with path.open("rb") as handle:
            size = os.fstat(handle.fileno()).st_size
            # Read one byte past the cap: a file that grows, or a device, is caught too.
            raw = b"" if size > max_bytes else handle.read(max_bytes + 1)
    except OSError as exc:
        raise SeedFileError(path, f"cannot read: {exc.strerror or exc}") from None
    if size > max_bytes or len(raw) > max_bytes:
        raise SeedFileError(
            path,
            f"{_size(max(size, len(raw)))} is over the {_size(max_bytes)} cap on a seed file"
            " ([seeds] max_file_bytes); a seed is one article: split the file or raise the cap",
        )
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise SeedFileError(path, f"not UTF-8 text (bad byte at offset {exc.start})") from None
    if not text.strip():
        raise SeedFileError(path, "empty file")
    return text


def parse_seed(text: str, identity: str) -> SeedArticle:
    """Split a seed article into headline, header fields, body paragraphs and trailer fields."""
    lines = [strip_controls(line).strip() for line in text.replace("\r\n", "\n").split("\n")]
    body_lines, source_names, related, link = _cut_trailer(lines)

    first = _first_content_index(body_lines)
    if first is None:
        raise ValueError("no text")
    headline: str | None = None
    if _looks_like_headline(body_lines[first]):
        headline = plain(body_lines[first])
        body_lines = body_lines[first + 1 :]

    header, body_lines = _cut_header(body_lines)
    outlet_names = tuple(header.outlets)
    paragraphs = tuple(_paragraphs(body_lines))
    if not paragraphs:
        raise ValueError("no body text")
    title = headline or _title_from(paragraphs[0])
    return SeedArticle(
        identity=identity,
        title=title,
        paragraphs=paragraphs,
        author=header.author,
        published=header.published,
        link=link,
        source_names=_unique(outlet_names + source_names),
        related=related,
    )


def import_seeds(
    store: Store,
    directory: Path,
    *,
    now: datetime | None = None,
    max_file_bytes: int = MAX_FILE_BYTES,
) -> SeedImportReport:
    """Load every `*.txt` in `directory` into the seeds source; bad files (unreadable, over
    `max_file_bytes`, not an article) are reported and the others imported."""
    if not directory.is_dir():
        raise SeedFileError(directory, "no such folder")
    now = now or datetime.now(UTC)
    source = store.seeds_source()
    known = store.get_item_versions(source.id)
    items: list[ItemWrite] = []
    errors: list[SeedFileError] = []
    for path in sorted(directory.glob("*.txt")):
        try:
            article = parse_seed(read_seed_file(path, max_bytes=max_file_bytes), path.name)
        except SeedFileError as exc:
            errors.append(exc)
            continue
        except ValueError as exc:
            errors.append(SeedFileError(path, f"no article text found ({exc})"))
            continue
        items.append(article.to_item())

    new = [i.identity for i in items if i.identity not in known]
    updated = [
        i.identity
        for i in items
        if i.identity in known and known[i.identity].content_hash != i.content_hash
    ]
    unchanged = [
        i.identity
        for i in items
        if i.identity in known and known[i.identity].content_hash == i.content_hash
    ]
    if new or updated:
        store.write_items(source.id, [i for i in items if i.identity not in unchanged], now=now)
    present = {i.identity for i in items} | {e.path.name for e in errors}
    missing = sorted(name for name, v in known.items() if not v.deleted and name not in present)
    ids = store.get_item_ids(source.id)
    return SeedImportReport(
        directory=directory,
        new=tuple(new),
        updated=tuple(updated),
        unchanged=tuple(unchanged),
        errors=tuple(errors),
        missing=tuple(missing),
        item_ids={i.identity: ids[i.identity] for i in items if i.identity in ids},
    )


# -- the parts ------------------------------------------------------------------------------


@dataclass
class _Header:
    outlets: list[str] = field(default_factory=list)
    author: str | None = None
    published: datetime | None = None


def _cut_trailer(
    lines: list[str],
) -> tuple[list[str], tuple[str, ...], tuple[str, ...], str | None]:
    """Remove page furniture: returns body lines, source names, related headlines, link."""
    sources: list[str] = []
    related: list[str] = []
    link: str | None = None
    kept: list[str] = []
    mode: str | None = None
    for line in lines:
        lowered = line.lower()
        source_link = _SOURCE_LINK.match(line)
        if source_link:
            link = link or source_link.group("url")
            mode = mode or "end"
            continue
        if lowered in _TRAILER_MARKERS:
            mode = "sources" if lowered == "sources include:" else "related"
            continue
        if mode == "sources":
            if line:
                sources.append(plain(line))
            continue
        if mode == "related":
            if line:
                related.append(plain(line))
            continue
        if mode == "end":
            if line and link is None and _URL.fullmatch(line):
                link = line
            elif line:
                # Text after a `Source link` line is still article text; keep it.
                mode = None
                kept.append(line)
            continue
        if _READ_MORE.match(line):
            related.append(plain(line.split(":", 1)[1]))
            continue
        kept.append(line)
    return kept, tuple(sources), tuple(related), link


def _first_content_index(lines: Sequence[str]) -> int | None:
    for index, line in enumerate(lines):
        if line:
            return index
    return None


def _looks_like_headline(line: str) -> bool:
    """A short first line without a final period is a headline."""
    words = line.split()
    return (
        len(line) <= _HEADLINE_MAX_CHARS
        and len(words) <= _HEADLINE_MAX_WORDS
        and not line.endswith((".", ":", ";", ","))
    )


def _parse_date(line: str) -> datetime | None:
    text = re.sub(r"\s*(?:UTC|GMT|Z)$", "", line.strip(), flags=re.IGNORECASE)
    text = text.replace("T", " ") if re.match(r"^\d{4}-", text) else text
    for pattern, formats in _DATE_PATTERNS:
        if pattern.match(line.strip()):
            for fmt in formats:
                try:
                    return datetime.strptime(text.replace(".", ""), fmt).replace(tzinfo=UTC)
                except ValueError:
                    continue
    return None


def _cut_header(lines: list[str]) -> tuple[_Header, list[str]]:
    """Read the short lines before the first paragraph: outlet, editor, date, byline.

    The header ends at the first line that reads like prose (long, or ending a sentence).
    Short lines that are neither a date nor a byline name the outlet first; later ones are
    editor credits, which are not body text.
    """
    header = _Header()
    index = 0
    seen_fields = False
    short_lines: list[str] = []
    while index < len(lines):
        line = lines[index]
        if not line:
            index += 1
            continue
        date = _parse_date(line)
        byline = _BYLINE.match(line)
        if date is not None:
            header.published = header.published or date
            seen_fields = True
        elif byline and len(line.split()) <= _HEADER_LINE_MAX_WORDS:
            header.author = header.author or plain(byline.group("name"))
            seen_fields = True
        elif len(line.split()) <= _HEADER_LINE_MAX_WORDS and not line.endswith(_SENTENCE_END):
            short_lines.append(plain(line))
        else:
            break
        index += 1
    if not seen_fields:
        # Without a date or byline, short lines are body text (a caption, a subhead).
        return header, lines
    if short_lines:
        header.outlets.append(short_lines[0])
    return header, lines[index:]


def _paragraphs(lines: Sequence[str]) -> list[str]:
    """Join hard-wrapped lines: a line that does not end a sentence continues on the next."""
    paragraphs: list[str] = []
    current: list[str] = []
    for line in lines:
        if not line:
            if current:
                paragraphs.append(plain(" ".join(current)))
                current = []
            continue
        current.append(line)
        if line.endswith(_SENTENCE_END):
            paragraphs.append(plain(" ".join(current)))
            current = []
    if current:
        paragraphs.append(plain(" ".join(current)))
    return [p for p in paragraphs if p]


_SENTENCE_BREAK = re.compile(r"(?<=[.!?])[\"”’]?\s+(?=[\"“‘(]?[A-Z0-9])")


def _title_from(paragraph: str) -> str:
    """The first sentence, trimmed at a word boundary to `TITLE_MAX_CHARS`."""
    sentence = _SENTENCE_BREAK.split(paragraph, maxsplit=1)[0].strip()
    if len(sentence) <= TITLE_MAX_CHARS:
        return sentence.rstrip(".")
    cut = sentence[: TITLE_MAX_CHARS + 1]
    space = cut.rfind(" ")
    cut = cut[:space] if space > TITLE_MAX_CHARS // 2 else cut[:TITLE_MAX_CHARS]
    return cut.rstrip(" ,;:—-") + "…"


def _unique(values: Sequence[str]) -> tuple[str, ...]:
    seen: dict[str, None] = {}
    for value in values:
        if value and value.casefold() not in {v.casefold() for v in seen}:
            seen[value] = None
    return tuple(seen)
