"""Where the program's files are: the checkout or the installed package, and the user's folders."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import platformdirs

APP_NAME = "reader"
PROJECT_ROOT = Path(__file__).resolve().parents[2]
"""The source checkout (holds `seeds/` and `config/` when run from a clone)."""
PACKAGE_DATA = Path(__file__).resolve().parents[1] / "_data"
"""An installed copy's seeds and starting config (`seeds/`, `config/`), built into the
package from the checkout's folders by `setup.py`; absent in a checkout."""


def in_checkout() -> bool:
    """Whether the program runs from its source checkout (`seeds/` and `config/` beside it)."""
    return (PROJECT_ROOT / "pyproject.toml").is_file() and (PROJECT_ROOT / "seeds").is_dir()


def user_data_dir() -> Path:
    """The user's data folder: the database, and an installed copy's seeds and feed list."""
    return Path(platformdirs.user_data_dir(APP_NAME))


def user_config_file() -> Path:
    """The user's own settings file (it may not exist)."""
    return Path(platformdirs.user_config_dir(APP_NAME)) / "reader.toml"


def user_state_dir() -> Path:
    """The user's state folder: what the program keeps between runs that is neither data nor
    settings (the log, the terminal reader's theme)."""
    return Path(platformdirs.user_state_dir(APP_NAME))


def user_log_file() -> Path:
    """The log file when the settings name none."""
    return user_state_dir() / "reader.log"


def shipped(folder: str, name: str = "") -> Path:
    """A file or folder the program ships with: the checkout's own, else the package's."""
    base = PROJECT_ROOT if in_checkout() else PACKAGE_DATA
    return base / folder / name if name else base / folder


def install_defaults() -> tuple[Path, ...]:
    """On an installed copy's first start, copy the shipped seeds and feed list to the
    user's data folder and the settings file to the user's config folder, where they can be
    edited; nothing that is already there is touched. Returns what was copied (nothing in a
    checkout, which uses `seeds/` and `config/` where they are)."""
    if in_checkout() or not PACKAGE_DATA.is_dir():
        return ()
    copies = [
        (PACKAGE_DATA / "seeds", user_data_dir() / "seeds"),
        (PACKAGE_DATA / "config" / "feeds.opml", user_data_dir() / "feeds.opml"),
        (PACKAGE_DATA / "config" / "reader.toml", user_config_file()),
    ]
    copied: list[Path] = []
    for source, target in copies:
        if target.exists() or not source.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target)
        else:
            shutil.copyfile(source, target)
        copied.append(target)
    return tuple(copied)


def default_config_path() -> Path | None:
    """The settings file used when none is named: env, user config, then the shipped one."""
    env = os.environ.get("READER_CONFIG")
    if env:
        return Path(env).expanduser()
    if user_config_file().is_file():
        return user_config_file()
    project = shipped("config", "reader.toml")
    return project if project.is_file() else None
