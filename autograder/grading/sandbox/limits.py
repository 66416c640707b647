"""Resource limits of a grading kernel (a light module: the parent process never imports nbgrader for it)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """Resource limits of one grading kernel (0 = unlimited).

    Attributes
    ----------
    cell_timeout : float
        Seconds one cell may run before it is interrupted (nbgrader's ``Execute.timeout``).
    memory_mb : int
        Address-space limit (``RLIMIT_AS``): an allocation beyond it raises ``MemoryError``.
    cpu_seconds : int
        CPU-time limit of the kernel process (``RLIMIT_CPU``): beyond it the kernel is killed.
    file_mb : int
        Largest file the kernel may write (``RLIMIT_FSIZE``).
    nproc : int
        Processes the sandbox user may own (``RLIMIT_NPROC``; only with a dropped uid).
    notebook_budget : float
        Seconds of wall time for the whole notebook; cells after it are not run (score zero).
    isolate : bool
        Run each kernel in a private mount namespace where everything is read-only except its own
        folder, with the reference package, the sources, the class data and other submissions
        hidden, and with every capability dropped (see launcher.py): as root, or else inside
        a user namespace where the machine allows unprivileged ones (most Linux distributions do).
    network : bool
        Allow network access. By default, with ``isolate`` (as root or in a user namespace), each
        kernel gets an empty network namespace of its own (no interface but a downed loopback, so it
        can reach neither the internet nor any service of the grading machine) and talks to its
        worker over Unix sockets in its scratch folder.
    hide : tuple of str
        Extra folders to hide from kernels (the course folder is passed here).
    drop_uid : bool
        When running as root, run each kernel as an unprivileged uid of its own.
    """

    cell_timeout: float = 30.0
    memory_mb: int = 4096
    cpu_seconds: int = 600
    file_mb: int = 512
    nproc: int = 256
    notebook_budget: float = 900.0
    drop_uid: bool = False
    isolate: bool = True
    network: bool = False
    hide: tuple = ()

    def launcher_args(self, uid: int = -1) -> list[str]:
        args = ["--memory-mb", str(int(self.memory_mb)), "--cpu-seconds", str(int(self.cpu_seconds)),
                "--file-mb", str(int(self.file_mb)), "--nproc", str(int(self.nproc))]
        if uid >= 0:
            args += ["--uid", str(uid), "--gid", str(uid)]
        return args
