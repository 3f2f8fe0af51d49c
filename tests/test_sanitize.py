"""Sanitizing: hostile HTML comes out inert, links are safe and absolute, text keeps paragraphs."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from reader.exceptions import ParseError
from reader.models import ParsedFeed
from reader.parse import parse_document
from reader.parse.sanitize import (
    html_to_text,
    nesting_exceeds,
    safe_link,
    sanitize_html,
    text_to_html,
)

CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpus"
BASE = "https://example.com/dir/page.html"

DANGEROUS = re.compile(
    r"<\s*(script|iframe|object|embed|applet|style|meta|link|frame|frameset|form|base)\b"
    r"|\son\w+\s*=|javascript:|vbscript:|data:text/html|expression\s*\(",
    re.IGNORECASE,
)
CONTROLS = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")


def corpus_files(kind: str) -> list[Path]:
    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        pytest.skip(f"feed corpus not found at {CORPUS}")
    rows = [line.split("\t") for line in manifest.read_text(encoding="utf-8").splitlines()]
    return [CORPUS / row[0] for row in rows if len(row) == 5 and row[4] == kind]


def assert_inert(feed: ParsedFeed) -> None:
    """No active markup in the HTML, no control characters anywhere."""
    for item in feed.items:
        assert item.content_html is None or not DANGEROUS.search(item.content_html), (
            item.content_html
        )
        for value in (
            item.identity,
            item.title,
            item.link,
            item.author,
            item.content_html,
            item.text,
            item.summary,
        ):
            assert value is None or not CONTROLS.search(value)
        assert item.link is None or item.link.startswith(("http://", "https://"))
    for value in (feed.title, feed.link, *feed.warnings):
        assert value is None or not CONTROLS.search(value)


def test_every_corpus_sanitize_file_comes_out_inert() -> None:
    files = corpus_files("sanitize")
    assert files
    parsed = 0
    for path in files:
        try:
            feed = parse_document(path.read_bytes(), url="http://sanitize.example.com/feed")
        except ParseError:
            continue
        parsed += 1
        assert_inert(feed)
    assert parsed > len(files) // 2


@pytest.mark.parametrize(
    "fragment",
    [
        "<script>alert(1)</script>",
        '<img src="x" onerror="alert(1)">',
        '<a href="javascript:alert(1)">x</a>',
        '<a href=" JaVaScRiPt:alert(1)">x</a>',
        '<iframe src="https://evil.example"></iframe>',
        '<object data="x.swf"></object><embed src="x.swf">',
        "<style>body{display:none}</style>",
        '<div style="position:absolute;background:url(javascript:alert(1))">x</div>',
        '<form action="https://evil.example"><input name="q"></form>',
        '<meta http-equiv="refresh" content="0;url=https://evil.example">',
        "<!--<script>alert(1)</script>-->",
        '<svg onload="alert(1)"><script>alert(1)</script></svg>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>',
    ],
)
def test_hostile_fragments_are_neutralized(fragment: str) -> None:
    cleaned = sanitize_html(fragment, base=BASE, max_chars=10_000)
    assert not DANGEROUS.search(cleaned), cleaned
    assert "alert(1)" not in cleaned or "<" not in cleaned


def test_only_http_https_and_mailto_links_survive() -> None:
    fragment = (
        '<a href="https://ok.example/">1</a><a href="mailto:desk@example.com">2</a>'
        '<a href="ftp://files.example/">3</a><img src="file:///etc/passwd">'
        '<a href="tel:+81">4</a>'
    )
    cleaned = sanitize_html(fragment, base=BASE, max_chars=10_000)
    assert 'href="https://ok.example/"' in cleaned
    assert 'href="mailto:desk@example.com"' in cleaned
    assert "ftp:" not in cleaned
    assert "file:" not in cleaned
    assert "tel:" not in cleaned


def test_relative_links_resolve_against_the_base_or_are_dropped_without_one() -> None:
    fragment = '<a href="../up">u</a><a href="//cdn.example/x">c</a><img src="pic.png">'
    resolved = sanitize_html(fragment, base=BASE, max_chars=10_000)
    assert 'href="https://example.com/up"' in resolved
    assert 'href="https://cdn.example/x"' in resolved
    assert 'src="https://example.com/dir/pic.png"' in resolved
    unresolved = sanitize_html(fragment, base=None, max_chars=10_000)
    assert "up" not in re.findall(r'href="([^"]*)"', unresolved)
    assert "pic.png" not in unresolved


def test_control_characters_are_removed_from_html() -> None:
    cleaned = sanitize_html("<p>a\x1b[2Jb\x00c\x9bd</p>", base=BASE, max_chars=100)
    assert cleaned == "<p>a[2Jbcd</p>"


def test_control_characters_written_as_character_references_are_removed() -> None:
    # The cleaner decodes references, so `&#27;` would reach the output as a raw ESC.
    cleaned = sanitize_html("<p>a&#27;[2Jb&#x7f;c&#X1B;d</p>", base=BASE, max_chars=100)
    assert cleaned == "<p>a[2Jbcd</p>"
    assert html_to_text(cleaned) == "a[2Jbcd"


def test_plain_text_keeps_paragraphs_and_line_breaks() -> None:
    cleaned = sanitize_html(
        "<h2>Head</h2><p>One   two\nthree</p><ul><li>a</li><li>b</li></ul>x<br>y &amp; z",
        base=BASE,
        max_chars=10_000,
    )
    assert html_to_text(cleaned) == "Head\n\nOne two three\n\na\n\nb\n\nx\ny & z"


def test_text_to_html_escapes_and_splits_paragraphs() -> None:
    assert text_to_html("a < b\nc\n\nd", max_chars=1000) == "<p>a &lt; b<br>c</p><p>d</p>"


def test_deep_nesting_is_flattened_to_its_words() -> None:
    fragment = "<div>" * 5000 + "deep words" + "</div>" * 5000
    assert nesting_exceeds(fragment)
    assert not nesting_exceeds("<p>" + "<br>" * 5000 + "</p>")
    cleaned = sanitize_html(fragment, base=BASE, max_chars=1_000_000)
    assert cleaned == "<p>deep words</p>"


def test_safe_link_resolves_and_rejects() -> None:
    assert safe_link(" /a/b\n", base=BASE) == "https://example.com/a/b"
    assert safe_link("javascript:alert(1)", base=BASE) is None
    assert safe_link("https://x.example/\x1b[1m", base=None) == "https://x.example/[1m"
    assert safe_link("relative/only", base=None) is None
    assert safe_link("mailto:a@b.example", base=BASE) is None  # not an item link
