"""Settings files: defaults, and errors that name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.config import Settings, load_settings
from reader.exceptions import ConfigError

from .conftest import PROJECT
from .test_cli import assert_user_error, run


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "reader.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_shipped_config_file_equals_the_defaults() -> None:
    loaded = load_settings(PROJECT / "config" / "reader.toml")
    defaults = Settings()
    for section in ("database", "seeds", "feeds", "fetch", "schedule", "retention", "topic"):
        assert getattr(loaded, section) == getattr(defaults, section), section
    assert loaded.reader == defaults.reader and loaded.log == defaults.log


def test_an_empty_file_gives_every_default(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, "")).schedule == Settings().schedule


def test_values_are_read_and_relative_paths_follow_the_file(tmp_path: Path) -> None:
    settings = load_settings(
        write(
            tmp_path,
            '[schedule]\ninterval = 60\n[fetch]\nallow = ["127.0.0.1:8765"]\n'
            '[database]\npath = "data/r.db"\n[topic]\nhide_below = 1\n',
        )
    )
    assert settings.schedule.interval == 60
    assert settings.fetch.allow == ("127.0.0.1:8765",)
    assert settings.db_path == tmp_path / "data" / "r.db"
    assert settings.topic.hide_below == 1.0


def test_a_database_url_wins_over_the_path_and_reader_db_over_both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = "postgresql://reader@db.example/reader"
    settings = load_settings(write(tmp_path, f'[database]\npath = "data/r.db"\nurl = "{url}"\n'))
    assert settings.db_location == url
    monkeypatch.setenv("READER_DB", str(tmp_path / "env.db"))
    assert settings.db_location == str(tmp_path / "env.db")
    monkeypatch.setenv("READER_DB", "postgresql://other@db.example/other")
    assert settings.db_location == "postgresql://other@db.example/other"


def test_environment_adds_to_the_fetch_allow_list(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("READER_FETCH_ALLOW", "127.0.0.1:1, 127.0.0.2:2")
    settings = load_settings(write(tmp_path, '[fetch]\nallow = ["127.0.0.1:3"]\n'))
    assert settings.fetch_allow == {"127.0.0.1:1", "127.0.0.2:2", "127.0.0.1:3"}


BAD_VALUES = {
    "unknown section": ("\n[scheduel]\ninterval = 60\n", "line 2, key 'scheduel': unknown section"),
    "unknown key": ("[schedule]\nintervall = 5\n", "line 2, key 'schedule.intervall': unknown key"),
    "section not a table": ("fetch = 3\n", "line 1, key 'fetch': must be a table"),
    "not a whole number": (
        '[schedule]\ninterval = "often"\n',
        "line 2, key 'schedule.interval': expected a whole number",
    ),
    "not a number": ("[fetch]\ntimeout = [5]\n", "line 2, key 'fetch.timeout': expected a number"),
    "not true or false": (
        '[reader]\nmark_read_on_open = "yes"\n',
        "line 2, key 'reader.mark_read_on_open': expected true or false",
    ),
    "not a string": ("[log]\nfile = 3\n", "line 2, key 'log.file': expected a string"),
    "not a list of strings": (
        "[fetch]\nallow = [1, 2]\n",
        "line 2, key 'fetch.allow': expected a list of strings",
    ),
    "negative": ("[retention]\ndays = -5\n", "line 2, key 'retention.days': must not be negative"),
    "below its least": (
        "[schedule]\nbatch_size = 0\n",
        "line 2, key 'schedule.batch_size': must be at least 1",
    ),
    "a zero duration": (
        "[fetch]\ntimeout = 0\n",
        "line 2, key 'fetch.timeout': must be more than 0",
    ),
    "a score above 1": (
        "[topic]\nhide_below = 1.5\n",
        "line 2, key 'topic.hide_below': must be from 0 to 1",
    ),
    "not one of the words": (
        '[log]\nlevel = "LOUD"\n',
        "line 2, key 'log.level': unknown value 'LOUD'; use one of DEBUG, INFO, WARNING, ERROR",
    ),
    "not a query": (
        '[alerts]\nquery = "score:>x"\n',
        "line 2, key 'alerts.query': not a query: score takes",
    ),
    "not an http URL": (
        '[alerts]\nwebhook = "ftp://x"\n',
        "line 2, key 'alerts.webhook': must be an http(s) URL",
    ),
    "not a database URL": (
        '[database]\nurl = "mysql://db/r"\n',
        "line 2, key 'database.url': must be a postgresql:// URL",
    ),
    "an allow entry without a port": (
        '[fetch]\nallow = ["127.0.0.1"]\n',
        "line 2, key 'fetch.allow': each entry must be HOST:PORT, not '127.0.0.1'",
    ),
    "a header break in the contact": (
        '[fetch]\ncontact = "me\\r\\nX-Evil: 1"\n',
        "line 2, key 'fetch.contact': must be printable",
    ),
    "keys that do not go together": (
        "[schedule]\nmin_interval = 600\n\nmax_interval = 60\n",
        "line 2, key 'schedule.min_interval': must not be more than max_interval (60)",
    ),
    "a rule's unknown action": (
        '[[rules]]\nquery = "x"\naction = "explode"\n',
        "line 3, key 'rules[1].action': unknown action 'explode'",
    ),
}
"""A settings file with one bad value of each kind, and the error's "line, key: message"."""


@pytest.mark.parametrize("kind", BAD_VALUES)
def test_every_kind_of_bad_value_stops_a_command_naming_file_line_and_key(
    tmp_path: Path, kind: str
) -> None:
    text, error = BAD_VALUES[kind]
    config = write(tmp_path, text)
    result = run(tmp_path, "--config", str(config), "items", "list", check=False)
    assert_user_error(result, f"Error: {config}, {error}")


def test_a_log_level_in_any_case_is_read_as_the_level(tmp_path: Path) -> None:
    assert load_settings(write(tmp_path, '[log]\nlevel = " debug"\n')).log.level == "DEBUG"


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[schedule]\ninterval = = 3\n")
    with pytest.raises(ConfigError, match=r"reader.toml, line 2: not valid TOML"):
        load_settings(path)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "nope.toml")
