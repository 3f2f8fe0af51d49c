"""A filesystem that fills up: a small tmpfs mounted for a test or a benchmark (root only)."""

from __future__ import annotations

import contextlib
import errno
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


class CannotMount(RuntimeError):
    """No tmpfs can be mounted here (the message says why)."""


@contextlib.contextmanager
def small_tmpfs(size_mib: int) -> Iterator[Path]:
    """A tmpfs of `size_mib` MiB mounted on a fresh folder, unmounted and removed after."""
    if os.geteuid() != 0:
        raise CannotMount("mounting a small tmpfs needs root (CI runs as root)")
    if shutil.which("mount") is None:
        raise CannotMount("no mount command")
    folder = Path(tempfile.mkdtemp(prefix="reader-full-"))
    mount = ["mount", "-t", "tmpfs", "-o", f"size={size_mib}m", "tmpfs", str(folder)]
    mounted = subprocess.run(mount, capture_output=True, text=True)
    if mounted.returncode != 0:
        folder.rmdir()
        raise CannotMount(f"cannot mount a tmpfs here: {mounted.stderr.strip()}")
    try:
        yield folder
    finally:
        subprocess.run(["umount", "-l", str(folder)], check=False)
        folder.rmdir()


def fill(folder: Path, *, leave: int) -> Path:
    """Fill the filesystem of `folder` with one file, leaving about `leave` bytes free."""
    filler = folder / "filler.bin"
    fd = os.open(filler, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:  # unbuffered: a file object would hold the descriptor (and the space) on ENOSPC
        while True:
            try:
                os.write(fd, b"\0" * 65536)
            except OSError as exc:
                if exc.errno != errno.ENOSPC:
                    raise
                break
        os.ftruncate(fd, max(0, os.fstat(fd).st_size - leave))
    finally:
        os.close(fd)
    return filler
