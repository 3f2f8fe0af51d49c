"""Full-article benchmark: which extractor, what one article costs, and what an update pays.

1. Extractors, in this process, on article pages whose visible article text is known: our two
   test pages and the corpus's inessential.html ("seen": looked at while writing the tests),
   and news pages made from the corpus's real news feeds, each real article's paragraphs set
   among page furniture (navigation, cookie banner, related links, comments, footer) and never
   looked at ("unseen"). For trafilatura (what we use), readability-lxml and a plain baseline
   (all the page's text): the share of the article's paragraphs kept, the share of pages whose
   output leaks furniture, and milliseconds per page (median, p95).
2. One item's article through our stack, on a loopback farm: the guarded `Fetcher` fetch plus
   extraction in a parser worker (median, p95), one item at a time.
3. The update with full articles on and off: ``reader fetch --all`` timed as a whole process on
   a farm whose items link to loopback article pages, alternating off and on, medians.

Run: ``python -m bench.article_bench [--feeds 40 --items 20 --latency 20 --rounds 3]``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from html import escape
from pathlib import Path

import lxml.html

from bench.fetch_bench import farm_stats, timed
from reader.parse.article import extract_article
from reader.parse.sanitize import html_to_text, sanitize_html
from reader.parse.webpage import decode_html
from reader.store import open_store

PROJECT = Path(__file__).resolve().parents[1]
CORPUS = PROJECT.parent / "shared" / "corpus"
PAGES = PROJECT / "tests" / "data" / "pages"
FURNITURE = ("Accept all cookies", "Most read", "All rights reserved", "Comments (", "Subscribe")
MIN_PARAGRAPH = 40


@dataclass(frozen=True)
class Page:
    name: str
    body: bytes
    paragraphs: tuple[str, ...]
    """The article's visible paragraphs (whitespace folded)."""


def _norm(text: str) -> str:
    return " ".join(text.replace("\u00a0", " ").split())


def _paragraphs(html_text: str, xpath: str) -> tuple[str, ...]:
    document = lxml.html.fromstring(html_text)
    texts = (_norm(p.text_content()) for p in document.xpath(xpath))
    return tuple(t for t in texts if len(t) >= MIN_PARAGRAPH)


def seen_pages() -> list[Page]:
    pages = []
    for name, xpath in (
        ("article-council.html", "//article//p"),
        ("article-latin1.html", "//div[@id='content']//p"),
    ):
        body = (PAGES / name).read_bytes()
        pages.append(Page(name, body, _paragraphs(decode_html(body, None), xpath)))
    corpus_page = CORPUS / "feeds" / "netnewswire" / "html" / "inessential.html"
    if corpus_page.exists():
        body = corpus_page.read_bytes()
        xpath = "//div[@class='weblogPostBody']//p"
        pages.append(Page("inessential.html", body, _paragraphs(decode_html(body, None), xpath)))
    return pages


def _news_page(title: str, paragraphs: tuple[str, ...]) -> bytes:
    """A real article's paragraphs among the furniture of a news site."""
    body = "".join(f"<p>{escape(p)}</p>" for p in paragraphs)
    related = "".join(f'<li><a href="/r/{k}">Another story number {k}</a></li>' for k in range(8))
    return (
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<title>{escape(title)} | Daily News</title><script>var tracking = 1;</script></head>"
        "<body><header><a href='/'>Daily News</a><nav><a href='/world'>World</a>"
        " <a href='/politics'>Politics</a> <a href='/subscribe'>Subscribe for one euro</a>"
        "</nav></header><div class='consent'>We use cookies. Accept all cookies?</div>"
        f"<main><article><h1>{escape(title)}</h1>{body}</article></main>"
        f"<aside><h3>Most read</h3><ul>{related}</ul></aside>"
        "<section class='comments'><h3>Comments (12)</h3><p>I disagree with this.</p></section>"
        "<footer>Daily News. All rights reserved.</footer></body></html>"
    ).encode()


def unseen_pages(limit: int) -> list[Page]:
    """News pages from the real articles in the corpus's news feeds (full-content items)."""
    import feedparser

    manifest = CORPUS / "MANIFEST.tsv"
    if not manifest.exists():
        return []
    rows = [line.split("\t") for line in manifest.read_text(encoding="utf-8").splitlines()]
    pages: list[Page] = []
    for row in rows:
        if len(row) < 5 or row[4] != "news-real":
            continue
        parsed = feedparser.parse((CORPUS / row[0]).read_bytes())
        for entry in parsed.entries:
            html_text = ""
            if entry.get("content"):
                html_text = entry.content[0].get("value", "")
            html_text = html_text or entry.get("summary", "")
            if "<p" not in html_text:
                continue
            paragraphs = _paragraphs(f"<div>{html_text}</div>", "//p")
            if len(paragraphs) < 3:
                continue
            title = _norm(entry.get("title", "")) or "Untitled"
            pages.append(Page(f"{row[0]}#{len(pages)}", _news_page(title, paragraphs), paragraphs))
            if len(pages) >= limit:
                return pages
    return pages


def trafilatura_text(body: bytes) -> str:
    article = extract_article(body, url="http://127.0.0.1/a", content_type=None, max_chars=10**6)
    return article.text if article is not None else ""


def readability_text(body: bytes) -> str:
    from readability import Document

    summary = Document(decode_html(body, None)).summary(html_partial=True)
    cleaned = sanitize_html(summary, base="http://127.0.0.1/a", max_chars=10**6)
    return html_to_text(cleaned)


def whole_page_text(body: bytes) -> str:
    document = lxml.html.fromstring(decode_html(body, None))
    for element in document.xpath("//script|//style"):
        element.drop_tree()
    return str(document.text_content())


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def compare_extractors(pages: list[Page], label: str) -> None:
    extractors: list[tuple[str, Callable[[bytes], str]]] = [
        ("trafilatura (ours)", trafilatura_text),
        ("readability-lxml", readability_text),
        ("baseline: all page text", whole_page_text),
    ]
    print(f"\n{label}: {len(pages)} pages, {sum(len(p.paragraphs) for p in pages)} paragraphs")
    print(f"{'extractor':26} {'kept':>7} {'leaks':>7} {'median ms':>10} {'p95 ms':>8}")
    for name, extract in extractors:
        extract(pages[0].body)  # imports and caches outside the timing
        kept = total = leaking = 0
        times: list[float] = []
        for page in pages:
            started = time.perf_counter()
            text = _norm(extract(page.body))
            times.append((time.perf_counter() - started) * 1000)
            kept += sum(p in text for p in page.paragraphs)
            total += len(page.paragraphs)
            leaking += any(f in text for f in FURNITURE)
        print(
            f"{name:26} {kept / total:7.1%} {leaking / len(pages):7.1%}"
            f" {statistics.median(times):10.1f} {p95(times):8.1f}"
        )


def start_farm(
    workdir: Path, feeds: int, items: int, latency: float
) -> tuple[subprocess.Popen[str], list[str], list[str]]:
    urls_file = workdir / "urls.txt"
    farm = subprocess.Popen(
        [
            sys.executable, "-m", "bench.farm", "--feeds", str(feeds), "--items", str(items),
            "--latency", str(latency), "--urls-file", str(urls_file), "--articles",
        ],
        cwd=PROJECT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert farm.stdout is not None
    ready = farm.stdout.readline().split()
    if not ready or ready[0] != "ready":
        raise SystemExit("the feed farm did not start")
    return farm, ready[1].split(","), urls_file.read_text().split()


def per_item_cost(authorities: list[str], count: int) -> None:
    """One article at a time through the Fetcher and a parser worker."""
    from reader.config import FetchSettings
    from reader.fetch import ACCEPT_PAGE, Fetcher
    from reader.parse import ParserPool

    hosts = [a.split(":") for a in authorities]
    urls = [
        f"http://{hosts[i % len(hosts)][0]}:{hosts[i % len(hosts)][1]}/article/{i}/{i % 7}.html"
        for i in range(count)
    ]

    async def run() -> tuple[list[float], list[float]]:
        settings = FetchSettings(timeout=10.0)
        fetch_ms: list[float] = []
        total_ms: list[float] = []
        async with (
            Fetcher(settings, frozenset(authorities)) as fetcher,
            ParserPool(workers=1, deadline=10.0) as pool,
        ):
            for index, url in enumerate([urls[0], *urls]):
                started = time.perf_counter()
                page = await fetcher.fetch(url, accept=ACCEPT_PAGE)
                fetched = time.perf_counter()
                article = await pool.extract_article(
                    page.body or b"", url=url, content_type=page.content_type
                )
                done = time.perf_counter()
                if article is None:
                    raise SystemExit(f"no article extracted from {url}")
                if index:  # the first one warms the worker (its trafilatura import)
                    fetch_ms.append((fetched - started) * 1000)
                    total_ms.append((done - started) * 1000)
        return fetch_ms, total_ms

    fetch_ms, total_ms = asyncio.run(run())
    extract_ms = [t - f for t, f in zip(total_ms, fetch_ms, strict=True)]
    print(f"\nOne article through our stack, {count} items one at a time (farm, 0 ms latency)")
    print(f"{'part':28} {'median ms':>10} {'p95 ms':>8}")
    for name, values in (
        ("fetch (guarded Fetcher)", fetch_ms),
        ("extract (parser worker)", extract_ms),
        ("fetch + extract per item", total_ms),
    ):
        print(f"{name:28} {statistics.median(values):10.1f} {p95(values):8.1f}")


def update_throughput(
    workdir: Path, urls: list[str], authorities: list[str], rounds: int, items: int
) -> None:
    """`reader fetch --all` as a process, full articles off then on, alternating."""
    import json

    results: dict[str, list[float]] = {"off": [], "on": []}
    articles: dict[str, int] = {}
    for number in range(rounds):
        for mode in ("off", "on"):
            run_dir = workdir / f"{mode}-{number}"
            run_dir.mkdir()
            db = run_dir / "reader.db"
            with open_store(db) as store:
                for url in urls:
                    store.add_feed(url)
            config = run_dir / "reader.toml"
            config.write_text(f"[fetch]\nfull_text = {'true' if mode == 'on' else 'false'}\n")
            env = {
                **os.environ,
                "READER_FETCH_ALLOW": ",".join(authorities),
                "READER_CONFIG": str(config),
                "XDG_STATE_HOME": str(run_dir / "state"),
            }
            command = [sys.executable, "-m", "reader", "--db", str(db), "fetch", "--all", "--json"]
            farm_stats(authorities[0], reset=True)
            seconds, tree_mb, _, output = timed(command, env, PROJECT)
            report = json.loads(output)
            stats = farm_stats(authorities[0], reset=False)
            articles[mode] = stats.get("article", 0)
            with open_store(db) as store:
                with_text = store.count_items() and sum(
                    i.full_text for i in store.get_items(limit=None)
                )
            results[mode].append(seconds)
            print(
                f"round {number + 1} full text {mode:3}: {seconds:6.2f} s,"
                f" {report['new']} items ({report['new'] / seconds:6.0f}/s),"
                f" {articles[mode]} pages fetched, {with_text} items with their article,"
                f" peak {tree_mb:.0f} MB"
            )
    off, on = statistics.median(results["off"]), statistics.median(results["on"])
    total = len(urls) * items
    print(
        f"\nmedians over {rounds} rounds: off {off:.2f} s ({total / off:.0f} items/s),"
        f" on {on:.2f} s ({total / on:.0f} items/s, {articles['on'] / on:.0f} articles/s);"
        f" on/off = {on / off:.2f}x"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--unseen", type=int, default=60, help="news pages from the corpus")
    parser.add_argument("--per-item", type=int, default=200, help="articles for part 2")
    parser.add_argument("--feeds", type=int, default=40)
    parser.add_argument("--items", type=int, default=20)
    parser.add_argument("--latency", type=float, default=20.0, help="ms per farm response")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()

    compare_extractors(seen_pages(), "Seen pages (test fixtures and inessential.html)")
    unseen = unseen_pages(args.unseen)
    if unseen:
        compare_extractors(unseen, "Unseen pages (real corpus articles among news furniture)")
    else:
        print("\nthe shared corpus is absent: no unseen pages", file=sys.stderr)

    with tempfile.TemporaryDirectory(prefix="article-bench-") as tmp:
        workdir = Path(tmp)
        farm, authorities, _ = start_farm(workdir, 16, 10, 0.0)
        try:
            per_item_cost(authorities, args.per_item)
        finally:
            assert farm.stdin is not None
            farm.stdin.close()
            farm.wait(timeout=10)
        farm, authorities, urls = start_farm(workdir, args.feeds, args.items, args.latency)
        print(
            f"\nUpdate of {args.feeds} feeds x {args.items} summary items linking to article"
            f" pages, {args.latency:g} ms per response, over {len(authorities)} loopback addresses"
        )
        try:
            update_throughput(workdir, urls, authorities, args.rounds, args.items)
        finally:
            assert farm.stdin is not None
            farm.stdin.close()
            farm.wait(timeout=10)


if __name__ == "__main__":
    main()
