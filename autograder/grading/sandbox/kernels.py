"""Grading kernels: one started in the sandbox of :mod:`.launcher`, and one kept booted ahead of need.

* :class:`GradingKernelManager` is jupyter_client's ``AsyncKernelManager`` with a sandboxed kernel
  command. The kernel binds its Unix sockets in the sandbox's own ``/run/kernel``; the worker reaches them
  through ``/proc/<sandbox pid>/root`` (no network needed, none shared). Interrupts go to the kernel's
  process group from outside (bubblewrap does not forward signals), and the submission's extra files are
  copied into the kernel's home just before its first cell.
* :class:`KernelSupply` keeps one kernel booted ahead, each with a scratch folder of its own (host side:
  its connection file, and nbgrader's working tree, which the kernel never sees).

With ``Limits.isolate`` False (``--no-isolation``) the same kernel runs without the sandbox: ``prlimit``
only, in a host folder, as the grader's uid, over TCP on localhost.
"""
from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

from jupyter_client.manager import AsyncKernelManager

from ...nbcells import REPO_ROOT
from . import launcher
from .launcher import CONNECTION_FILE, HOME, SOCKETS, kernel_environment, sandbox_uid
from .limits import Limits
from .processes import children, force_rmtree, shutdown_kernel

KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]
FONT_CACHE_SCRIPT = ("import glob, os, matplotlib.font_manager; "
                     "print(sorted(glob.glob(os.path.join(os.environ['MPLCONFIGDIR'], 'fontlist-*.json')))[-1])")


def font_cache(folder: str) -> dict:
    """matplotlib's font list, built once per worker (a kernel that plots would otherwise spend a second or more
    building it in its fresh home): {path in the kernel's home: host file}, or {} without matplotlib."""
    env = kernel_environment(folder)
    env["MPLCONFIGDIR"] = folder
    try:
        proc = subprocess.run([sys.executable, "-c", FONT_CACHE_SCRIPT], env=env, capture_output=True, text=True,
                              timeout=300)
        path = proc.stdout.strip().splitlines()[-1] if proc.returncode == 0 else ""
    except (OSError, subprocess.SubprocessError, IndexError):
        return {}
    if not os.path.isfile(path):
        return {}
    os.chmod(path, 0o644)  # readable by the kernel's uid whatever the grader's umask (it is bound read-only)
    return {f"{HOME}/.matplotlib/{os.path.basename(path)}": path}


class GradingKernelManager(AsyncKernelManager):
    """A kernel in the grader's sandbox (or, not isolated, under ``prlimit`` only) for one notebook."""

    def __init__(self, *args, limits: Limits, uid: int, folder: str, files: dict | None = None, hide=(),
                 **kwargs):
        if limits.isolate:
            kwargs.update(transport="ipc", ip=os.path.join(folder, "k"))  # (host path: only to number the sockets)
        super().__init__(*args, **kwargs)
        self.limits, self.uid, self.folder = limits, uid, folder
        self.files, self.hide = dict(files or {}), tuple(hide)  # read-only files bound into the sandbox
        self.sandbox_pid = None  # the sandbox's first process (bwrap's own init), host pid

    # -- starting
    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        if not self.limits.isolate:
            return launcher.limit_argv(self.limits) + cmd
        info = self.get_connection_info()
        info.update(ip=f"{SOCKETS}/k", key=info["key"].decode() if isinstance(info["key"], bytes) else info["key"])
        inside = os.path.join(self.folder, "kernel.json")
        with open(inside, "w") as f:
            json.dump(info, f)
        os.chmod(inside, 0o644)  # (in a folder only the worker can enter)
        cmd = [CONNECTION_FILE if arg == self.connection_file else arg for arg in cmd]
        files = {CONNECTION_FILE: inside, **self.files}
        return launcher.sandbox_argv(self.limits, self.uid, cmd, files, self.hide)

    async def _async_post_start_kernel(self, **kw):
        if self.limits.isolate:  # from now on talk to the sockets inside the sandbox
            self.sandbox_pid = wait_for_child(self.kernel_pid)
            self.ip = f"/proc/{self.sandbox_pid}/root{SOCKETS}/k"
        await super()._async_post_start_kernel(**kw)

    def cleanup_ipc_files(self) -> None:
        if not self.limits.isolate:  # the sandbox's sockets vanish with it (and its pid may be reused)
            super().cleanup_ipc_files()

    # -- running
    @property
    def kernel_pid(self) -> int | None:
        """Host pid of the process jupyter_client started (bwrap, when isolated)."""
        process = getattr(getattr(self, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def kernel_process(self) -> int | None:
        """Host pid of the kernel itself (inside the sandbox it is the child of the sandbox's init)."""
        if not self.limits.isolate:
            return self.kernel_pid
        found = children(self.sandbox_pid) if self.sandbox_pid else []
        return found[0] if found else None

    async def interrupt_kernel(self):
        """SIGINT to the kernel's process group (bwrap would not pass a signal on)."""
        if not self.limits.isolate:
            return await super().interrupt_kernel()
        pid = self.kernel_process()
        if pid:
            try:  # the sandbox's process group (its init ignores SIGINT: a PID namespace's init only gets
                os.killpg(os.getpgid(pid), signal.SIGINT)  # the signals it handles)
            except OSError:
                pass

    def home(self) -> str:
        """The kernel's home as the worker reaches it."""
        if self.limits.isolate:
            return f"/proc/{self.sandbox_pid}/root{HOME}"
        return os.path.join(self.folder, "home")

    def own_home(self) -> None:
        """As root, the kernel's home becomes its uid's, mode 0700 (bubblewrap made it as root, mode 0777). Called
        once the kernel has answered, so the sandbox's mounts are all in place; ``/home/student`` is a mount point
        in a folder only root may change, so the path cannot lead elsewhere. (As an ordinary user it is the
        kernel's already: bubblewrap made it as the kernel's uid in its user namespace.)"""
        if self.limits.isolate and launcher.as_root():
            home = self.home()
            os.chown(home, self.uid, self.uid)
            os.chmod(home, 0o700)

    def place_files(self, files: dict) -> None:
        """Copy ``{relative path: host file}`` into the kernel's home (before any notebook code has run)."""
        home = self.home()
        for rel, source in files.items():
            dest = os.path.join(home, rel)
            os.makedirs(os.path.dirname(dest), exist_ok=True)
            shutil.copyfile(source, dest)
            if self.limits.isolate and launcher.as_root():
                for path in [dest] + [os.path.join(home, p) for p in parent_folders(rel)]:
                    os.chown(path, self.uid, self.uid)

    def exit_description(self) -> str:
        """``"killed by signal SIGSEGV (segmentation fault)"``, ``"exit code 1"`` or ``""`` for a dead kernel."""
        process = getattr(getattr(self, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            return ""
        if self.limits.isolate and 128 < code < 128 + 65:  # bwrap exits 128 + N when its command died of signal N
            code = -(code - 128)
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            hint = {"SIGXCPU": " (the CPU-time limit)", "SIGSEGV": " (segmentation fault)",
                    "SIGXFSZ": " (the file-size limit)"}
            return f"killed by signal {name}{hint.get(name, '')}"
        return f"exit code {code}"


def parent_folders(rel: str) -> list[str]:
    parts = rel.split(os.sep)[:-1]
    return [os.path.join(*parts[:i]) for i in range(1, len(parts) + 1)]


def wait_for_child(pid: int, timeout: float = 10.0) -> int | None:
    """The first child of ``pid`` (bwrap's init in the new PID namespace), waiting for it to appear."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = children(pid)
        if found:
            return found[0]
        time.sleep(0.001)
    return None


class KernelSupply:
    """Keeps one kernel booted ahead of need, each with a fresh scratch folder of its own."""

    def __init__(self, base: str, slot: int, limits: Limits, on_start=None):
        self.base, self.slot, self.limits = base, slot, limits
        self.uid = sandbox_uid(slot)
        self.count = 0
        self.on_start = on_start
        self.pending = None  # (km, folder)
        self.files = {}  # bound read-only into every sandbox: passwd, group, the font cache
        if limits.isolate:
            etc = os.path.join(base, "etc")
            os.makedirs(etc, exist_ok=True)
            self.files = launcher.identity_files(etc, self.uid)
            os.makedirs(os.path.join(base, "mpl"), exist_ok=True)
            self.files.update(font_cache(os.path.join(base, "mpl")))
        # never visible to a kernel, even inside an exposed tree
        self.hide = tuple(limits.hide) + (str(REPO_ROOT), os.path.dirname(base), os.path.expanduser("~"),
                                          tempfile.gettempdir())

    def _start(self):
        from jupyter_core.utils import run_sync

        self.count += 1
        folder = os.path.join(self.base, f"k{self.count:05d}")
        os.makedirs(folder, mode=0o700)
        if self.limits.isolate:
            cwd, home = folder, HOME
        else:
            cwd = home = os.path.join(folder, "home")
            os.makedirs(home, mode=0o700)
        km = GradingKernelManager(kernel_name="python3", limits=self.limits, uid=self.uid, folder=folder,
                                  files=self.files, hide=self.hide)
        run_sync(km.start_kernel)(cwd=cwd, env=kernel_environment(home), extra_arguments=list(KERNEL_ARGS),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.on_start:
            self.on_start(km.kernel_pid)
        return km, folder

    def prestart(self) -> None:
        if self.pending is None:
            self.pending = self._start()

    def take(self):
        """A started kernel and its scratch folder; the next one starts booting right away."""
        km, folder = self.pending if self.pending else self._start()
        self.pending = None
        self.pending = self._start()
        return km, folder

    def close(self):
        if self.pending:
            shutdown_kernel(self.pending[0])
            force_rmtree(self.pending[1])
            self.pending = None
