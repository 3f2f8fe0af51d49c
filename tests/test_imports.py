"""Commands that do not score or parse load nothing heavy: each runs in a fresh interpreter
(`python -c`, the CLI's own `main`), which then lists the heavy modules it imported.

A behaviour test, not a timing test: the import times are in the README."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from reader.store import open_store
from tests.loopback_server import LoopbackServer, loopback_server

__all__ = ["loopback_server"]

PROJECT = Path(__file__).resolve().parents[1]

HEAVY = (
    *("sklearn", "scipy", "numpy", "trafilatura", "feedparser", "chardet", "lxml", "textual"),
    "apscheduler",  # the daemon's scheduler
)
"""Modules a command that only lists, marks, searches or checks feeds has no use for."""

RSS = (
    b'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>'
    b"<item><guid>https://example.org/1</guid><title>Summit talks in Geneva</title>"
    b"<description>Ministers met on Tuesday.</description></item>"
    b"<item><guid>https://example.org/2</guid><title>Harbour reopens</title></item>"
    b"</channel></rss>"
)

_PROBE = """
import json, sys
heavy, report = json.loads(sys.argv[2]), sys.argv[3]
sys.argv = ["reader", *json.loads(sys.argv[1])]
from reader.cli.main import main
try:
    main()
except SystemExit as exc:
    status = exc.code
else:
    status = 0
with open(report, "w") as out:
    json.dump({"status": status, "loaded": sorted(m for m in heavy if m in sys.modules)}, out)
"""


def loaded_by(args: list[str], env: dict[str, str]) -> tuple[int, list[str], str]:
    """Run `reader ARGS` in a fresh interpreter: (exit status, heavy modules loaded, output)."""
    report = Path(env["XDG_STATE_HOME"]).parent / "loaded.json"
    result = subprocess.run(
        [sys.executable, "-c", _PROBE, json.dumps(args), json.dumps(HEAVY), str(report)],
        capture_output=True,
        text=True,
        env=env,
        cwd=PROJECT,
        timeout=120,
        check=False,
    )
    found = json.loads(report.read_text())
    return int(found["status"] or 0), list(found["loaded"]), result.stdout + result.stderr


@pytest.fixture
def fetched(tmp_path: Path, loopback_server: LoopbackServer) -> tuple[list[str], dict[str, str]]:
    """A store with one feed fetched once (its items stored), and the environment to use it."""
    db = tmp_path / "reader.db"
    with open_store(db) as store:
        store.add_feed(loopback_server.feed("feed.xml", RSS))
    (tmp_path / "empty.toml").write_text("")
    env = {
        **os.environ,
        "PYTHONPATH": str(PROJECT),
        "READER_CONFIG": str(tmp_path / "empty.toml"),
        "READER_FETCH_ALLOW": loopback_server.authority,
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "COLUMNS": "200",
    }
    status, _, output = loaded_by(["--db", str(db), "fetch", "--all"], env)
    assert status == 0 and "2 new" in output, output
    return ["--db", str(db)], env


@pytest.mark.parametrize(
    "command",
    [
        ["--help"],
        ["items", "list"],
        ["items", "mark", "--read", "1"],
        ["search", "Geneva"],
        ["feeds", "list"],
        ["status"],
        ["stories", "list"],
    ],
    ids=" ".join,
)
def test_commands_that_do_not_score_or_parse_load_no_heavy_module(
    fetched: tuple[list[str], dict[str, str]], command: list[str]
) -> None:
    db, env = fetched
    status, loaded, output = loaded_by([*db, *command], env)
    assert status == 0, output
    assert loaded == []


def test_a_fetch_with_nothing_new_loads_no_parser(
    fetched: tuple[list[str], dict[str, str]],
) -> None:
    db, env = fetched
    status, loaded, output = loaded_by([*db, "fetch", "--all"], env)
    assert status == 0 and "1 not modified" in output, output
    assert loaded == []


def test_the_probe_sees_a_parser_loaded_by_a_command_that_parses(
    fetched: tuple[list[str], dict[str, str]], loopback_server: LoopbackServer
) -> None:
    # `feeds add` looks at the document in its own process (is it a feed? its title?): the
    # same probe must see feedparser there, or the tests above would prove nothing.
    db, env = fetched
    url = loopback_server.feed("other.xml", RSS)
    status, loaded, output = loaded_by([*db, "feeds", "add", url], env)
    assert status == 0, output
    assert "feedparser" in loaded
