"""Settings files: defaults, and errors that name the file, line and key."""

from __future__ import annotations

from pathlib import Path

import pytest

from reader.config import Settings, load_settings
from reader.exceptions import ConfigError

from .conftest import PROJECT


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


def test_unknown_key_names_file_line_and_key(tmp_path: Path) -> None:
    path = write(tmp_path, "[schedule]\ninterval = 60\nintervall = 5\n")
    with pytest.raises(ConfigError) as caught:
        load_settings(path)
    assert str(caught.value) == f"{path}, line 3, key 'schedule.intervall': unknown key"


def test_unknown_section_is_an_error(tmp_path: Path) -> None:
    path = write(tmp_path, "\n[scheduel]\ninterval = 60\n")
    with pytest.raises(ConfigError, match=r"line 2, key 'scheduel': unknown section"):
        load_settings(path)


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[schedule]\ninterval = "often"\n', "line 2, key 'schedule.interval': expected a whole"),
        ("[fetch]\nallow = [1, 2]\n", "key 'fetch.allow': expected a list of strings"),
        ('[reader]\nmark_read_on_open = "yes"\n', "expected true or false"),
        ("[schedule]\ninterval = -5\n", "must not be negative"),
        ('[fetch]\ncontact = "me\\r\\nX-Evil: 1"\n', "key 'fetch.contact': must be printable"),
        ('[fetch]\ncontact = "a (b)"\n', "without parentheses"),
    ],
)
def test_wrong_types_are_errors(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(ConfigError, match=message):
        load_settings(write(tmp_path, text))


def test_malformed_toml_names_the_line(tmp_path: Path) -> None:
    path = write(tmp_path, "[schedule]\ninterval = = 3\n")
    with pytest.raises(ConfigError, match=r"reader.toml, line 2: not valid TOML"):
        load_settings(path)


def test_missing_file_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="no such file"):
        load_settings(tmp_path / "nope.toml")
