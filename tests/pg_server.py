"""A throw-away PostgreSQL server for the tests: ``initdb`` in a temporary folder, ``postgres`` on 127.0.0.1 at a
free port chosen at run time, stopped (and its folder removed) by whoever started it.

As root the server runs as the unprivileged ``postgres`` user (Debian's package creates it; else ``nobody``):
PostgreSQL refuses to run as root. :func:`find_binaries` says why a server cannot be started here, so a test can
skip with that reason (``make venv`` installs Debian's ``postgresql`` where it can).
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time


def find_binaries() -> tuple[str | None, str]:
    """(folder holding ``initdb`` and ``postgres``, "") or (None, why not)."""
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True)
    on_path = shutil.which("initdb")
    if on_path:
        candidates.insert(0, os.path.dirname(on_path))
    for folder in candidates:
        if all(os.access(os.path.join(folder, p), os.X_OK) for p in ("initdb", "postgres", "createdb")):
            return folder, ""
    return None, ("PostgreSQL server binaries (initdb, postgres) not found: install Debian's `postgresql` "
                  "package (`make venv` does so as root)")


def _run_as() -> pwd.struct_passwd | None:
    """The unprivileged account the server runs as when we are root (None: run as ourselves)."""
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged account (postgres, nobody) to run PostgreSQL as")


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class PostgresServer:
    """``with PostgresServer() as pg: pg.create_database("x") -> URL``."""

    def __init__(self, bindir: str):
        self.bindir = bindir
        self.proc = None
        self.user = "grader"
        self.password = "s3cret-pw"

    def _preexec(self):
        account = _run_as()
        if account is not None:
            os.setgid(account.pw_gid)
            os.setgroups([])
            os.setuid(account.pw_uid)

    def _call(self, *args, **kw):
        env = dict(os.environ, LC_ALL="C", PGPASSWORD=self.password)
        return subprocess.run(args, preexec_fn=self._preexec, env=env, capture_output=True, text=True,
                              timeout=120, **kw)

    def start(self) -> "PostgresServer":
        self.tmp = tempfile.mkdtemp(prefix="pgtest-")
        account = _run_as()
        if account is not None:
            os.chmod(self.tmp, 0o755)
            os.chown(self.tmp, account.pw_uid, account.pw_gid)
        self.data = os.path.join(self.tmp, "data")
        pwfile = os.path.join(self.tmp, "pw")
        with open(pwfile, "w") as f:
            f.write(self.password)
        if account is not None:
            os.chown(pwfile, account.pw_uid, account.pw_gid)
        init = self._call(os.path.join(self.bindir, "initdb"), "-D", self.data, "-U", self.user,
                          "--pwfile", pwfile, "--auth=scram-sha-256", "-E", "UTF8", "--no-sync")
        if init.returncode != 0:
            raise RuntimeError(f"initdb failed: {init.stderr.strip()}")
        for attempt in range(5):
            self.port = _free_port()
            self.proc = subprocess.Popen(
                [os.path.join(self.bindir, "postgres"), "-D", self.data, "-h", "127.0.0.1", "-p", str(self.port),
                 "-k", self.tmp, "-c", "fsync=off", "-c", "full_page_writes=off", "-c", "synchronous_commit=off"],
                preexec_fn=self._preexec, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            if self._wait_ready():
                return self
            self.proc.kill()
            self.proc.wait()
        raise RuntimeError(f"PostgreSQL did not start: {self.proc.stderr.read()[-2000:]}")

    def _wait_ready(self, seconds=30.0) -> bool:
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                return False  # e.g. the port was taken meanwhile: try another
            ready = self._call(os.path.join(self.bindir, "pg_isready"), "-h", "127.0.0.1", "-p", str(self.port))
            if ready.returncode == 0:
                return True
            time.sleep(0.2)
        return False

    def url(self, database: str, password: str | None = None) -> str:
        return (f"postgresql+psycopg://{self.user}:{password or self.password}@127.0.0.1:{self.port}/{database}")

    def create_database(self, name: str) -> str:
        made = self._call(os.path.join(self.bindir, "createdb"), "-h", "127.0.0.1", "-p", str(self.port),
                          "-U", self.user, name)
        if made.returncode != 0:
            raise RuntimeError(f"createdb {name} failed: {made.stderr.strip()}")
        return self.url(name)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # PostgreSQL's "fast" shutdown: clients are disconnected
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def __enter__(self):
        return self.start()

    def __exit__(self, *exc):
        self.stop()
