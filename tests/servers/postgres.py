"""A private PostgreSQL cluster for tests: its own data folder, port, socket and process.

Nothing here touches the system cluster. PostgreSQL refuses to run as root, so as root
the cluster belongs to the `postgres` user (its commands run through `runuser`);
otherwise to the current user. fsync is off: the tests check mailbot's logic, not the
disk. Clients log in over TCP with a password (scram-sha-256), as a deployment would.
"""

from __future__ import annotations

import importlib.util
import os
import pwd
import shutil
import subprocess
import tempfile
import uuid
from pathlib import Path
from typing import TYPE_CHECKING

from tests.servers import ManagedServer, free_port

if TYPE_CHECKING:
    from psycopg.sql import Composable

BIN = Path("/usr/lib/postgresql/15/bin")
INSTALL_HINT = "apt-get install -y --no-install-recommends postgresql-15"
SERVER_USER = "postgres"  # the account the cluster runs as when the tests run as root
ROLE = "mailbot"


def missing() -> str | None:
    """Why no private PostgreSQL can run here, or None when it can."""
    if importlib.util.find_spec("psycopg") is None:
        return "the psycopg package is missing; pip install -e '.[test]'"
    for name in ("initdb", "pg_ctl", "postgres"):
        if not os.access(BIN / name, os.X_OK):
            return f"{BIN / name} is missing; install it with: {INSTALL_HINT}"
    if os.geteuid() == 0:
        try:
            pwd.getpwnam(SERVER_USER)
        except KeyError:
            return f"running as root needs a {SERVER_USER!r} user to own the cluster"
        if not shutil.which("runuser"):
            return "running as root needs runuser (util-linux) to drop privileges"
    return None


class PostgresError(RuntimeError):
    """The private cluster would not initialise, start or answer."""


class Postgres(ManagedServer):
    """A private PostgreSQL on 127.0.0.1 and a free port. Use as a context manager."""

    host = "127.0.0.1"

    def __init__(self) -> None:
        self.port = free_port()
        self.password = uuid.uuid4().hex
        self.root = Path(tempfile.mkdtemp(prefix="mailbot-postgres-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "run"
        self.log = self.root / "postgres.log"
        self.socket_dir.mkdir()
        self._as: list[str] = []
        if os.geteuid() == 0:
            closed = [p for p in self.root.parents if not p.stat().st_mode & 0o001]
            if closed:
                shutil.rmtree(self.root)
                raise PostgresError(f"{SERVER_USER} cannot enter {closed[0]}: "
                                    "point TMPDIR elsewhere")
            uid, gid = pwd.getpwnam(SERVER_USER)[2:4]
            os.chown(self.root, uid, gid)
            os.chown(self.socket_dir, uid, gid)
            self._as = ["runuser", "-u", SERVER_USER, "--"]
        self._running = False


    def url(self, database: str, *, password: bool = True) -> str:
        """The SQLAlchemy URL of ``database`` on this cluster (with the password or not)."""
        secret = f":{self.password}" if password else ""
        return f"postgresql+psycopg://{ROLE}{secret}@{self.host}:{self.port}/{database}"

    def create_database(self) -> str:
        """A new empty database; returns its name. Cheap: a copy of template0."""
        from psycopg import sql

        name = f"t_{uuid.uuid4().hex[:16]}"
        self._admin(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(
            sql.Identifier(name)))
        return name

    def drop_database(self, name: str) -> None:
        """Drop ``name``, cutting off whoever is still connected to it."""
        from psycopg import sql

        self._admin(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(
            sql.Identifier(name)))

    def start(self) -> None:
        if self._running:
            raise PostgresError("already running")
        if not (self.data / "PG_VERSION").exists():
            pwfile = self.root / "pwfile"
            pwfile.write_text(self.password + "\n")
            if self._as:
                shutil.chown(pwfile, SERVER_USER)
            self._run(BIN / "initdb", "-D", str(self.data), "-U", ROLE, "--pwfile", str(pwfile),
                      "--auth-local=trust", "--auth-host=scram-sha-256", "-E", "UTF8",
                      "--locale=C.UTF-8", "--no-sync")
            pwfile.unlink()
        options = " ".join([
            f"-c port={self.port}", f"-c listen_addresses={self.host}",
            f"-c unix_socket_directories={self.socket_dir}", "-c fsync=off",
            "-c synchronous_commit=off", "-c full_page_writes=off", "-c max_connections=200",
            "-c shared_buffers=32MB",
        ])
        self._run(BIN / "pg_ctl", "start", "-D", str(self.data), "-l", str(self.log), "-w",
                  "-t", "30", "-o", options)
        self._running = True

    def stop(self, mode: str = "fast") -> None:
        """Stop the server; "fast" keeps every commit (synchronous_commit is off, so
        "immediate" may lose the last ones, which only close() can afford)."""
        if not self._running:
            return
        self._running = False
        self._run(BIN / "pg_ctl", "stop", "-D", str(self.data), "-m", mode, "-w")

    def close(self) -> None:
        try:
            self.stop("immediate")
        finally:
            shutil.rmtree(self.root, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def _admin(self, statement: Composable) -> None:
        import psycopg

        with psycopg.connect(host=self.host, port=self.port, user=ROLE, password=self.password,
                             dbname="postgres", autocommit=True, connect_timeout=10) as conn:
            conn.execute(statement)

    def _run(self, *command: str | Path) -> None:
        argv = [*self._as, *map(str, command)]
        result = subprocess.run(argv, capture_output=True, timeout=60, cwd=self.root)
        if result.returncode != 0:
            raise PostgresError(
                f"{' '.join(argv)} failed ({result.returncode}):\n"
                f"{result.stdout.decode(errors='replace')}{result.stderr.decode(errors='replace')}"
                f"\n{self.log_tail()}"
            )
