"""Settings: the schema declared once (`schema`), read from TOML and checked (`load`).

Every setting has a default, so an empty file (or none) works. Unknown sections or keys, wrong
types and values out of range are a `ConfigError` naming the file, the line and the key, for
every command, when the file is read. Relative paths in a file are taken relative to that
file's folder. `places` says where the shipped and the user's files are.
"""

from reader.config.load import load_settings
from reader.config.places import install_defaults
from reader.config.schema import (
    DATABASE_URL_SCHEMES,
    LOG_LEVELS,
    AlertSettings,
    DatabaseSettings,
    ExportSettings,
    FeedsSettings,
    FetchSettings,
    LogSettings,
    ReaderSettings,
    RetentionSettings,
    ScheduleSettings,
    SearchSettings,
    SeedsSettings,
    Settings,
    TopicSettings,
)

__all__ = [
    "DATABASE_URL_SCHEMES",
    "LOG_LEVELS",
    "AlertSettings",
    "DatabaseSettings",
    "ExportSettings",
    "FeedsSettings",
    "FetchSettings",
    "LogSettings",
    "ReaderSettings",
    "RetentionSettings",
    "ScheduleSettings",
    "SearchSettings",
    "SeedsSettings",
    "Settings",
    "TopicSettings",
    "install_defaults",
    "load_settings",
]
