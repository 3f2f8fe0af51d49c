"""Reading a settings file: TOML in, a checked `Settings` out, or a `ConfigError` naming the
file, the line and the key.

Every value is checked against the schema (`reader.config.schema`) here, so a bad value stops
every command at once rather than the one that first uses it.
"""

from __future__ import annotations

import dataclasses
import re
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from reader.config.places import default_config_path
from reader.config.rules import parse_rules
from reader.config.schema import Allowed, Section, Settings
from reader.exceptions import ConfigError

_ANY_VALUE = Allowed()
_SECTION_TYPES: dict[str, type[Section]] = {
    name: hint
    for name, hint in typing.get_type_hints(Settings).items()
    if isinstance(hint, type) and issubclass(hint, Section)
}


def load_settings(path: Path | str | None = None) -> Settings:
    """Load settings from `path` (or the default file); defaults where a key is absent."""
    path = Path(path) if path is not None else default_config_path()
    if path is None:
        return Settings()
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(path, "no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(path, f"cannot read: {exc}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        match = re.search(r"line (\d+)", str(exc))
        line = int(match.group(1)) if match else None
        raise ConfigError(path, f"not valid TOML: {exc}", line=line) from None
    return _FileReader(path, text).settings(data)


class _FileReader:
    """Builds `Settings` from one file's parsed TOML, knowing its text to name lines."""

    def __init__(self, path: Path, text: str) -> None:
        self.path = path
        self.lines = text.splitlines()

    def settings(self, data: dict[str, Any]) -> Settings:
        sections: dict[str, Any] = {}
        for name, table in data.items():
            if name == "rules":
                sections[name] = parse_rules(table, self._bad_rule)
            elif name not in _SECTION_TYPES:
                raise self._error("unknown section", name, None)
            elif not isinstance(table, dict):
                raise self._error("must be a table", name, None)
            else:
                sections[name] = self._section(name, _SECTION_TYPES[name], table)
        return Settings(**sections, source=self.path)

    def _section(self, name: str, section_type: type[Section], table: dict[str, Any]) -> Section:
        fields = {f.name: f for f in dataclasses.fields(section_type)}
        hints = typing.get_type_hints(section_type)
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in fields:
                raise self._error("unknown key", key, name)
            allowed = fields[key].metadata.get("allowed", _ANY_VALUE)
            try:
                values[key] = checked(value, hints[key], allowed)
            except ValueError as exc:
                raise self._error(str(exc), key, name) from None
        section = section_type(**values)
        conflict = section.conflict()
        if conflict is not None:
            key, message = conflict
            raise self._error(message, key, name)
        return section

    def _error(self, message: str, key: str, section: str | None) -> ConfigError:
        dotted = f"{section}.{key}" if section else key
        return ConfigError(self.path, message, key=dotted, line=self._line_of(key, section))

    def _bad_rule(self, message: str, index: int, key: str | None) -> ConfigError:
        if index < 0:
            return ConfigError(self.path, message, key="rules")
        where = f"rules[{index + 1}]"
        line = self._rule_line(index, key)
        return ConfigError(self.path, message, key=f"{where}.{key}" if key else where, line=line)

    def _line_of(self, key: str, section: str | None) -> int | None:
        """The 1-based line where `key` is set inside `[section]`, or with no section where
        the table `key` starts (``[key]`` or a top-level ``key = ...``)."""
        current: str | None = None
        for number, raw in enumerate(self.lines, start=1):
            header = re.match(r"^\[\s*([^\]]+?)\s*\]", raw.strip())
            if header:
                current = header.group(1)
                if section is None and current == key:
                    return number
            elif current == section and _sets(raw, key):
                return number
        return None

    def _rule_line(self, index: int, key: str | None) -> int | None:
        """The line of `key` in the `index`-th ``[[rules]]`` table (its header when no key)."""
        seen = -1
        inside = False
        for number, raw in enumerate(self.lines, start=1):
            line = raw.strip()
            if re.match(r"^\[\[\s*rules\s*\]\]", line):
                seen += 1
                inside = seen == index
                if inside and key is None:
                    return number
            elif line.startswith("["):
                inside = False
            elif inside and key is not None and _sets(raw, key):
                return number
        return None


def _sets(line: str, key: str) -> bool:
    """Whether a TOML line sets `key` (bare or quoted)."""
    return re.match(rf"^\s*[\"']?{re.escape(key)}[\"']?\s*=", line) is not None


def checked(value: Any, hint: Any, allowed: Allowed) -> Any:
    """A TOML value as the field's type, within what the field allows; else `ValueError`
    saying what was expected."""
    if typing.get_origin(hint) in (typing.Union, types.UnionType):
        hint = next(a for a in typing.get_args(hint) if a is not type(None))
    if typing.get_origin(hint) is tuple:
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ValueError("expected a list of strings")
        value = tuple(value)
    elif hint is bool:
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
    elif hint is int or hint is float:
        if isinstance(value, bool) or not isinstance(value, int | float if hint is float else int):
            raise ValueError("expected a number" if hint is float else "expected a whole number")
        value = hint(value)
        _check_bounds(value, allowed)
    elif hint is str:
        if not isinstance(value, str):
            raise ValueError("expected a string")
        if allowed.choices:
            value = _choice(value, allowed.choices)
    else:
        raise ValueError(f"unsupported setting type {hint!r}")
    problem = allowed.problem(value) if allowed.problem is not None else None
    if problem is not None:
        raise ValueError(problem)
    return value


def _check_bounds(value: float, allowed: Allowed) -> None:
    if allowed.at_most is not None and not allowed.at_least <= value <= allowed.at_most:
        raise ValueError(f"must be from {allowed.at_least:g} to {allowed.at_most:g}")
    if allowed.more_than is not None and value <= allowed.more_than:
        raise ValueError(f"must be more than {allowed.more_than:g}")
    if value < allowed.at_least:
        if allowed.at_least == 0:
            raise ValueError("must not be negative")
        raise ValueError(f"must be at least {allowed.at_least:g}")


def _choice(value: str, choices: tuple[str, ...]) -> str:
    for choice in choices:
        if value.strip().lower() == choice.lower():
            return choice
    raise ValueError(f"unknown value {value!r}; use one of {', '.join(choices)}")
