"""Process and folder helpers of the sandbox: stopping kernels for good, and removing what they leave behind.

Used by the worker (kernels it starts), the executor (a kernel that stops answering) and the pool (scratch
folders of runs that were killed). Linux ``/proc`` only; no nbgrader import.
"""
from __future__ import annotations

import os
import shutil
import signal
import stat


def start_time(pid: int) -> str | None:
    """The start time of process ``pid`` (field 22 of /proc/<pid>/stat), or None when it is not running."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else fields[19]


def parent_pid(pid) -> int | None:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return None


def mount_ns(pid) -> str | None:
    try:
        return os.readlink(f"/proc/{pid}/ns/mnt") if pid else None
    except OSError:
        return None


def command_line_and_folder(pid) -> bytes:
    """The command line and working folder of a process (our kernels run under their worker's folder)."""
    out = b""
    try:
        with open(f"/proc/{pid}/cmdline", "rb") as f:
            out += f.read()
        out += os.readlink(f"/proc/{pid}/cwd").encode()
    except OSError:
        pass
    return out


def force_rmtree(path: str) -> None:
    """Remove a folder whatever modes student code left on it."""
    def onerror(func, p, exc):  # student code may have made files read-only
        try:
            os.chmod(os.path.dirname(p), stat.S_IRWXU)
            os.chmod(p, stat.S_IRWXU)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=onerror)


def remove_links(folder: str) -> None:
    """Remove the symbolic links directly in ``folder`` (before we write there: never through a link)."""
    try:
        for entry in os.scandir(folder):
            if entry.is_symlink():
                os.unlink(entry.path)
    except OSError:
        pass


def become_subreaper() -> None:
    """Orphans of our kernels get re-parented to this process (Linux ``PR_SET_CHILD_SUBREAPER``)."""
    try:
        import ctypes
        ctypes.CDLL(None, use_errno=True).prctl(36, 1, 0, 0, 0)
    except Exception:
        pass


def kill_kernel(km, spare_pids=()) -> None:
    """SIGKILL a kernel's process group (jupyter_client starts kernels in their own session) and, when
    it ran in a mount namespace of its own, every process left in that namespace (children that
    called ``setsid`` to escape the group) -- never one of ``spare_pids`` (the kernel booting for the
    next submission)."""
    pid = getattr(km, "kernel_pid", None)
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if pid and process is not None and process.poll() is None:  # never a reaped (maybe reused) pid
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass
    ns = getattr(km, "sandbox_ns", None)
    if ns and ns != mount_ns(os.getpid()):
        # Only our own children: the worker is a child subreaper, so processes a student started and
        # detached (setsid, double fork) are re-parented to it, never to init. Namespace ids are
        # recycled, hence both tests, and never the spare kernel booting for the next submission.
        for entry in os.listdir("/proc"):
            if (entry.isdigit() and int(entry) not in spare_pids and parent_pid(entry) == os.getpid()
                    and mount_ns(entry) == ns):
                try:
                    os.kill(int(entry), signal.SIGKILL)
                except OSError:
                    pass


def shutdown_kernel(km, spare_pids=()) -> None:
    """Kill a kernel now and release its ports (call outside an event loop); never raises."""
    from jupyter_core.utils import run_sync

    kill_kernel(km, spare_pids)
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:
        pass
