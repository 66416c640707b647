"""Throw-away servers for tests and benchmarks: PostgreSQL and Redis on 127.0.0.1, ephemeral port, temporary folder.

Each is a context manager that starts its server (from Debian's packages: ``postgresql``, ``redis-server``;
``make venv`` installs them) and always stops it and removes its folder::

    with PostgresServer() as pg:
        url = pg.create_database("gradebook")   # postgresql+psycopg://grader:…@127.0.0.1:PORT/gradebook
    with RedisServer() as redis:
        redis.url                                # redis://127.0.0.1:PORT/0

PostgreSQL refuses to run as root: as root the server runs as ``postgres`` (Debian's account) or ``nobody``,
in a folder that account can reach, loopback only. ``missing()`` says why a server cannot be started here (to
skip with that reason), or None.
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


def _account() -> pwd.struct_passwd | None:
    """The unprivileged account PostgreSQL runs as when we are root (None: run as ourselves).

    PostgreSQL refuses to run as root. Debian's package creates ``postgres``; else ``nobody``.
    """
    if os.geteuid() != 0:
        return None
    for name in ("postgres", "nobody"):
        try:
            return pwd.getpwnam(name)
        except KeyError:
            continue
    raise RuntimeError("running as root and no unprivileged account (postgres, nobody) to run PostgreSQL as")


def _folder_for(account: pwd.struct_passwd | None, prefix: str) -> str:
    """A new temporary folder that ``account`` owns and can reach.

    The system's temporary folder is tried first; on some machines (CI's among them) another account cannot
    traverse it, so the folder is checked by the account itself (``test -w`` run as that account) and the
    next candidate is tried: /var/tmp, /dev/shm, the account's home.
    """
    if account is None:
        return tempfile.mkdtemp(prefix=prefix)
    tried = []
    for base in (tempfile.gettempdir(), "/var/tmp", "/dev/shm", account.pw_dir):
        if not os.path.isdir(base):
            continue
        try:
            folder = tempfile.mkdtemp(prefix=prefix, dir=base)
        except OSError:
            continue
        os.chmod(folder, 0o700)
        os.chown(folder, account.pw_uid, account.pw_gid)
        reach = subprocess.run(["test", "-w", folder], user=account.pw_uid, group=account.pw_gid, extra_groups=[],
                               capture_output=True, timeout=30)
        if reach.returncode == 0:
            return folder
        shutil.rmtree(folder, ignore_errors=True)
        tried.append(base)
    raise RuntimeError(f"no temporary folder the account {account.pw_name!r} can reach (tried {', '.join(tried)})")


class PostgresServer:
    """A PostgreSQL cluster made by ``initdb`` in a temporary folder, served on 127.0.0.1:<free port>.

    One role, ``grader``, with a password (scram-sha-256), so that a test can also give a wrong one.
    """

    user = "grader"
    password = "s3cret-pw"

    @staticmethod
    def bindir() -> str | None:
        found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
        on_path = shutil.which("initdb")
        found += [on_path] if on_path else []
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

    def _run_as(self) -> dict:
        """subprocess arguments that run a program as the server's account (none when we are not root)."""
        if self.account is None:
            return {}
        return {"user": self.account.pw_uid, "group": self.account.pw_gid, "extra_groups": []}

    def _call(self, *args, check=True, **kwargs):
        """Run a PostgreSQL program as the server's account; its error text in the exception on failure."""
        env = dict(os.environ, LC_ALL="C", PGPASSWORD=self.password)
        done = subprocess.run([os.path.join(self._bindir, args[0]), *args[1:]], capture_output=True, text=True,
                              cwd=self.folder, env=env, timeout=120, **self._run_as(), **kwargs)
        if check and done.returncode != 0:
            raise RuntimeError(f"{args[0]} failed (exit {done.returncode}): {(done.stderr or done.stdout).strip()}")
        return done

    def __enter__(self):
        self._bindir = self.bindir()
        if self._bindir is None:
            raise RuntimeError(self.missing())
        self.account = _account()
        self.folder = _folder_for(self.account, "test-postgres-")
        self.data = os.path.join(self.folder, "data")
        self.log = os.path.join(self.folder, "server.log")
        self.proc = None
        try:
            pwfile = os.path.join(self.folder, "pw")
            with open(pwfile, "w") as f:
                f.write(self.password)
            if self.account is not None:
                os.chown(pwfile, self.account.pw_uid, self.account.pw_gid)
            self._call("initdb", "-D", self.data, "-U", self.user, "--pwfile", pwfile, "--auth=scram-sha-256",
                       "-E", "UTF8", "--locale=C", "--no-sync")
            for attempt in range(5):
                self.port = free_port()
                with open(self.log, "ab") as log:
                    self.proc = subprocess.Popen(
                        [os.path.join(self._bindir, "postgres"), "-D", self.data, "-p", str(self.port), "-k",
                         self.folder, "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off", "-c",
                         "synchronous_commit=off", "-c", "full_page_writes=off"],
                        stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, start_new_session=True, **self._run_as())
                try:
                    _wait_port(self.port, self.proc, 30, "postgres", self.log)
                    self._ready()
                    break
                except RuntimeError:  # e.g. the port was taken meanwhile: try another
                    self._stop()
                    if attempt == 4:
                        raise
        except BaseException:
            self._stop()
            shutil.rmtree(self.folder, ignore_errors=True)
            raise
        return self

    def _connect(self, database: str, **kwargs):
        import psycopg
        return psycopg.connect(host="127.0.0.1", port=self.port, user=self.user, password=self.password,
                               dbname=database, **kwargs)

    def _ready(self) -> None:
        import psycopg
        deadline = time.monotonic() + 30
        while True:
            try:
                self._connect("postgres", connect_timeout=2).close()
                return
            except psycopg.OperationalError:  # "the database system is starting up"
                if time.monotonic() > deadline:
                    raise RuntimeError(f"postgres did not accept connections: {_tail(self.log)}")
                time.sleep(0.1)

    def url(self, database: str, password: str | None = None) -> str:
        """The SQLAlchemy URL of ``database`` (with another password, to test a wrong one)."""
        return f"postgresql+psycopg://{self.user}:{password or self.password}@127.0.0.1:{self.port}/{database}"

    def create_database(self, name: str) -> str:
        """A new empty database; returns its SQLAlchemy URL."""
        with self._connect("postgres", autocommit=True) as c:
            c.execute(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def query(self, database: str, sql: str, *params) -> list:
        with self._connect(database) as c:
            return c.execute(sql, params).fetchall()

    def _stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.send_signal(2)  # SIGINT: PostgreSQL's "fast" shutdown (SIGTERM would wait for clients)
            try:
                self.proc.wait(20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(10)

    def __exit__(self, *exc):
        self._stop()
        shutil.rmtree(self.folder, ignore_errors=True)
