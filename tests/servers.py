"""Throw-away servers for tests and benchmarks: PostgreSQL and Redis on 127.0.0.1, ephemeral port, temporary folder.

Each is a context manager that starts its server (from Debian's packages: ``postgresql``, ``redis-server``;
``make venv`` installs them) and always stops it and removes its folder::

    with PostgresServer() as pg:
        url = pg.create_database("gradebook")   # postgresql+psycopg://postgres@127.0.0.1:PORT/gradebook
    with RedisServer() as redis:
        redis.url                                # redis://127.0.0.1:PORT/0

PostgreSQL refuses to run as root: as root the server runs as ``nobody`` (trust authentication, loopback
only). ``missing()`` says why a server cannot be started here (to skip with that reason), or None.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now (the server binds it a moment later; start() retries)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_port(port: int, proc, seconds: float, what: str, log: str = "") -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"{what} exited with code {proc.returncode}: {_tail(log)}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on port {port} within {seconds:g} s: {_tail(log)}")


def _tail(path: str) -> str:
    try:
        with open(path, errors="replace") as f:
            return f.read()[-2000:]
    except OSError:
        return ""


class RedisServer:
    """``redis-server`` on 127.0.0.1:<free port>, no persistence, data in a temporary folder."""

    BINARY = "redis-server"

    @classmethod
    def missing(cls) -> str | None:
        return None if shutil.which(cls.BINARY) else "redis-server is not installed (Debian: apt-get install redis-server)"

    def __enter__(self):
        self.folder = tempfile.mkdtemp(prefix="test-redis-")
        self.log = os.path.join(self.folder, "redis.log")
        for attempt in range(5):
            self.port = free_port()
            self.proc = subprocess.Popen(
                [shutil.which(self.BINARY), "--port", str(self.port), "--bind", "127.0.0.1", "--dir", self.folder,
                 "--save", "", "--appendonly", "no", "--daemonize", "no", "--logfile", self.log,
                 "--protected-mode", "yes"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                start_new_session=True)
            try:
                _wait_port(self.port, self.proc, 15, "redis-server", self.log)
                break
            except RuntimeError:
                self._kill()
                if attempt == 4:
                    shutil.rmtree(self.folder, ignore_errors=True)
                    raise
        self.url = f"redis://127.0.0.1:{self.port}/0"
        return self

    def _kill(self):
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(10)

    def __exit__(self, *exc):
        self._kill()
        shutil.rmtree(self.folder, ignore_errors=True)


class PostgresServer:
    """A PostgreSQL cluster made by ``initdb`` in a temporary folder, served on 127.0.0.1:<free port>."""

    @staticmethod
    def bindir() -> str | None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        return os.path.dirname(found[-1]) if found else None

    @classmethod
    def missing(cls) -> str | None:
        if cls.bindir() is None:
            return "PostgreSQL is not installed (Debian: apt-get install postgresql)"
        try:
            import psycopg  # noqa: F401
        except ImportError:
            return "the PostgreSQL driver psycopg is not installed (pip install -r requirements.txt)"
        return None

    def _run(self, *args, **kwargs):
        return subprocess.run(list(args), check=True, capture_output=True, text=True, user=self.user,
                              cwd=self.folder, timeout=120, **kwargs)

    def __enter__(self):
        bindir = self.bindir()
        self.user = "nobody" if os.geteuid() == 0 else None
        self.folder = tempfile.mkdtemp(prefix="test-postgres-")
        os.chmod(self.folder, 0o700)
        if self.user:
            entry = pwd.getpwnam(self.user)
            os.chown(self.folder, entry.pw_uid, entry.pw_gid)
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "server.log")
        try:
            self._run(os.path.join(bindir, "initdb"), "-D", self.data, "-U", "postgres", "--auth=trust",
                      "-E", "UTF8", "--locale=C", "--no-sync")
            for attempt in range(5):
                self.port = free_port()
                self.proc = subprocess.Popen(
                    [os.path.join(bindir, "postgres"), "-D", self.data, "-p", str(self.port), "-k", self.folder,
                     "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c", "synchronous_commit=off",
                     "-c", "full_page_writes=off", "-c", f"log_directory={self.folder}", "-c", "logging_collector=off"],
                    stdout=self._log_file(), stderr=subprocess.STDOUT, user=self.user, cwd=self.folder,
                    start_new_session=True)
                try:
                    _wait_port(self.port, self.proc, 30, "postgres", self.log)
                    self._ready()
                    break
                except RuntimeError:
                    self._stop()
                    if attempt == 4:
                        raise
        except BaseException:
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        self.url = f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"
        return self

    def _log_file(self):
        self.log_handle = open(self.log, "ab")
        return self.log_handle

    def _ready(self) -> None:
        import psycopg
        deadline = time.monotonic() + 30
        while True:
            try:
                psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", connect_timeout=2).close()
                return
            except psycopg.OperationalError:  # "the database system is starting up"
                if time.monotonic() > deadline:
                    raise RuntimeError(f"postgres did not accept connections: {_tail(self.log)}")
                time.sleep(0.1)

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        import psycopg
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname=postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{name}"

    def query(self, database: str, sql: str, *params) -> list:
        import psycopg
        with psycopg.connect(f"host=127.0.0.1 port={self.port} user=postgres dbname={database}") as c:
            return c.execute(sql, params).fetchall()

    def _stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: PostgreSQL's "fast" shutdown (SIGTERM would wait for clients)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)
        self.log_handle.close()

    def __exit__(self, *exc):
        self._stop()
        shutil.rmtree(self.folder, ignore_errors=True)
