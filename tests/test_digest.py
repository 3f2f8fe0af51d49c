"""Digests (Markdown and HTML, the HTML rendered by headless Chromium when it is installed),
the Topic view as an Atom feed read back by feedparser and by Newsboat, and alerts (a command
and a webhook on 127.0.0.1, once per story, failures logged and never blocking)."""

from __future__ import annotations

import asyncio
import json
import logging
import shutil
import subprocess
import sys
import textwrap
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import feedparser
import pytest

from reader.config import AlertSettings, ExportSettings, FetchSettings, Settings
from reader.core import make_reader
from reader.core.alerts import MARK_KEY, choose_alerts, send_alerts
from reader.core.digest import digest_html, digest_markdown
from reader.models import FeedUpdate, Item, ItemWrite
from reader.store import SQLiteStore, Store, open_store
from tests.test_cli import run

NOW = datetime.now(UTC)


def _write(identity: str, title: str, hours_old: float, score: float, text: str) -> ItemWrite:
    return ItemWrite(
        identity=identity,
        title=title,
        link=f"https://news.example/{identity}?a=1&b=2",
        author="Desk <desk@news.example>",
        published=NOW - timedelta(hours=hours_old),
        updated=None,
        content_html=f"<p>{text}</p>",
        text=text,
        content_hash=identity,
        score=score,
    )


def fill(store: Store) -> dict[str, int]:
    """Two feeds; one story reported by both, one item alone, one too old, one off topic."""
    ids: dict[str, int] = {}
    feeds = {
        "Alliance Daily": [
            _write("s1a", "Summit agrees <northern> patrols & costs", 2, 0.9, "Ministers agree."),
            _write("old", "Last week's talks", 24 * 9, 0.95, "Older news."),
            _write("off", "Football results", 1, 0.05, "Scores."),
        ],
        "Pacific Wire": [
            _write("s1b", "Patrol deal struck at summit", 3, 0.7, "Deal struck."),
            _write("solo", "Japan opens liaison office", 5, 0.8, "Tokyo office."),
        ],
    }
    for name, writes in feeds.items():
        feed = store.add_feed(f"https://{name.split()[0].lower()}.example/feed")
        store.write_items(
            feed.id, writes, now=NOW, feed_url=feed.url, feed_update=FeedUpdate(NOW, title=name)
        )
        ids.update(store.get_item_ids(feed.id))
    store.set_stories([("Summit patrols", [ids["s1a"], ids["s1b"]])])
    return ids


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "r.db"
    with open_store(path) as store:
        fill(store)
    return path


def test_digest_groups_the_periods_items_by_story_best_first(db: Path) -> None:
    with make_reader(db, settings=Settings()) as reader:
        digest = reader.digest(timedelta(days=1), min_score=0.3)
    assert [s.title for s in digest.stories] == [
        "Summit agrees <northern> patrols & costs",
        "Japan opens liaison office",
    ]
    summit = digest.stories[0]
    assert summit.sources == ("Alliance Daily", "Pacific Wire")
    assert summit.score == pytest.approx(0.9)
    assert summit.link == "https://news.example/s1a?a=1&b=2"
    markdown = digest_markdown(digest)
    assert (
        "1. **[Summit agrees \\<northern\\> patrols & costs](<https://news.example/s1a?a=1&b=2>)**"
        in markdown
    )
    assert "Sources: Alliance Daily, Pacific Wire" in markdown
    assert "Last week" not in markdown and "Football" not in markdown


class _Structure(HTMLParser):
    """Checks an HTML document's nesting (every opened element closed in order)."""

    VOID = frozenset({"meta", "link", "br", "img", "hr", "input"})

    def __init__(self) -> None:
        super().__init__()
        self.stack: list[str] = []
        self.problems: list[str] = []
        self.links: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.links.append(dict(attrs).get("href") or "")
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if not self.stack or self.stack.pop() != tag:
            self.problems.append(f"unexpected </{tag}>")


def test_digest_html_is_a_whole_escaped_document(db: Path) -> None:
    with make_reader(db, settings=Settings()) as reader:
        document = digest_html(reader.digest(timedelta(days=1)))
    assert document.startswith('<!DOCTYPE html>\n<html lang="en">')
    checker = _Structure()
    checker.feed(document)
    checker.close()
    assert checker.problems == [] and checker.stack == []
    assert "&lt;northern&gt; patrols &amp; costs" in document
    assert "https://news.example/s1a?a=1&b=2" in checker.links


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(
    CHROMIUM is None, reason="headless Chromium is not installed (apt-get install chromium)"
)
def test_digest_html_renders_in_headless_chromium(db: Path, tmp_path: Path) -> None:
    page = tmp_path / "digest.html"
    with make_reader(db, settings=Settings()) as reader:
        page.write_text(digest_html(reader.digest(timedelta(days=1))), encoding="utf-8")
    assert CHROMIUM is not None
    flags = [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-background-networking",
        "--disable-dev-shm-usage",
        "--no-first-run",
        f"--user-data-dir={tmp_path / 'profile'}",
    ]
    dom = subprocess.run(
        [CHROMIUM, *flags, "--dump-dom", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert dom.returncode == 0, dom.stderr[-2000:]
    # What the browser built: three stories, each a list item with its link, text escaped.
    assert dom.stdout.count('<li class="story">') == 3
    assert "Summit agrees &lt;northern&gt; patrols &amp; costs</a>" in dom.stdout
    shot = tmp_path / "digest.png"
    subprocess.run(
        [CHROMIUM, *flags, "--window-size=900,700", f"--screenshot={shot}", page.as_uri()],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert shot.exists() and shot.stat().st_size > 5000  # a page was painted, not a blank


def test_cli_digest_writes_markdown_and_html(db: Path, tmp_path: Path) -> None:
    shown = run(tmp_path, "digest", "--since", "12h", "--min-score", "0.5")
    assert "Summit agrees" in shown.stdout and "Japan opens" in shown.stdout
    out = tmp_path / "out" / "digest.html"
    run(tmp_path, "digest", "--since", "1d", "--format", "html", "--out", str(out))
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    bad = run(tmp_path, "digest", "--since", "soon", check=False)
    assert bad.returncode != 0 and "not a period" in bad.stderr


def test_topic_atom_reads_back_in_feedparser(db: Path, tmp_path: Path) -> None:
    out = tmp_path / "topic.atom"
    run(tmp_path, "export", "atom", "--out", str(out))
    parsed = feedparser.parse(out.read_bytes())
    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.version == "atom10"
    titles = [e.title for e in parsed.entries]
    assert titles[:3] == [
        "Last week's talks",
        "Summit agrees <northern> patrols & costs",
        "Japan opens liaison office",
    ]  # the Topic view: best first
    first = parsed.entries[1]
    assert first.link == "https://news.example/s1a?a=1&b=2"
    assert first.id.startswith("urn:uuid:") and len({e.id for e in parsed.entries}) == 5
    assert "[topic score 0.90]" in first.summary


NEWSBOAT = shutil.which("newsboat")


@pytest.mark.skipif(NEWSBOAT is None, reason="Newsboat is not installed (apt-get install newsboat)")
def test_topic_atom_reads_back_in_newsboat(db: Path, tmp_path: Path) -> None:
    feed = tmp_path / "topic.atom"
    run(tmp_path, "export", "atom", "--out", str(feed))
    urls = tmp_path / "urls"
    urls.write_text(f"file://{feed}\n", encoding="utf-8")
    cache = tmp_path / "cache.db"
    config = tmp_path / "config"
    config.write_text("", encoding="utf-8")
    assert NEWSBOAT is not None
    env = {"HOME": str(tmp_path), "PATH": "/usr/bin:/bin", "LANG": "C.UTF-8"}
    common = [NEWSBOAT, "-u", str(urls), "-c", str(cache), "-C", str(config)]
    subprocess.run([*common, "-x", "reload"], check=True, timeout=60, env=env, capture_output=True)
    import sqlite3

    conn = sqlite3.connect(cache)
    rows = conn.execute("SELECT title, url FROM rss_item ORDER BY title").fetchall()
    conn.close()
    assert ("Summit agrees <northern> patrols & costs", "https://news.example/s1a?a=1&b=2") in rows
    assert len(rows) == 5


def _item(item_id: int, story: int | None, score: float) -> Item:
    return Item(
        id=item_id, source_id=1, source="s", identity=str(item_id), story_id=story, score=score
    )


def test_choose_alerts_sends_one_per_story_and_none_for_an_alerted_story() -> None:
    chosen = choose_alerts(
        [_item(1, 7, 0.8), _item(2, 7, 0.9), _item(3, None, 0.85), _item(4, 8, 0.99)],
        alerted_stories={8},
    )
    assert [i.id for i in chosen] == [2, 3]


class _Webhook(ThreadingHTTPServer):
    def __init__(self, status: int) -> None:
        self.bodies: list[dict[str, object]] = []
        self.status = status
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: object) -> None:
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                outer.bodies.append(json.loads(self.rfile.read(length)))
                self.send_response(outer.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

        super().__init__(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"


@pytest.fixture
def webhook() -> Iterator[_Webhook]:
    server = _Webhook(200)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def alert_settings(tmp_path: Path, hook: _Webhook, **alerts: object) -> Settings:
    script = tmp_path / "alert.py"
    script.write_text(
        textwrap.dedent(
            f"""
            import json, sys
            item = json.load(sys.stdin)
            with open({str(tmp_path / "alerts.jsonl")!r}, "a") as out:
                out.write(json.dumps(item) + "\\n")
            """
        ),
        encoding="utf-8",
    )
    options: dict[str, object] = {
        "min_score": 0.75,
        "command": (sys.executable, str(script)),
        "webhook": hook.url,
        "timeout": 5.0,
    }
    options.update(alerts)
    port = hook.server_address[1]
    return Settings(
        fetch=FetchSettings(allow=(f"127.0.0.1:{port}",), timeout=5.0),
        alerts=AlertSettings(**options),  # type: ignore[arg-type]
    )


def test_alerts_go_once_per_story_to_the_command_and_the_webhook(
    tmp_path: Path, webhook: _Webhook, store: Store
) -> None:
    settings = alert_settings(tmp_path, webhook)
    # on each backend (the `store` fixture)
    first = asyncio.run(send_alerts(store, settings))
    assert first.sent == 0 and store.get_meta(MARK_KEY) == "0"  # the first run sets the mark
    ids = fill(store)
    report = asyncio.run(send_alerts(store, settings))
    # Summit story (best item s1a, 0.9), the old item (0.95) and solo (0.8): three alerts.
    assert report.sent == 3 and report.failed == 0
    lines = (tmp_path / "alerts.jsonl").read_text(encoding="utf-8").splitlines()
    sent = [json.loads(line) for line in lines]
    assert [a["title"] for a in sent] == [
        "Last week's talks",
        "Summit agrees <northern> patrols & costs",
        "Japan opens liaison office",
    ]
    assert sent[1]["story_id"] is not None and sent[1]["link"].endswith("?a=1&b=2")
    assert [b["id"] for b in webhook.bodies] == [a["id"] for a in sent]
    # A later report of the same story brings no second alert.
    feed = store.get_feeds()[0]
    store.write_items(feed.id, [_write("s1c", "Summit follow-up", 1, 0.99, "More.")], now=NOW)
    new_id = store.get_item_ids(feed.id)["s1c"]
    story = store.get_item(ids["s1a"]).story_id
    assert story is not None
    store.set_stories([("Summit patrols", [ids["s1a"], ids["s1b"], new_id])])
    again = asyncio.run(send_alerts(store, settings))
    assert again.considered == 1 and again.sent == 0
    assert len(webhook.bodies) == 3


def test_an_alert_query_selects_items_regardless_of_score(
    tmp_path: Path, webhook: _Webhook
) -> None:
    settings = alert_settings(
        tmp_path, webhook, min_score=0.0, query="football OR japan", command=()
    )
    with SQLiteStore(tmp_path / "a.db") as store:
        asyncio.run(send_alerts(store, settings))
        fill(store)
        report = asyncio.run(send_alerts(store, settings))
    assert report.sent == 2
    assert sorted(str(b["title"]) for b in webhook.bodies) == [
        "Football results",
        "Japan opens liaison office",
    ]


def test_failing_alerts_are_logged_and_never_raise(
    tmp_path: Path, webhook: _Webhook, caplog: pytest.LogCaptureFixture
) -> None:
    webhook.status = 500
    settings = alert_settings(tmp_path, webhook, command=("/nonexistent/alert-program",))
    caplog.set_level(logging.WARNING, logger="reader.alerts")
    with SQLiteStore(tmp_path / "a.db") as store:
        asyncio.run(send_alerts(store, settings))
        fill(store)
        report = asyncio.run(send_alerts(store, settings))
    assert report.sent == 0 and report.failed == 3
    assert "cannot run /nonexistent/alert-program" in caplog.text
    assert "webhook answered HTTP 500" in caplog.text
    slow = alert_settings(
        tmp_path,
        webhook,
        command=(sys.executable, "-c", "import time; time.sleep(30)"),
        webhook="",
        timeout=0.5,
    )
    with SQLiteStore(tmp_path / "b.db") as store:
        asyncio.run(send_alerts(store, slow))
        fill(store)
        report = asyncio.run(send_alerts(store, slow))
    assert report.failed == 3 and "took over 0.5 s" in caplog.text


def test_the_update_writes_the_topic_feed_file_when_asked(tmp_path: Path) -> None:
    target = tmp_path / "public" / "topic.xml"
    settings = Settings(export=ExportSettings(atom=str(target), limit=2))
    with make_reader(tmp_path / "r.db", settings=settings) as reader:
        with open_store(tmp_path / "r.db") as store:
            fill(store)
        reader.after_update(alerts=False)
    parsed = feedparser.parse(target.read_bytes())
    assert len(parsed.entries) == 2 and not parsed.bozo
