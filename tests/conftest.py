"""Shared fixtures: a real SQLite store in a temporary folder, the real seeds, the corpus."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from reader.store import SQLiteStore, open_store

PROJECT = Path(__file__).resolve().parents[1]
SEEDS_DIR = PROJECT / "seeds"
CORPUS = PROJECT.parent / "shared" / "corpus"
needs_corpus = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"shared corpus not present at {CORPUS} (only in the dev workspace)"
)


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    return tmp_path / "reader.db"


@pytest.fixture
def store(db_path: Path) -> Iterator[SQLiteStore]:
    with open_store(db_path) as opened:
        yield opened


@pytest.fixture(autouse=True)
def _isolated_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Keep tests away from the user's own database, settings and logs."""
    monkeypatch.delenv("READER_DB", raising=False)
    monkeypatch.delenv("READER_CONFIG", raising=False)
    monkeypatch.delenv("READER_FETCH_ALLOW", raising=False)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(tmp_path / "xdg-config"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg-state"))


def corpus_rows() -> list[list[str]]:
    """MANIFEST.tsv rows: local path, source repo, path in repo, license, kind."""
    if not CORPUS.is_dir():
        return []
    text = (CORPUS / "MANIFEST.tsv").read_text(encoding="utf-8")
    return [line.split("\t") for line in text.splitlines() if line.strip()]
