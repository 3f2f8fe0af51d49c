"""`reader fetch`: the summary in text and JSON, and which feeds it fetches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from reader.cli.main import cli
from reader.store import open_store
from tests.loopback_server import LoopbackServer, loopback_server

__all__ = ["loopback_server"]

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>'
    b"<item><guid>https://example.org/1</guid><title>One</title></item>"
    b"<item><guid>https://example.org/2</guid><title>Two</title></item></channel></rss>"
)


@pytest.fixture
def subscribed(
    db_path: Path, loopback_server: LoopbackServer, monkeypatch: pytest.MonkeyPatch
) -> tuple[str, str]:
    good = loopback_server.feed("good.xml", RSS)
    bad = loopback_server.status("bad.xml", 500)
    with open_store(db_path) as store:
        store.add_feed(good)
        store.add_feed(bad)
    monkeypatch.setenv("READER_FETCH_ALLOW", loopback_server.authority)
    return good, bad


def test_fetch_prints_counts_and_one_line_per_error(
    db_path: Path, subscribed: tuple[str, str]
) -> None:
    _good, bad = subscribed
    result = CliRunner().invoke(cli, ["--db", str(db_path), "fetch"])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0].startswith("checked 2 feeds in ")
    assert lines[0].endswith(": 2 new, 0 updated, 0 not modified, 1 error")
    assert lines[1:] == [f"error: {bad}: HTTP 500 Internal Server Error"]


def test_fetch_json_is_one_document_with_every_feed(
    db_path: Path, subscribed: tuple[str, str]
) -> None:
    good, bad = subscribed
    result = CliRunner().invoke(cli, ["--db", str(db_path), "fetch", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.output)
    assert (document["checked"], document["new"], document["errors"]) == (2, 2, 1)
    by_url = {f["url"]: f for f in document["feeds"]}
    assert by_url[good]["new"] == 2 and by_url[good]["error"] is None
    assert by_url[bad]["error"] == "HTTP 500 Internal Server Error"


def test_fetch_without_all_skips_feeds_not_due_and_all_fetches_them(
    db_path: Path, subscribed: tuple[str, str]
) -> None:
    runner = CliRunner()
    runner.invoke(cli, ["--db", str(db_path), "fetch"])
    again = json.loads(runner.invoke(cli, ["--db", str(db_path), "fetch", "--json"]).output)
    assert again["checked"] == 0
    forced = json.loads(
        runner.invoke(cli, ["--db", str(db_path), "fetch", "--all", "--json"]).output
    )
    assert forced["checked"] == 2 and forced["not_modified"] == 1


def test_fetch_one_feed_by_url(db_path: Path, subscribed: tuple[str, str]) -> None:
    good, _bad = subscribed
    result = CliRunner().invoke(cli, ["--db", str(db_path), "fetch", "--feed", good, "--json"])
    document = json.loads(result.output)
    assert [f["url"] for f in document["feeds"]] == [good]


def test_fetch_of_an_unknown_feed_is_a_clear_error(
    db_path: Path, subscribed: tuple[str, str]
) -> None:
    result = CliRunner().invoke(
        cli, ["--db", str(db_path), "fetch", "--feed", "https://nowhere.example/feed"]
    )
    assert result.exit_code != 0
    assert "no such feed: https://nowhere.example/feed" in str(result.exception or result.output)
