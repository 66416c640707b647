"""Grading kernels: how one is started (limits, a clean environment, namespaces) and one kept booted ahead.

* :class:`LimitedKernelManager` starts the kernel through :mod:`~autograder.grading.sandbox.launcher`
  (run by path, in the kernel's process: ``setrlimit`` on address space, CPU seconds, file size; a private
  mount and network namespace; an unprivileged uid when asked to as root), with ``PYTHONPATH`` & co.
  stripped from its environment (:func:`kernel_env`) so ``solutions`` cannot be imported.
* :class:`KernelSupply` keeps one kernel booted ahead of need, each in a fresh scratch folder.
"""
from __future__ import annotations

import os
import signal
import subprocess
import sys
import tempfile

from jupyter_client.manager import AsyncKernelManager
from traitlets import Dict as TDict

from ...nbcells import REPO_ROOT
from .launcher import user_namespaces_work
from .limits import Limits
from .processes import force_rmtree, shutdown_kernel

LAUNCHER = os.path.join(os.path.dirname(os.path.abspath(__file__)), "launcher.py")
KERNEL_ARGS = ["--HistoryManager.hist_file=:memory:"]
#: environment variables never passed to a grading kernel
STRIPPED_ENV = ("PYTHONPATH", "PYTHONSTARTUP", "PYTHONHOME", "PYTHONUSERBASE", "JPY_PARENT_PID",
                "JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR",
                "MPLCONFIGDIR", "COVERAGE_PROCESS_START", "VIRTUAL_ENV_PROMPT", "OLDPWD", "PWD")
#: repository folders a grading kernel never sees (the course kit ``course/`` and ``.venv`` stay visible)
HIDDEN_REPO_DIRS = ("solutions", "autograder", "tests", "benchmarks", "book", ".git", "class", "_build")
SANDBOX_UID_BASE = 61000  # worker slot k runs its kernels as uid 61000 + k (no passwd entry needed)


def sandbox_uid(limits: Limits, slot: int) -> int:
    """The uid kernels of worker ``slot`` run as, or -1 to keep ours (not root, or disabled)."""
    if limits.drop_uid and hasattr(os, "geteuid") and os.geteuid() == 0:
        return SANDBOX_UID_BASE + slot
    return -1


def kernel_env(home: str, base: dict | None = None) -> dict:
    """The grading kernel's environment: ours minus ``PYTHONPATH`` & co., single-threaded BLAS,
    ``HOME``/IPython/matplotlib state inside the scratch folder ``home``."""
    env = {k: v for k, v in (os.environ if base is None else base).items() if k not in STRIPPED_ENV}
    env.update({
        "HOME": home, "IPYTHONDIR": os.path.join(home, ".ipython"),
        "MPLCONFIGDIR": os.path.join(home, ".matplotlib"), "MPLBACKEND": "Agg",
        "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


class LimitedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel command goes through the launcher."""

    launcher_args = TDict({}, help="unused; see limit_args").tag(config=False)

    def __init__(self, *args, limit_args: list[str] | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        self.limit_args = list(limit_args or [])

    def format_kernel_cmd(self, extra_arguments=None):
        cmd = super().format_kernel_cmd(extra_arguments)
        return [sys.executable, LAUNCHER, *self.limit_args, "--", *cmd]

    @property
    def kernel_pid(self) -> int | None:
        process = getattr(getattr(self, "provisioner", None), "process", None)
        return getattr(process, "pid", None)

    def exit_description(self) -> str:
        """``"killed by signal SIGSEGV"``, ``"exit code 1"`` or ``""`` for the dead kernel process."""
        process = getattr(getattr(self, "provisioner", None), "process", None)
        code = process.poll() if process is not None else None
        if code is None:
            return ""
        if code < 0:
            try:
                name = signal.Signals(-code).name
            except ValueError:
                name = str(-code)
            hint = {"SIGXCPU": " (CPU-time limit reached)", "SIGKILL": "", "SIGSEGV": " (segmentation fault)"}
            return f"killed by signal {name}{hint.get(name, '')}"
        return f"exit code {code}"


def socket_folder(folder: str, uid: int) -> str:
    """A folder for the kernel's Unix sockets: inside its scratch folder, or under the temp folder when
    that path is too long for a socket address (108 bytes on Linux); owned by the kernel's uid."""
    path = os.path.join(folder, "s")
    if len(os.fsencode(path)) > 80:
        path = tempfile.mkdtemp(prefix="agk-")
        with open(os.path.join(folder, "socket-folder"), "w") as f:  # removed with the scratch folder
            f.write(path)
    else:
        os.makedirs(path)
    os.chmod(path, 0o700)
    if uid >= 0:
        os.chown(path, uid, uid)
    return path


def remove_scratch(path: str) -> None:
    """Remove a kernel's scratch folder (whatever modes student code left) and its outside socket folder."""
    pointer = os.path.join(path, "socket-folder")  # see socket_folder
    if os.path.isfile(pointer):
        with open(pointer) as f:
            sockets = f.read().strip()
        if os.path.basename(sockets).startswith("agk-"):
            import shutil
            shutil.rmtree(sockets, ignore_errors=True)
    force_rmtree(path)


class KernelSupply:
    """Keeps one kernel booted ahead of need, each in a fresh scratch folder of its own.

    The kernel starts in the folder ``cwd_for(folder, assignment)`` of its scratch folder (where nbgrader
    will write the graded notebook), so the spare kernel is started for the assignment of the previous
    task (a different assignment gets a fresh kernel).
    """

    def __init__(self, base: str, slot: int, limits: Limits, cwd_for, on_start=None):
        self.base, self.slot, self.limits = base, slot, limits
        self.cwd_for = cwd_for
        self.uid = sandbox_uid(limits, slot)
        self.count = 0
        self.on_start = on_start
        self.pending = None  # (km, folder, assignment)

    def spare_pids(self) -> tuple:
        """The kernel booting for the next submission (a kill sweep must never touch it)."""
        return (self.pending[0].kernel_pid,) if self.pending else ()

    def hidden_paths(self, folder: str) -> list[str]:
        """What a kernel must not see: the reference package, sources, class data, other scratch folders."""
        paths = [os.path.join(REPO_ROOT, d) for d in HIDDEN_REPO_DIRS] + list(self.limits.hide)
        pool_base = os.path.dirname(self.base)
        for parent, mine in ((pool_base, self.base), (self.base, folder)):
            for entry in sorted(os.listdir(parent)):
                path = os.path.join(parent, entry)
                if path != mine and os.path.isdir(path):
                    paths.append(path)
        return [p for p in paths if os.path.isdir(p)]

    def _start(self, assignment: str):
        from jupyter_core.utils import run_sync

        self.count += 1
        folder = os.path.join(self.base, f"k{self.count:05d}")
        work = self.cwd_for(folder, assignment)
        home = os.path.join(folder, "home")
        for d in (work, home):
            os.makedirs(d, exist_ok=True)
        parent = os.path.dirname(work)
        while len(parent) > len(folder):  # the kernel's uid may pass through, not look around
            os.chmod(parent, 0o711)
            parent = os.path.dirname(parent)
        os.chmod(folder, 0o711)
        for d in (work, home):
            os.chmod(d, 0o700)
            if self.uid >= 0:
                os.chown(d, self.uid, self.uid)
        args = self.limits.launcher_args(self.uid)
        transport = {}
        if self.limits.isolate:
            args += ["--writable", work, "--writable", home]
            for path in self.hidden_paths(folder):
                args += ["--hide", path]
            namespaces = os.geteuid() == 0 or user_namespaces_work()
            if os.geteuid() != 0 and namespaces:
                args += ["--user-namespace", "1"]
            if not self.limits.network and namespaces:  # no network: talk over Unix sockets
                sockets = socket_folder(folder, self.uid)
                args += ["--writable", sockets, "--no-network", "1"]
                transport = {"transport": "ipc", "ip": os.path.join(sockets, "k")}
        km = LimitedKernelManager(kernel_name="python3", limit_args=args, **transport)
        run_sync(km.start_kernel)(cwd=work, env=kernel_env(home), extra_arguments=list(KERNEL_ARGS),
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        if self.on_start:
            self.on_start(km.kernel_pid)
        return km, folder, assignment

    def take(self, assignment: str):
        """A started kernel for ``assignment`` and its folder; the next one starts booting right away."""
        if self.pending and self.pending[2] != assignment:
            self.close()
        km, folder, _ = self.pending if self.pending else self._start(assignment)
        self.pending = None
        self.pending = self._start(assignment)
        return km, folder

    def close(self):
        if self.pending:
            shutdown_kernel(self.pending[0])
            remove_scratch(self.pending[1])
            self.pending = None
