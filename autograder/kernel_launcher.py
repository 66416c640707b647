"""Start a grading kernel under resource limits (run by path, before the kernel, in the kernel's process).

Usage (built by :class:`autograder.sandbox.LimitedKernelManager`, never typed by hand)::

    python kernel_launcher.py [--memory-mb N] [--cpu-seconds N] [--file-mb N] [--nproc N]
                              [--writable DIR ...] [--hide DIR ...] [--no-network 1] [--uid N --gid N]
                              -- KERNEL_ARGV...

When run as root with ``--writable DIR`` (repeatable), first moves into a private mount namespace where
the whole file system is read-only except those folders, covers every ``--hide DIR`` with an empty
read-only tmpfs (the reference package, the assignment sources, the class data, other submissions),
and drops all capabilities (so the kernel cannot remount). With ``--no-network 1`` the namespace
also gets an empty network namespace (the kernel then talks to its worker over Unix sockets). Then sets ``resource.setrlimit`` for the address space (a memory bomb gets ``MemoryError`` instead of
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


LIST_OPTIONS = ("writable", "hide")


def _parse(argv):
    options, i = {k: [] for k in LIST_OPTIONS}, 0
    while i < len(argv) and argv[i] != "--":
        key = argv[i].lstrip("-").replace("-", "_")
        if key in LIST_OPTIONS:
            options[key].append(argv[i + 1])
        else:
            options[key] = int(argv[i + 1])
        i += 2
    if i >= len(argv) - 1:
        raise SystemExit("kernel_launcher: expected '-- KERNEL_ARGV...'")
    return options, argv[i + 1:]


def _limit(which, value):
    if value and value > 0:
        resource.setrlimit(which, (value, value))


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
CLONE_NEWNS, CLONE_NEWNET = 0x00020000, 0x40000000
PR_SET_NO_NEW_PRIVS, PR_CAPBSET_DROP = 38, 24


def _mount(libc, source, target, fstype, flags, data=None):
    enc = lambda x: x.encode() if x is not None else None  # noqa: E731
    if libc.mount(enc(source), enc(target), enc(fstype), flags, enc(data)) != 0:
        import ctypes
        err = ctypes.get_errno()
        raise OSError(err, f"mount {target}: {os.strerror(err)}")


def _mount_points():
    points = []
    with open("/proc/self/mountinfo") as f:
        for line in f:
            fields = line.split()
            point = fields[4].encode().decode("unicode_escape")
            points.append((point, fields[5].split(",")))
    return points


def read_only_world(writable, hide, network=True):
    """A private mount namespace in which everything is read-only except ``writable`` folders and the
    ``hide`` folders are covered by empty read-only tmpfs; then drop every capability (so the kernel,
    even as root, can neither remount nor write the instructor's files, the gradebook or others' work).
    Without ``network``, also move into a new, empty network namespace."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    # (a machine that allows a mount namespace but no network namespace still grades, with the network)
    if (network or libc.unshare(CLONE_NEWNS | CLONE_NEWNET) != 0) and libc.unshare(CLONE_NEWNS) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS) failed")
    _mount(libc, None, "/", None, MS_REC | MS_PRIVATE)
    for path in writable:
        _mount(libc, path, path, None, MS_BIND | MS_REC)
    for path in hide:
        covers_writable = any((w + os.sep).startswith(path.rstrip(os.sep) + os.sep) for w in writable)
        if os.path.isdir(path) and not covers_writable:
            try:
                _mount(libc, "tmpfs", path, "tmpfs", MS_NOSUID | MS_NODEV | MS_RDONLY, "size=4k,mode=0555")
            except OSError:
                pass  # removed meanwhile (another submission's finished scratch folder)
    keep = {os.path.realpath(p) for p in writable}
    by_name = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC}
    for point, opts in _mount_points():
        if point in keep or "ro" in opts:
            continue
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for o in opts:
            flags |= by_name.get(o, 0)
        try:
            _mount(libc, None, point, None, flags)
        except OSError:
            pass  # e.g. a mount hidden by one of ours
    libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
    cap = 0
    while libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0) == 0:
        cap += 1


def main(argv):
    options, kernel_argv = _parse(argv)
    if os.geteuid() == 0 and options["writable"]:
        os.umask(0o077)
        read_only_world(options["writable"], options["hide"], network=not options.get("no_network", 0))
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
