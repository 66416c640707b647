"""Resource limits of a grading kernel (a light module: the parent process never imports nbgrader for it)."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Limits:
    """What one grading kernel may use (0 = unlimited). Every limit a notebook hits is reported, naming the cell.

    Attributes
    ----------
    cell_timeout : float
        Seconds one cell may run before it is interrupted (nbgrader's ``Execute.timeout``).
    memory_mb : int
        Address-space limit (``RLIMIT_AS``): an allocation beyond it raises ``MemoryError``.
    cpu_seconds : int
        CPU-time limit of the kernel process (``RLIMIT_CPU``): beyond it the kernel is killed (``SIGXCPU``).
    file_mb : int
        Largest file the kernel may write (``RLIMIT_FSIZE``): beyond it a write fails ("File too large").
    disk_mb : int
        Size of the kernel's scratch space (its home, with its temporary folder): a tmpfs in the sandbox.
    nproc : int
        Processes the kernel's uid may run (``RLIMIT_NPROC``): a fork bomb stops there.
    output_mb : int
        Output a notebook may print; beyond it the rest of the output is dropped.
    notebook_budget : float
        Seconds of wall time for the whole notebook; cells after it are not run (score zero).
    isolate : bool
        Run each kernel in the bubblewrap sandbox of :mod:`.launcher` (an allowlisted file system, its own
        PID namespace and uid, no capabilities). False only with ``--no-isolation``.
    network : bool
        Allow network access (``--allow-network``); by default each kernel gets a network namespace of its own
        with only its own loopback.
    hide : tuple of str
        Folders that must stay invisible to kernels even if one lay inside a tree the sandbox exposes
        (the repository, the course folder, the submissions).
    """

    cell_timeout: float = 30.0
    memory_mb: int = 4096
    cpu_seconds: int = 600
    file_mb: int = 256
    disk_mb: int = 256
    nproc: int = 256
    output_mb: int = 16
    notebook_budget: float = 900.0
    isolate: bool = True
    network: bool = False
    hide: tuple = ()

    def named_in(self, ename: str, evalue: str) -> str | None:
        """The limit an error shown by a cell says was hit ("the memory limit (2048 MB)"), or None."""
        evalue = evalue or ""
        if ename.endswith("MemoryError"):  # numpy raises its own subclass (_ArrayMemoryError)
            return f"the memory limit ({self.memory_mb} MB)"
        if "[Errno 27]" in evalue or "File too large" in evalue:
            return f"the file-size limit ({self.file_mb} MB per file)"
        if "[Errno 28]" in evalue or "No space left on device" in evalue:
            return f"the disk limit ({self.disk_mb} MB of scratch space)"
        if ename == "BlockingIOError" and "[Errno 11]" in evalue:  # fork: Resource temporarily unavailable
            return f"the process limit ({self.nproc} processes)"
        return None
