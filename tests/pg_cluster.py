"""A throwaway PostgreSQL cluster in a temporary folder, for tests and benchmarks.

`initdb` refuses to run as root, so as root the cluster belongs to the ``postgres`` user (made
by Debian's package) and its commands run through ``runuser``. The server listens on one free
loopback port and a socket in its own folder, trusts local connections, and is removed with
its folder by `destroy`. A cluster made in a folder of your own (`root`) is used again when
that folder already holds one, so benchmarks can keep built databases between runs.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

INSTALL_HINT = (
    "PostgreSQL server programs not found: install them (Debian: `apt-get install postgresql`)"
    " or point READER_TEST_PG_BINDIR at the folder holding initdb and pg_ctl"
)


class ClusterUnavailable(RuntimeError):
    """No PostgreSQL server can be had here (the message says how to get one)."""


def find_bindir() -> Path | None:
    """The folder holding `initdb` and `pg_ctl`: env override, `pg_config`, then Debian's."""
    env = os.environ.get("READER_TEST_PG_BINDIR")
    candidates: list[Path] = [Path(env)] if env else []
    pg_config = shutil.which("pg_config")
    if pg_config:
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, check=True
            ).stdout
            candidates.append(Path(out.strip()))
    candidates += sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
    for folder in candidates:
        if (folder / "initdb").is_file() and (folder / "pg_ctl").is_file():
            return folder
    return None


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class PostgresCluster:
    """One initdb'd cluster; `start`, `stop`, `restart`, `url`, `create_database`, `destroy`."""

    def __init__(
        self, root: Path | None = None, *, port: int | None = None, durable: bool = False
    ) -> None:
        bindir = find_bindir()
        if bindir is None:
            raise ClusterUnavailable(INSTALL_HINT)
        self.bindir = bindir
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            try:
                self._owner = pwd.getpwnam("postgres")
            except KeyError:
                raise ClusterUnavailable(
                    "running as root and there is no `postgres` user to own a test cluster"
                ) from None
        self.root = root or Path(tempfile.mkdtemp(prefix="reader-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "socket"
        self.log = self.root / "server.log"
        self.port = port or free_port()
        # Tests need no durability; benchmarks keep fsync (commits as SQLite's WAL NORMAL).
        self.durable = durable
        self.user = self._owner.pw_name if self._as_postgres else pwd.getpwuid(os.getuid()).pw_name
        if not (self.data / "PG_VERSION").is_file():
            self._initdb()

    def _run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        command = list(args)
        if self._as_postgres:
            command = ["runuser", "-u", self._owner.pw_name, "--", *command]
        return subprocess.run(command, capture_output=True, text=True, check=check, timeout=120)

    def _initdb(self) -> None:
        self.root.mkdir(parents=True, exist_ok=True)
        self.socket_dir.mkdir(parents=True, exist_ok=True)
        if self._as_postgres:
            for path in (self.root, self.socket_dir):
                os.chown(path, self._owner.pw_uid, self._owner.pw_gid)
        result = self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "--auth=trust",
            "--encoding=UTF8",
            "--locale=C.UTF-8",
            "--no-sync",
            check=False,
        )
        if result.returncode != 0:
            raise ClusterUnavailable(f"initdb failed: {result.stderr.strip()[-500:]}")

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.socket_dir} -c listen_addresses=127.0.0.1"
            " -c synchronous_commit=off -c max_connections=200 -c shared_buffers=256MB"
        )
        if not self.durable:
            options += " -c fsync=off -c full_page_writes=off"
        result = self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.log),
            "-o",
            options,
            "-w",
            "-t",
            "60",
            "start",
            check=False,
        )
        if result.returncode != 0:
            tail = self.log.read_text(errors="replace")[-800:] if self.log.exists() else ""
            raise ClusterUnavailable(f"PostgreSQL did not start: {result.stderr.strip()} {tail}")

    def stop(self, mode: str = "fast") -> None:
        self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", mode, "-w", "stop")

    def restart(self) -> None:
        self.stop()
        self.start()

    @property
    def running(self) -> bool:
        result = self._run(str(self.bindir / "pg_ctl"), "-D", str(self.data), "status", check=False)
        return result.returncode == 0

    def url(self, dbname: str = "postgres") -> str:
        return f"postgresql://{self.user}@127.0.0.1:{self.port}/{dbname}"

    def create_database(self, name: str) -> str:
        """Create database `name` (dropping any old one) and return its URL."""
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def destroy(self) -> None:
        """Stop the server (immediately) and remove its folder."""
        with contextlib.suppress(Exception):
            if self.running:
                self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def wait_until_ready(url: str, timeout: float = 30.0) -> None:
    import psycopg

    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(url, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)
