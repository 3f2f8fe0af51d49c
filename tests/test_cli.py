"""The command line as a user meets it: real processes, exit codes, one-line errors, JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import PROJECT, SEEDS_DIR


def run(
    tmp_path: Path,
    *args: str,
    check: bool = True,
    stdin: int | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    """`reader --db TMP/r.db ARGS` as a process, with its folders in `tmp_path` (and `env`
    added); stdin is /dev/null unless given."""
    environment = {
        **os.environ,
        "XDG_DATA_HOME": str(tmp_path / "data"),
        "XDG_CONFIG_HOME": str(tmp_path / "config"),
        "XDG_STATE_HOME": str(tmp_path / "state"),
        "COLUMNS": "200",
        **(env or {}),
    }
    environment.pop("READER_DB", None)
    result = subprocess.run(
        [sys.executable, "-m", "reader", "--db", str(tmp_path / "r.db"), *args],
        stdin=subprocess.DEVNULL if stdin is None else stdin,
        capture_output=True,
        text=True,
        env=environment,
        cwd=PROJECT,
        timeout=120,
        check=False,
    )
    if check:
        assert result.returncode == 0, result.stderr
    return result


def assert_user_error(result: subprocess.CompletedProcess[str], text: str) -> None:
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert text in lines[0]


def test_seed_import_then_listing_and_search_as_json(tmp_path: Path) -> None:
    first = run(tmp_path, "seeds", "import")
    assert "5 imported" in first.stdout and "5 new" in first.stdout
    run(tmp_path, "seeds", "import", str(SEEDS_DIR))

    listing = json.loads(run(tmp_path, "items", "list", "--json").stdout)
    assert len(listing) == 5
    assert set(listing[0]) == {
        "id",
        "title",
        "link",
        "source",
        "published",
        "read",
        "starred",
        "tags",
        "score",
    }
    hits = json.loads(run(tmp_path, "search", "liaison office", "--json").stdout)
    assert len(hits) == 4 and all("[liaison]" in h["snippet"].lower() for h in hits)


def test_marks_and_tags_from_the_cli_survive_a_seed_reimport(tmp_path: Path) -> None:
    run(tmp_path, "seeds", "import")
    run(tmp_path, "items", "mark", "1", "2", "--read")
    run(tmp_path, "items", "mark", "2", "--star")
    run(tmp_path, "items", "tag", "2", "wolf", "TASS")
    run(tmp_path, "items", "untag", "2", "tass")
    run(tmp_path, "seeds", "import")

    shown = json.loads(run(tmp_path, "items", "show", "2", "--json").stdout)
    assert shown["read"] and shown["starred"] and shown["tags"] == ["wolf"]
    unread = json.loads(run(tmp_path, "items", "list", "--unread", "--json").stdout)
    assert {i["id"] for i in unread} == {3, 4, 5}
    starred = json.loads(run(tmp_path, "items", "list", "--starred", "--json").stdout)
    assert [i["id"] for i in starred] == [2]
    tagged = json.loads(run(tmp_path, "items", "list", "--tag", "WOLF", "--json").stdout)
    assert [i["id"] for i in tagged] == [2]


def test_feeds_add_list_remove_and_opml_round_trip(tmp_path: Path) -> None:
    run(
        tmp_path,
        "feeds",
        "add",
        "--as-is",
        "https://example.com/feed",
        "--title",
        "Ex",
        "--tag",
        "NATO",
    )
    feeds = json.loads(run(tmp_path, "feeds", "list", "--json").stdout)
    assert [(f["url"], f["title"], f["tags"]) for f in feeds] == [
        ("https://example.com/feed", "Ex", ["NATO"])
    ]
    exported = tmp_path / "out.opml"
    run(tmp_path, "opml", "export", str(exported))
    run(tmp_path, "feeds", "remove", "https://example.com/feed", "--yes")
    assert json.loads(run(tmp_path, "feeds", "list", "--json").stdout) == []
    report = run(tmp_path, "opml", "import", str(exported))
    assert "1 feeds added" in report.stdout
    again = run(tmp_path, "opml", "import", str(exported))
    assert "0 feeds added, 1 already there" in again.stdout


def test_the_topic_feed_list_imports(tmp_path: Path) -> None:
    result = run(tmp_path, "opml", "import", str(PROJECT / "config" / "feeds.opml"))
    added = int(result.stdout.split("opml: ")[1].split()[0])
    assert added >= 20


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("items", "show", "999"), "no such item: 999"),
        (("items", "mark", "999", "--read"), "no such item: 999: nothing was changed"),
        (("items", "mark", "1"), "say how to mark"),
        (("items", "tag", "999", "x"), "no such item: 999"),
        (("search", "AND", "("), "nothing to search for"),
        (("search", "nato", "OR", "-japan"), "write (a OR b) -c"),
        (("feeds", "add", "ftp://example.com/feed"), "not an http(s) feed URL"),
        (("feeds", "remove", "https://nowhere.example/feed"), "no such feed"),
        (("opml", "import", "/nonexistent/list.opml"), "list.opml: cannot read"),
        (("seeds", "import", "/nonexistent/seeds"), "/nonexistent/seeds: no such folder"),
        (("items", "list", "--limit", "zero"), "Invalid value for '--limit'"),
        (("nosuchcommand",), "No such command"),
    ],
)
def test_user_errors_are_one_line_and_exit_1(
    tmp_path: Path, args: tuple[str, ...], message: str
) -> None:
    assert_user_error(run(tmp_path, *args, check=False), message)


def test_duplicate_feed_is_a_user_error(tmp_path: Path) -> None:
    run(tmp_path, "feeds", "add", "--as-is", "https://example.com/feed")
    result = run(tmp_path, "feeds", "add", "--as-is", "https://example.com/feed", check=False)
    assert_user_error(result, "feed already added")


def test_bad_config_names_the_file_line_and_key(tmp_path: Path) -> None:
    config = tmp_path / "bad.toml"
    config.write_text("[fetch]\ntimeout = 5\nretries = 3\n", encoding="utf-8")
    result = run(tmp_path, "--config", str(config), "items", "list", check=False)
    assert_user_error(result, f"{config}, line 3, key 'fetch.retries': unknown key")


def test_help_and_version_exit_0(tmp_path: Path) -> None:
    assert "seeds" in run(tmp_path, "--help").stdout
    assert "reader, version" in run(tmp_path, "--version").stdout


def test_shell_completion_works_as_the_readme_says(tmp_path: Path) -> None:
    env = {**os.environ, "_READER_COMPLETE": "bash_source"}
    script = subprocess.run(
        [sys.executable, "-m", "reader"], capture_output=True, text=True, env=env, check=True
    ).stdout
    assert "_reader_completion()" in script and "_READER_COMPLETE=bash_complete" in script
    env.update(_READER_COMPLETE="bash_complete", COMP_WORDS="reader feeds ", COMP_CWORD="2")
    offered = subprocess.run(
        [sys.executable, "-m", "reader"], capture_output=True, text=True, env=env, check=True
    ).stdout.split()
    assert {"plain,add", "plain,edit", "plain,enable", "plain,remove"} <= set(offered)
    assert "_READER_COMPLETE=bash_source reader" in (PROJECT / "README.md").read_text()
