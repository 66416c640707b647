"""Process and folder helpers of the sandbox: finding a sandbox's processes, stopping a kernel for good, and
removing what kernels leave behind.

Used by the kernel manager, the executor (a kernel that stops answering) and the pool (scratch folders of
runs that were killed). Linux ``/proc`` only; no nbgrader import.
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


def children(pid: int) -> list[int]:
    """The child processes of ``pid`` (``/proc/<pid>/task/<pid>/children``, else a scan of ``/proc``)."""
    try:
        with open(f"/proc/{pid}/task/{pid}/children") as f:
            return [int(p) for p in f.read().split()]
    except FileNotFoundError:
        if not os.path.exists(f"/proc/{pid}"):
            return []
    except (OSError, ValueError):
        return []
    found = []
    for entry in os.listdir("/proc"):
        try:
            with open(f"/proc/{entry}/stat") as f:
                if entry.isdigit() and int(f.read().rsplit(")", 1)[1].split()[1]) == pid:
                    found.append(int(entry))
        except (OSError, ValueError, IndexError):
            continue
    return sorted(found)


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
    """Remove a folder whatever modes student code left on it (silently: it may be gone already)."""
    def onerror(func, p, exc):  # student code may have made files read-only
        try:
            os.chmod(os.path.dirname(p), stat.S_IRWXU)
            os.chmod(p, stat.S_IRWXU)
            func(p)
        except OSError:
            pass
    shutil.rmtree(path, onerror=onerror)


def kill_kernel(km) -> None:
    """SIGKILL a kernel's process group (jupyter_client starts kernels in their own session). For a sandboxed
    kernel that is bubblewrap: its init dies with it, and with its init every process of the sandbox."""
    pid = getattr(km, "kernel_pid", None)
    process = getattr(getattr(km, "provisioner", None), "process", None)
    if pid and process is not None and process.poll() is None:  # never a reaped (maybe reused) pid
        try:
            os.killpg(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError, OSError):
            pass


def shutdown_kernel(km) -> None:
    """Kill a kernel now and release its ports (call outside an event loop); never raises."""
    from jupyter_core.utils import run_sync

    kill_kernel(km)
    try:
        run_sync(km.shutdown_kernel)(now=True)
    except Exception:
        pass
