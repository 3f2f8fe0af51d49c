"""The walls around other libraries' private parts: each fails here, by name, when its library
changes under it (a new release series, a changed private method, a helper that answers
differently). Upper bounds in pyproject.toml keep such releases out until this passes."""

from __future__ import annotations

import importlib
import importlib.util
import ssl
import sys
from types import ModuleType

import httpcore
import pytest

from reader.fetch import _httpcore_compat
from reader.parse import _feedparser_compat
from reader.tui import _textual_compat

WALLS = [_httpcore_compat, _feedparser_compat, _textual_compat]


@pytest.mark.parametrize("wall", WALLS, ids=lambda wall: wall.__name__)
def test_each_compatibility_module_still_matches_its_library(wall: ModuleType) -> None:
    problems = wall.problems()
    assert not problems, f"{wall.__name__} no longer matches its library: {'; '.join(problems)}"


def pool() -> httpcore.AsyncConnectionPool:
    return _httpcore_compat.connection_pool(
        ssl_context=ssl.create_default_context(),
        max_connections=4,
        max_keepalive_connections=4,
        keepalive_expiry=5.0,
        network_backend=httpcore.AnyIOBackend(),
    )


def test_the_lean_pool_applies_only_to_the_method_it_mirrors(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert type(pool()) is _httpcore_compat.LeanConnectionPool
    monkeypatch.setattr(_httpcore_compat, "MIRRORED_SHA256", "0" * 64)
    assert not _httpcore_compat.lean_pool_applies()
    assert type(pool()) is httpcore.AsyncConnectionPool  # correct, only slower
    assert any("changed" in problem for problem in _httpcore_compat.problems())


def test_without_sniffio_httpcore_looks_for_it_only_once(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delitem(sys.modules, "sniffio", raising=False)
    if importlib.util.find_spec("sniffio") is not None:
        pytest.skip("sniffio is installed here: httpcore asks it, nothing to settle")
    _httpcore_compat.settle_sniffio()
    assert sys.modules["sniffio"] is None  # the next `import sniffio` fails without a search
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("sniffio")
