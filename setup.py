"""Build hook: an installed copy ships the seeds and the starting config.

`seeds/` and `config/` stay the only source in the repository; building a wheel (directly,
or from the sdist, which carries both folders: MANIFEST.in) copies them into the package as
`reader/_data/`, where `reader.config` finds them when no checkout is around. Everything else
about the build is in pyproject.toml.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

ROOT = Path(__file__).resolve().parent
SHIPPED = {"seeds": "*.txt", "config": "*.opml"}
SHIPPED_FILES = (Path("config") / "reader.toml",)


class BuildWithShippedData(build_py):
    """`build_py`, then the seeds, feed list and settings into `reader/_data`."""

    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return  # an editable install runs from the checkout, which has the folders
        target = Path(self.build_lib) / "reader" / "_data"
        for folder, pattern in SHIPPED.items():
            for source in sorted((ROOT / folder).glob(pattern)):
                self._copy(source, target / folder / source.name)
        for relative in SHIPPED_FILES:
            self._copy(ROOT / relative, target / relative)

    @staticmethod
    def _copy(source: Path, destination: Path) -> None:
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)


setup(cmdclass={"build_py": BuildWithShippedData})
