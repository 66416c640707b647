"""Start a grading kernel under resource limits (run by path, before the kernel, in the kernel's process).

Usage (built by :class:`autograder.sandbox.LimitedKernelManager`, never typed by hand)::

    python kernel_launcher.py [--memory-mb N] [--cpu-seconds N] [--file-mb N] [--nproc N]
                              [--uid N --gid N] -- KERNEL_ARGV...

Sets ``resource.setrlimit`` for the address space (a memory bomb gets ``MemoryError`` instead of
taking the machine), CPU seconds (``SIGXCPU`` ends a runaway kernel), the size of any file it writes,
and, when run as root with ``--uid``, drops to that unprivileged user so the submission cannot write
the instructor's files, the gradebook or other students' scratch folders. Then ``os.execv`` replaces
this process by the kernel (same pid, so interrupts and kills reach the kernel itself).

This file imports nothing from the repository: it runs with ``PYTHONPATH`` already stripped.
"""
import os
import resource
import shutil
import sys

MB = 1024 * 1024


def _parse(argv):
    options, i = {}, 0
    while i < len(argv) and argv[i] != "--":
        key = argv[i].lstrip("-").replace("-", "_")
        options[key] = int(argv[i + 1])
        i += 2
    if i >= len(argv) - 1:
        raise SystemExit("kernel_launcher: expected '-- KERNEL_ARGV...'")
    return options, argv[i + 1:]


def _limit(which, value):
    if value and value > 0:
        resource.setrlimit(which, (value, value))


def main(argv):
    options, kernel_argv = _parse(argv)
    _limit(resource.RLIMIT_AS, options.get("memory_mb", 0) * MB)
    cpu = options.get("cpu_seconds", 0)
    if cpu > 0:  # soft limit sends SIGXCPU (kernel dies, reason recorded); hard limit a little later
        resource.setrlimit(resource.RLIMIT_CPU, (cpu, cpu + 5))
    _limit(resource.RLIMIT_FSIZE, options.get("file_mb", 0) * MB)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))  # a segfaulting kernel leaves no core file
    uid = options.get("uid", -1)
    if uid >= 0 and os.geteuid() == 0:
        gid = options.get("gid", uid)
        # the connection file lives in the worker's private runtime folder: hand the kernel its own copy
        if "-f" in kernel_argv:
            k = kernel_argv.index("-f") + 1
            private = os.path.join(os.getcwd(), ".kernel-connection.json")
            shutil.copyfile(kernel_argv[k], private)
            os.chown(private, uid, gid)
            os.chmod(private, 0o600)
            kernel_argv[k] = private
        _limit(resource.RLIMIT_NPROC, options.get("nproc", 0))
        os.setgroups([])
        os.setgid(gid)
        os.setuid(uid)
    os.execv(kernel_argv[0], kernel_argv)


if __name__ == "__main__":
    main(sys.argv[1:])
