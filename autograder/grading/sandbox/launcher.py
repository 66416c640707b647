"""Start a grading kernel under resource limits (run by path, before the kernel, in the kernel's process).

Usage (built by :class:`autograder.grading.sandbox.kernels.LimitedKernelManager`, never typed by hand)::

    python launcher.py [--memory-mb N] [--cpu-seconds N] [--file-mb N] [--nproc N]
                              [--writable DIR ...] [--hide DIR ...] [--no-network 1] [--user-namespace 1]
                              [--uid N --gid N] -- KERNEL_ARGV...

When run as root with ``--writable DIR`` (repeatable) — or, not as root, with ``--user-namespace 1``
inside a user namespace of its own — first moves into a private mount namespace where
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
import functools
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
        raise SystemExit("launcher: expected '-- KERNEL_ARGV...'")
    return options, argv[i + 1:]


def _limit(which, value):
    if value and value > 0:
        resource.setrlimit(which, (value, value))


MS_RDONLY, MS_NOSUID, MS_NODEV, MS_NOEXEC = 1, 2, 4, 8
MS_REMOUNT, MS_BIND, MS_REC, MS_PRIVATE = 32, 4096, 16384, 1 << 18
MS_NOATIME, MS_NODIRATIME, MS_RELATIME, MS_STRICTATIME = 1024, 2048, 1 << 21, 1 << 24
CLONE_NEWNS, CLONE_NEWNET, CLONE_NEWUSER = 0x00020000, 0x40000000, 0x10000000
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


def _enter_namespaces(libc, network, user):
    """``unshare`` a mount (and, without ``network``, a network) namespace; with ``user``, inside a new
    user namespace in which our uid and gid map to themselves (how an unprivileged user gets one)."""
    import ctypes
    base = CLONE_NEWNS | (CLONE_NEWUSER if user else 0)
    uid, gid = os.getuid(), os.getgid()
    # (a machine that allows a mount namespace but no network namespace still grades, with the network)
    if (network or libc.unshare(base | CLONE_NEWNET) != 0) and libc.unshare(base) != 0:
        raise OSError(ctypes.get_errno(), "unshare(CLONE_NEWNS%s) failed" % (" | CLONE_NEWUSER" if user else ""))
    if user:
        for name, text in (("setgroups", "deny"), ("uid_map", f"{uid} {uid} 1"), ("gid_map", f"{gid} {gid} 1")):
            with open(f"/proc/self/{name}", "w") as f:
                f.write(text)


@functools.lru_cache(maxsize=None)
def namespaces_work(flags: int) -> bool:
    """Can a process of ours ``unshare(flags)`` here? (probed in a child process, once per ``flags``)"""
    import subprocess
    probe = f"import ctypes; raise SystemExit(ctypes.CDLL(None, use_errno=True).unshare({flags}))"
    try:
        return subprocess.run([sys.executable, "-c", probe], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


def user_namespaces_work() -> bool:
    """Can this (unprivileged) process get a user namespace with a mount and a network namespace?"""
    return namespaces_work(CLONE_NEWUSER | CLONE_NEWNS | CLONE_NEWNET)


def read_only_world(writable, hide, network=True, user=False):
    """A private mount namespace in which everything is read-only except ``writable`` folders and the
    ``hide`` folders are covered by empty read-only tmpfs; then drop every capability (so the kernel,
    even as root, can neither remount nor write the instructor's files, the gradebook or others' work).
    Without ``network``, also move into a new, empty network namespace. ``user``: not root, so do it
    in a user namespace of our own (the kernel keeps our uid)."""
    import ctypes
    libc = ctypes.CDLL(None, use_errno=True)
    _enter_namespaces(libc, network, user)
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
    # flags a user namespace may not drop from a mount it inherited are kept as they are
    by_name = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC, "noatime": MS_NOATIME,
               "nodiratime": MS_NODIRATIME, "relatime": MS_RELATIME, "strictatime": MS_STRICTATIME}
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
    if options["writable"]:
        network = not options.get("no_network", 0)
        if os.geteuid() == 0:
            os.umask(0o077)
            read_only_world(options["writable"], options["hide"], network=network)
        elif options.get("user_namespace", 0):
            os.umask(0o077)
            try:
                read_only_world(options["writable"], options["hide"], network=network, user=True)
            except OSError as exc:  # the worker's probe said yes; if the machine disagrees, grade anyway
                sys.stderr.write(f"launcher: no user namespace ({exc}); running without isolation\n")
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
