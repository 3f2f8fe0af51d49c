"""Full articles: real article pages served on 127.0.0.1, their extracted text checked against
the text a reader sees in the page's article (its paragraphs), the boilerplate around it left
out; the update fetching them for full-text feeds; the reader's on-demand fetch."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from reader.config import FetchSettings, Settings
from reader.core import make_reader
from reader.core.articles import NoArticleError
from reader.exceptions import ItemNotFoundError
from reader.models import ItemFilter, ItemWrite
from reader.parse import ParserPool
from reader.parse.article import extract_article
from reader.query import parse_query
from reader.store import Store
from tests.loopback_server import LoopbackServer, loopback_server
from tests.test_cli import run

from .conftest import CORPUS, needs_corpus

__all__ = ["loopback_server"]

PAGES = Path(__file__).parent / "data" / "pages"
NNW = CORPUS / "feeds" / "netnewswire" / "html"


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def visible_paragraphs(body: bytes, container: str) -> list[str]:
    """The text of each paragraph a reader sees in the page's article (`container` XPath)."""
    document = lxml.html.fromstring(body)
    paragraphs = document.xpath(f"{container}//p")
    return [t for t in (_norm(p.text_content()) for p in paragraphs) if len(t) > 40]


ARTICLE_PAGES = [
    # (page, the article's container, least share of its paragraphs kept, boilerplate)
    (PAGES / "article-council.html", "//article", 0.8, ["Comments (214)", "cookies", "Most read"]),
    (PAGES / "article-latin1.html", "//div[@id='content']", 1.0, ["Advertisement", "Classifieds"]),
    (NNW / "inessential.html", "//div[@class='weblogPostBody']", 0.8, []),
]


@pytest.mark.parametrize(
    ("path", "container", "least", "boilerplate"),
    ARTICLE_PAGES,
    ids=[p[0].name for p in ARTICLE_PAGES],
)
def test_extracted_text_is_the_visible_article_text(
    path: Path, container: str, least: float, boilerplate: list[str]
) -> None:
    if not path.exists():
        pytest.skip(f"{path} is absent (the shared corpus is not next to this checkout)")
    body = path.read_bytes()
    article = extract_article(body, url="http://127.0.0.1/a", content_type=None, max_chars=200_000)
    assert article is not None
    text = _norm(article.text)
    paragraphs = visible_paragraphs(body, container)
    kept = [p for p in paragraphs if p in text]
    assert len(kept) >= least * len(paragraphs), [p for p in paragraphs if p not in text]
    for phrase in boilerplate:
        assert phrase not in article.text
    assert "<script" not in article.content_html and "analytics" not in article.content_html


def test_a_page_in_latin_1_decodes_by_its_meta_charset() -> None:
    body = (PAGES / "article-latin1.html").read_bytes()
    article = extract_article(
        body, url="http://127.0.0.1/a", content_type="text/html", max_chars=10**5
    )
    assert article is not None and "Café owners" in article.text


def test_a_page_without_an_article_gives_none() -> None:
    body = (PAGES / "no-feed-links.html").read_bytes()
    assert (
        extract_article(body, url="http://127.0.0.1/", content_type=None, max_chars=10**5) is None
    )


def test_extraction_is_sanitized_like_feed_html() -> None:
    body = (
        (PAGES / "article-council.html")
        .read_bytes()
        .replace(
            b"<p>The plan sets out",
            b'<p onclick="steal()">Click <a href="javascript:alert(1)">here</a>'
            b'<iframe src="https://evil.example/"></iframe> The plan sets out',
        )
    )
    article = extract_article(body, url="http://127.0.0.1/a", content_type=None, max_chars=10**5)
    assert article is not None
    for bad in ("onclick", "javascript:", "<iframe", "evil.example"):
        assert bad not in article.content_html


def test_extraction_runs_in_a_worker_under_its_deadline() -> None:
    body = (PAGES / "article-council.html").read_bytes()

    async def extract(deadline: float) -> object:
        async with ParserPool(workers=1, deadline=5.0) as pool:
            return await pool.extract_article(
                body, url="http://127.0.0.1/a", content_type="text/html", deadline=deadline
            )

    article = asyncio.run(extract(10.0))
    assert article is not None and "northern patrol plan" in article.text  # type: ignore[attr-defined]
    from reader.exceptions import ParseError

    with pytest.raises(ParseError, match="deadline"):
        asyncio.run(extract(0.001))


def summary_feed(server: LoopbackServer, pages: dict[str, str]) -> bytes:
    """An RSS feed whose items carry one-line summaries and link to `pages` on `server`."""
    items = "".join(
        f"<item><guid>urn:article:{name}</guid><title>{title}</title>"
        f"<link>{server.url(name)}</link><description>A short summary.</description></item>"
        for name, title in pages.items()
    )
    return (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Gazette</title>'
        f"<link>{server.url('')}</link>{items}</channel></rss>"
    ).encode()


def settings_for(server: LoopbackServer, tmp_path: Path, **fetch: object) -> Settings:
    return Settings(
        fetch=FetchSettings(
            allow=(server.authority,),
            parse_workers=1,
            timeout=5.0,
            connect_timeout=2.0,
            **fetch,  # type: ignore[arg-type]
        ),
    )


def serve_articles(server: LoopbackServer) -> str:
    for name in ("article-council.html", "article-latin1.html"):
        server.feed(name, (PAGES / name).read_bytes(), content_type="text/html", etag=False)
    pages = {
        "article-council.html": "Patrol plan agreed",
        "article-latin1.html": "Trawlers reported",
        "missing.html": "A page that is gone",
    }
    return server.feed("gazette.xml", summary_feed(server, pages))


def test_a_full_text_feed_stores_each_new_items_article(
    tmp_path: Path, loopback_server: LoopbackServer
) -> None:
    feed_url = serve_articles(loopback_server)
    with make_reader(tmp_path / "r.db", settings=settings_for(loopback_server, tmp_path)) as reader:
        reader.add_feed(feed_url, full_text=True)
        report = reader.update_feeds()
        assert report.new == 3 and not report.errors  # a missing page never fails the feed
        items = {i.title: i for i in reader.get_items(with_content=True)}
        council = items["Patrol plan agreed"]
        assert council.full_text and "eleven countries" in (council.text or "")
        assert council.summary == "A short summary."
        assert "Most read" not in (council.text or "")
        assert items["Trawlers reported"].full_text
        gone = items["A page that is gone"]
        assert not gone.full_text and gone.text == "A short summary."
        # Search and listings read the article.
        assert [h.item.title for h in reader.search("fishing communities")] == [
            "Patrol plan agreed"
        ]
        found = reader.get_items(ItemFilter(query=parse_query("coast guard")))
        assert [i.title for i in found] == ["Trawlers reported"]
        # Only new items: a second update fetches no page again.
        hits = loopback_server.hits["article-council.html"]
        reader.update_feeds(reader.feeds_to_update(due_only=False))
        assert loopback_server.hits["article-council.html"] == hits


def test_full_text_follows_the_default_and_the_feeds_own_switch(
    tmp_path: Path, loopback_server: LoopbackServer
) -> None:
    feed_url = serve_articles(loopback_server)
    settings = settings_for(loopback_server, tmp_path)
    with make_reader(tmp_path / "off.db", settings=settings) as reader:
        reader.add_feed(feed_url)  # [fetch] full_text = false by default
        reader.update_feeds()
        assert loopback_server.hits["article-council.html"] == 0
        assert not any(i.full_text for i in reader.get_items())
    on = replace(settings, fetch=replace(settings.fetch, full_text=True))
    with make_reader(tmp_path / "on.db", settings=on) as reader:
        reader.add_feed(feed_url)
        reader.set_feed_full_text(feed_url, False)  # the feed's own switch wins
        reader.update_feeds()
        assert loopback_server.hits["article-council.html"] == 0
        assert reader.get_feed(feed_url).full_text is False
    with make_reader(tmp_path / "default.db", settings=on) as reader:
        reader.add_feed(feed_url)
        reader.update_feeds()
        assert loopback_server.hits["article-council.html"] == 1


def test_an_extraction_over_its_time_limit_keeps_the_summary(
    tmp_path: Path, loopback_server: LoopbackServer
) -> None:
    feed_url = serve_articles(loopback_server)
    settings = settings_for(loopback_server, tmp_path, full_text=True, extract_timeout=0.001)
    with make_reader(tmp_path / "r.db", settings=settings) as reader:
        reader.add_feed(feed_url)
        report = reader.update_feeds()
        assert report.new == 3 and not report.errors
        assert not any(i.full_text for i in reader.get_items())


def test_the_full_text_of_one_item_on_demand(
    tmp_path: Path, loopback_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    feed_url = serve_articles(loopback_server)
    with make_reader(tmp_path / "r.db", settings=settings_for(loopback_server, tmp_path)) as reader:
        reader.add_feed(feed_url)
        reader.update_feeds()
        items = {i.title: i for i in reader.get_items()}
        item = reader.fetch_full_text(items["Trawlers reported"].id)
        assert item.full_text and "radar most nights" in (item.text or "")
        with pytest.raises(NoArticleError, match="HTTP 404"):
            reader.fetch_full_text(items["A page that is gone"].id)
        council_id = items["Patrol plan agreed"].id
    monkeypatch.setenv("READER_FETCH_ALLOW", loopback_server.authority)
    result = run(tmp_path, "items", "full-text", str(council_id))
    assert "kept the article" in result.stdout
    shown = run(tmp_path, "items", "show", str(council_id))
    assert "eleven countries" in shown.stdout and "full text" in shown.stdout


@needs_corpus
def test_corpus_page_extracts_within_the_paragraph_bar() -> None:
    # Kept apart from the parametrized table so a missing corpus names itself.
    body = (NNW / "inessential.html").read_bytes()
    article = extract_article(
        body, url="http://127.0.0.1/", content_type="text/html", max_chars=10**6
    )
    assert article is not None and "OmniOutliner" in article.text


def test_a_kept_article_becomes_the_body_and_the_feed_text_the_summary(store: Store) -> None:
    feed = store.add_feed("https://gazette.example/feed")
    summary = ItemWrite("one", "Patrol plan", "https://gazette.example/1", None, None, None,
                        "<p>Short.</p>", "Short.", "h")  # fmt: skip
    store.write_items(feed.id, [summary], now=datetime.now(UTC))
    [item] = store.get_items()
    store.set_full_text(
        item.id, content_html="<p>The whole article.</p>", text="The whole article."
    )
    kept = store.get_item(item.id)
    assert kept.full_text and kept.text == "The whole article." and kept.summary == "Short."
    assert [h.item.id for h in store.search("whole article")] == [item.id]
    with pytest.raises(ItemNotFoundError):
        store.set_full_text(item.id + 1000, content_html="", text="")
