"""Start anywhere: a wheel built from the sdist (as `python -m build` and pipx do) ships the
seeds, the feed list and the settings, and `reader start` from that install, away from any
checkout, copies them to the user's folders on the first start and works from them.

The wheel is built offline (no build isolation: setuptools and wheel are test dependencies)
and installed into a temporary venv that borrows this venv's dependencies. The installed
program's network is limited to loopback by a `sitecustomize` in that venv, so its one update
tries no real host: every feed fails there, which `reader start` reports with exit status 1.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import textwrap
import venv
import zipfile
from pathlib import Path

import pytest

from reader.sources.opml import parse_opml

from .conftest import PROJECT, SEEDS_DIR

pytestmark = pytest.mark.slow

SOURCES = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "reader", "seeds", "config")

LOOPBACK_ONLY = textwrap.dedent(
    """
    import socket

    _getaddrinfo = socket.getaddrinfo

    def _loopback_only(host, *args, **kwargs):
        if host not in ("localhost", "127.0.0.1", "::1"):
            raise socket.gaierror(socket.EAI_NONAME, "test venv: no network but loopback")
        return _getaddrinfo(host, *args, **kwargs)

    socket.getaddrinfo = _loopback_only
    """
)


def build(tmp_path: Path) -> Path:
    """sdist from a copy of the sources, then the wheel from the unpacked sdist."""
    source = tmp_path / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info", "_data")
    for name in SOURCES:
        path = PROJECT / name
        if path.is_dir():
            shutil.copytree(path, source / name, ignore=ignore)
        else:
            shutil.copy(path, source / name)
    dist = tmp_path / "dist"

    def hook(name: str, cwd: Path) -> str:
        code = f"from setuptools import build_meta as b; print(b.{name}({str(dist)!r}))"
        done = subprocess.run(
            [sys.executable, "-c", code], cwd=cwd, capture_output=True, text=True, check=True
        )
        return done.stdout.strip().splitlines()[-1]

    sdist = dist / hook("build_sdist", source)
    with tarfile.open(sdist) as archive:
        names = archive.getnames()
        archive.extractall(tmp_path / "unpacked", filter="data")
    assert any(n.endswith("/config/feeds.opml") for n in names)
    assert sum(n.endswith(".txt") and "/seeds/" in n for n in names) == len(seed_files())
    [root] = (tmp_path / "unpacked").iterdir()
    return dist / hook("build_wheel", root)


def seed_files() -> list[Path]:
    return sorted(SEEDS_DIR.glob("*.txt"))


def install(wheel: Path, tmp_path: Path) -> Path:
    """A fresh venv with the wheel installed and this venv's dependencies importable."""
    target = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(target)
    site = Path(
        subprocess.run(
            [
                target / "bin" / "python",
                "-c",
                "import sysconfig; print(sysconfig.get_paths()['purelib'])",
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "borrowed_dependencies.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    (site / "sitecustomize.py").write_text(LOOPBACK_ONLY)
    subprocess.run(
        [target / "bin" / "python", "-m", "pip", "install", "--no-deps", "--no-index", wheel],
        capture_output=True,
        check=True,
    )
    return target / "bin" / "reader"


def test_the_wheel_ships_the_seeds_feed_list_and_settings(tmp_path: Path) -> None:
    wheel = build(tmp_path)
    with zipfile.ZipFile(wheel) as archive:
        shipped = {n: archive.read(n) for n in archive.namelist() if "/_data/" in n}
    expected = {f"reader/_data/seeds/{p.name}": p.read_bytes() for p in seed_files()}
    for name in ("feeds.opml", "reader.toml"):
        expected[f"reader/_data/config/{name}"] = (PROJECT / "config" / name).read_bytes()
    assert shipped == expected
    assert not (PROJECT / "reader" / "_data").exists()  # no second copy in the checkout


def test_reader_start_from_an_installed_wheel_copies_and_uses_what_it_ships(
    tmp_path: Path,
) -> None:
    program = install(build(tmp_path), tmp_path)
    home = tmp_path / "home"
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_STATE_HOME": str(home / "state"),
    }
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()

    def start() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [program, "start"],
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            env=env,
            cwd=elsewhere,
            timeout=300,
            check=False,
        )

    first = start()
    data = home / "data" / "reader"
    feeds = len(parse_opml(PROJECT / "config" / "feeds.opml").feeds)
    lines = first.stdout.splitlines()
    assert f"first start: copied seeds to {data}" in lines
    assert f"first start: copied feeds.opml to {data}" in lines
    assert f"first start: copied reader.toml to {home / 'config' / 'reader'}" in lines
    seeds = len(seed_files())
    assert f"seeds: {seeds} imported from {data / 'seeds'} ({seeds} new," in first.stdout
    assert f"feeds: subscribed to {feeds} feeds from {data / 'feeds.opml'}" in lines
    assert sorted(p.name for p in (data / "seeds").iterdir()) == [p.name for p in seed_files()]
    assert (data / "reader.db").is_file()
    # The test venv reaches no real host: every feed fails, and start says so with status 1.
    assert first.returncode == 1
    assert first.stderr.strip().splitlines()[-1] == f"Error: every feed failed ({feeds} checked)"

    again = start()
    assert "first start" not in again.stdout and "feeds: subscribed" not in again.stdout
    assert f"seeds: {seeds} imported from {data / 'seeds'} (0 new, 0 updated" in again.stdout
    found = subprocess.run(
        [program, "search", "Asia-Pacific"], capture_output=True, text=True, env=env,
        cwd=elsewhere, check=False,
    )  # fmt: skip
    assert found.returncode == 0 and "Asia-Pacific" in found.stdout
