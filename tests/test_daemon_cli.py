"""`reader daemon` refuses bad logging settings with one clear line, before doing anything."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from reader.cli.main import cli
from reader.core.lock import daemon_pid
from reader.exceptions import ConfigError


def test_an_unwritable_log_file_is_a_clear_error_and_releases_the_lock(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("a file where the log folder should be", encoding="utf-8")
    config = tmp_path / "reader.toml"
    config.write_text(f'[log]\nfile = "{blocker / "reader.log"}"\n', encoding="utf-8")
    db = tmp_path / "reader.db"

    result = CliRunner().invoke(cli, ["--db", str(db), "--config", str(config), "daemon"])

    assert result.exit_code == 1
    assert "cannot open the log file" in result.output
    assert str(blocker) in result.output
    assert daemon_pid(db) is None


def test_an_unknown_log_level_in_the_settings_is_a_clear_error(tmp_path: Path) -> None:
    config = tmp_path / "reader.toml"
    config.write_text('[log]\nlevel = "LOUD"\n', encoding="utf-8")

    result = CliRunner().invoke(
        cli, ["--db", str(tmp_path / "reader.db"), "--config", str(config), "daemon"]
    )

    assert isinstance(result.exception, ConfigError)  # `reader` prints it as one line, status 1
    assert f"{config}, line 2, key 'log.level': unknown value 'LOUD'" in str(result.exception)
    assert daemon_pid(tmp_path / "reader.db") is None
