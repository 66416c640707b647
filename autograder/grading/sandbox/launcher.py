"""The command that starts a grading kernel: inside bubblewrap (``bwrap``), under resource limits, as a uid of its own.

The kernel's world is an allowlist (deny by default). Inside the sandbox it sees only:

* read-only: ``/usr`` (and the ``/bin``, ``/lib``... links or folders of the host), a few files of
  ``/etc`` (the dynamic loader's cache, the time zone; with ``--allow-network`` also name resolution and
  certificates), the Python environment the grader runs in (the virtual environment, the interpreter
  it was made from, their standard library and site-packages) and the student kit ``course``;
* writable: its home ``/home/student`` (its working folder) and ``/tmp``, each a tmpfs of ``Limits.disk_mb``,
  and ``/run/kernel`` (a tiny tmpfs for its Unix sockets);
* its connection file (read-only), a ``passwd``/``group`` naming its uid, a fresh ``/proc`` of its own
  PID namespace and a minimal ``/dev``.

Not the repository, the course folder, the submissions, ``/home``, ``/root``, the host's ``/tmp`` or any
other clone: they are simply not mounted (and any such folder that happens to lie inside an exposed
tree -- a repository under ``/usr/local``, say -- is covered by an empty tmpfs). Namespaces: PID, IPC,
UTS, cgroup, mount, and network unless ``Limits.network`` (the kernel then talks to its worker over Unix
sockets the worker reaches through ``/proc/<sandbox pid>/root``). The sandbox dies with its worker
(``--die-with-parent``) and everything in it dies with its first process (a PID namespace).

Who the kernel is:

* grading as **root**: bwrap runs as root without a user namespace, keeps only the capabilities to
  change uid, and ``setpriv`` then becomes uid ``61000 + worker slot`` (on the host too: never the
  grader's), clears every capability, the bounding set and the supplementary groups, and sets
  ``no_new_privs``. This needs no unprivileged user namespaces.
* grading as an **ordinary user**: bwrap creates a user namespace (the machine must allow unprivileged
  ones) in which the kernel is uid ``61000 + slot`` with no capabilities; on the host that uid maps to
  the grader's own (an ordinary user cannot own other uids), but the kernel can neither see the
  grader's processes nor reach its files.

Limits (``prlimit``, inside the sandbox): address space, CPU seconds (``SIGXCPU`` then ``SIGKILL``), the
size of any one file, the number of processes, no core files.

This module imports nothing heavy: the parent uses :func:`problem` to refuse to grade when isolation
cannot be set up.
"""
from __future__ import annotations

import functools
import json
import os
import shutil
import subprocess
import sys
import sysconfig

from .limits import Limits

SANDBOX_UID_BASE = 61000     #: worker slot k runs its kernels as uid 61000 + k (no passwd entry on the host)
HOME = "/home/student"       #: the kernel's home and working folder
SOCKETS = "/run/kernel"      #: where the kernel binds its Unix sockets
CONNECTION_FILE = "/run/grader/kernel.json"
TOP_LEVEL = ("bin", "sbin", "lib", "lib32", "lib64", "libx32")
ETC_FILES = ("ld.so.cache", "ld.so.conf", "ld.so.conf.d", "localtime")
NETWORK_ETC_FILES = ("resolv.conf", "hosts", "nsswitch.conf", "host.conf", "gai.conf", "ssl", "ca-certificates")
STUDENT_KIT = ("course",)    #: packages the notebooks import from outside the environment (editable installs)
NEEDED_OPTIONS = ("--die-with-parent", "--size", "--perms", "--cap-drop", "--unshare-pid", "--new-session")
MB = 1024 * 1024


def sandbox_uid(slot: int) -> int:
    return SANDBOX_UID_BASE + slot


def as_root() -> bool:
    return os.geteuid() == 0


def bwrap() -> str | None:
    """The bubblewrap program: ``$AUTOGRADER_BWRAP`` if set (e.g. a ``bwrap`` from elsewhere), else ``bwrap`` on
    the ``PATH``; None when there is none."""
    path = os.environ.get("AUTOGRADER_BWRAP") or shutil.which("bwrap") or "/usr/bin/bwrap"
    return path if os.path.isfile(path) and os.access(path, os.X_OK) else None


def bwrap_options() -> frozenset:
    return options_of(bwrap())


@functools.lru_cache(maxsize=4)
def options_of(program: str | None) -> frozenset:
    """The options a bwrap understands (from its ``--help``)."""
    try:
        text = subprocess.run([program, "--help"], capture_output=True, text=True, timeout=30).stdout
    except (OSError, subprocess.SubprocessError, TypeError):
        return frozenset()
    return frozenset(word for line in text.splitlines() for word in line.split() if word.startswith("--"))


# --------------------------------------------------------------------------- what the kernel may read
def inside(path: str, tree: str) -> bool:
    return path == tree or path.startswith(tree.rstrip("/") + "/")


def outermost(paths) -> list[str]:
    """The paths that are not inside another one of them, sorted."""
    out = []
    for p in sorted(set(paths), key=lambda p: (len(p), p)):
        if not any(inside(p, q) for q in out):
            out.append(p)
    return sorted(out)


#: run by the kernel's interpreter with the kernel's environment: where it imports from
IMPORT_PATHS = ("import importlib.util, json, sys; "
                "kit = [importlib.util.find_spec(n) for n in sys.argv[1:]]; "
                "print(json.dumps(sys.path + [p for s in kit if s for p in (s.submodule_search_locations or [])]))")


@functools.lru_cache(maxsize=1)
def python_trees() -> tuple[str, ...]:
    """The Python environment a kernel needs, read-only: the virtual environment, the interpreter it was
    made from (its standard library), and wherever the kernel's interpreter imports from -- asked of that
    interpreter with the kernel's environment (no ``PYTHONPATH``), so the student kit is found where the
    environment's editable install points, as the kernel will find it."""
    paths = [sys.prefix, sys.base_prefix, os.path.dirname(os.path.realpath(sys.executable))]
    paths += [v for k, v in sysconfig.get_paths().items() if k in ("stdlib", "platstdlib", "purelib", "platlib")]
    try:
        proc = subprocess.run([sys.executable, "-c", IMPORT_PATHS, *STUDENT_KIT], capture_output=True, text=True,
                              cwd="/", env=kernel_environment(HOME), timeout=120)
        paths += json.loads(proc.stdout)
    except (OSError, subprocess.SubprocessError, ValueError):
        pass  # the probe of `problem` then names what is missing
    real = [os.path.realpath(p) for p in paths if p and os.path.isdir(p)]
    real += [os.path.abspath(p) for p in paths if p and os.path.isdir(p)]  # the venv's own (symlinked) paths
    return tuple(p for p in outermost(real) if not inside(p, "/usr"))


def system_binds(network: bool) -> list[str]:
    args = ["--ro-bind", "/usr", "/usr"]
    for name in TOP_LEVEL:
        path = "/" + name
        if os.path.islink(path):
            args += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            args += ["--ro-bind", path, path]
    for name in ETC_FILES + (NETWORK_ETC_FILES if network else ()):
        path = os.path.join("/etc", name)
        if os.path.exists(path):
            args += ["--ro-bind", path, path]
    return args


def parents(path: str) -> list[str]:
    out, head = [], os.path.dirname(path)
    while head not in ("/", ""):
        out.append(head)
        head = os.path.dirname(head)
    return out[::-1]


def folders_for(dests, trees, existing=()) -> list[str]:
    """``--dir`` for every parent folder of ``dests`` outside the exposed ``trees`` (and not ``existing``), made
    first and traversable by the kernel's uid (bwrap would otherwise copy the host's mode -- a home of mode
    700 -- or use 700)."""
    made = sorted({p for d in dests for p in parents(d) if not any(inside(p, t) for t in trees)} - set(existing),
                  key=lambda p: (p.count("/"), p))
    return [arg for p in made for arg in ("--perms", "0755", "--dir", p)]


def tree_binds(trees, hide) -> list[str]:
    """Read-only binds of ``trees`` at their own paths; any ``hide`` folder inside an exposed tree covered by
    an empty tmpfs, with the exposed trees inside it bound again."""
    args = []
    for tree in trees:
        args += ["--ro-bind", tree, tree]
    exposed = ["/usr"] + list(trees)
    for secret in outermost(os.path.realpath(h) for h in hide if h):
        if any(inside(secret, t) and secret != t for t in exposed):
            args += ["--tmpfs", secret]
            for tree in trees:
                if inside(tree, secret) and tree != secret:
                    args += ["--ro-bind", tree, tree]
    return args


# --------------------------------------------------------------------------- the command
def limit_argv(limits: Limits) -> list[str]:
    """``prlimit`` with the kernel's resource limits (0 = unlimited): the command's own process only."""
    args = ["prlimit", "--core=0"]
    if limits.memory_mb > 0:
        args.append(f"--as={int(limits.memory_mb) * MB}")
    if limits.cpu_seconds > 0:  # the soft limit sends SIGXCPU (the kernel dies, reason recorded); hard a bit later
        args.append(f"--cpu={int(limits.cpu_seconds)}:{int(limits.cpu_seconds) + 5}")
    if limits.file_mb > 0:
        args.append(f"--fsize={int(limits.file_mb) * MB}")
    if limits.nproc > 0:
        args.append(f"--nproc={int(limits.nproc)}")
    return args + ["--"]


def identity_files(folder: str, uid: int) -> dict:
    """``/etc/passwd`` and ``/etc/group`` for the sandbox (written once per worker into ``folder``)."""
    files = {"passwd": f"root:x:0:0:root:/:/usr/sbin/nologin\nstudent:x:{uid}:{uid}:student:{HOME}:/usr/sbin/nologin\n",
             "group": f"root:x:0:\nstudent:x:{uid}:\n"}
    paths = {}
    for name, text in files.items():
        path = os.path.join(folder, name)
        with open(path, "w") as f:
            f.write(text)
        os.chmod(path, 0o644)
        paths[f"/etc/{name}"] = path
    return paths


def sandbox_argv(limits: Limits, uid: int, command: list[str], files: dict, hide=()) -> list[str]:
    """``bwrap ... -- prlimit ... -- [setpriv ... --] command``: ``command`` run in the sandbox as ``uid``.

    ``files``: {path in the sandbox: host file} bound read-only (the connection file, passwd, group; in the
    home, e.g. a prepared font cache, in folders the kernel may write).
    ``hide``: folders that must stay invisible even if they lie inside an exposed tree.
    """
    in_home = {d: s for d, s in files.items() if inside(d, HOME)}
    files = {d: s for d, s in files.items() if d not in in_home}
    options = bwrap_options()
    args = [bwrap(), "--die-with-parent", "--new-session", "--unshare-pid", "--unshare-ipc", "--unshare-uts",
            "--unshare-cgroup-try", "--unsetenv", "JPY_PARENT_PID"]  # (no such pid in there: the sandbox's own end)
    if not limits.network:
        args.append("--unshare-net")
    if as_root():  # no user namespace: bwrap keeps what setpriv needs to become `uid`, and setpriv drops it
        args += ["--cap-drop", "ALL", "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID", "--cap-add", "CAP_SETPCAP"]
    else:
        args += ["--unshare-user", "--uid", str(uid), "--gid", str(uid)]
        if "--disable-userns" in options:
            args.append("--disable-userns")
    system = system_binds(limits.network)
    trees = python_trees()
    disk = str(max(1, int(limits.disk_mb)) * MB)
    args += ["--size", disk, "--perms", "01777", "--tmpfs", "/tmp"]  # first: a tree may lie under /tmp (a clone)
    dests = [*system[2::3], *trees, *files, HOME, SOCKETS, CONNECTION_FILE]
    args += folders_for(dests, ("/usr",) + trees, existing=("/tmp",))
    args += system + tree_binds(trees, hide)
    for dest, source in sorted(files.items()):
        args += ["--ro-bind", source, dest]
    args += ["--proc", "/proc", "--dev", "/dev",
             "--size", disk, "--perms", "0777", "--tmpfs", HOME]
    for folder in sorted({os.path.dirname(d) for d in in_home} - {HOME}):
        args += ["--perms", "0777", "--dir", folder]
    for dest, source in sorted(in_home.items()):
        args += ["--ro-bind", source, dest]
    args += ["--size", str(MB), "--perms", "0777", "--tmpfs", SOCKETS, "--chdir", HOME, "--"]
    args += limit_argv(limits)
    if as_root():
        args += ["setpriv", "--reuid", str(uid), "--regid", str(uid), "--clear-groups", "--inh-caps=-all",
                 "--bounding-set=-all", "--no-new-privs", "--"]
    return args + list(command)


def kernel_environment(home: str, base: dict | None = None) -> dict:
    """The kernel's environment, built from scratch (nothing of the grader's leaks in: no ``PYTHONPATH``,
    no tokens): a ``PATH`` to the environment's programs, its home, single-threaded BLAS, Agg plots."""
    base = os.environ if base is None else base
    env = {k: base[k] for k in ("LANG", "LC_ALL", "LC_CTYPE", "TZ") if k in base}
    env.update({
        "PATH": os.pathsep.join([os.path.dirname(sys.executable), "/usr/local/bin", "/usr/bin", "/bin"]),
        "HOME": home, "USER": "student", "LOGNAME": "student",
        "IPYTHONDIR": os.path.join(home, ".ipython"), "MPLCONFIGDIR": os.path.join(home, ".matplotlib"),
        "MPLBACKEND": "Agg", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1",
        "PYDEVD_DISABLE_FILE_VALIDATION": "1", "PYTHONDONTWRITEBYTECODE": "1",
    })
    return env


# --------------------------------------------------------------------------- can we?
PROBE = ("import json, os, sys, ipykernel, course; s = open('/proc/self/status').read(); "
         "print(json.dumps({'uid': os.getuid(), 'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()), "
         "'no_new_privs': 'NoNewPrivs:\\t1' in s, 'cap_eff': s.split('CapEff:')[1].split()[0], "
         "'cap_bnd': s.split('CapBnd:')[1].split()[0], 'visible': [p for p in sys.argv[1:] if os.path.exists(p)]}))")


def canaries(hide, at_most: int = 20) -> list[str]:
    """Entries of the ``hide`` folders that the sandbox must not show (those that hold no exposed tree)."""
    out = []
    for folder in hide:
        try:
            entries = sorted(os.listdir(folder))[:at_most]
        except OSError:
            continue
        out += [p for p in (os.path.join(folder, e) for e in entries)
                if not any(inside(t, os.path.realpath(p)) for t in python_trees())]
    return out


def probe(limits: Limits, folder: str, hide=()) -> dict:
    """Run the kernel's interpreter in the sandbox once (importing ipykernel and the kit); return what it saw
    (its uid, the processes it sees, its capabilities, which ``hide`` folders it can see), or ``{"error": ...}``."""
    files = identity_files(folder, sandbox_uid(0))
    argv = sandbox_argv(limits, sandbox_uid(0), [sys.executable, "-c", PROBE, *canaries(hide)], files, hide)
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=120, env=kernel_environment(HOME))
    except (OSError, subprocess.SubprocessError) as exc:
        return {"error": f"{type(exc).__name__}: {exc}"}
    if proc.returncode != 0:
        return {"error": (proc.stderr.strip().splitlines() or [f"exit code {proc.returncode}"])[-1]}
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        return {"error": f"unexpected answer {proc.stdout[-200:]!r}"}


def problem(limits: Limits, folder: str, hide=()) -> str | None:
    """Why grading kernels cannot be isolated here (a plain message saying how to fix it), or None."""
    if bwrap() is None:
        return ("bubblewrap (bwrap) is not installed, so grading kernels cannot be isolated. Install it: run "
                "`make venv` as root, or `sudo apt-get install bubblewrap` (Debian/Ubuntu; `dnf install bubblewrap` "
                "on Fedora)")
    needed = NEEDED_OPTIONS + (() if as_root() else ("--disable-userns",))
    missing = [o for o in needed if o not in bwrap_options()]
    if missing:
        return (f"{bwrap()} is too old for the grader's sandbox (it lacks {', '.join(missing)}); install "
                "bubblewrap 0.8 or newer")
    for tool in ("prlimit",) + (("setpriv",) if as_root() else ()):
        if shutil.which(tool) is None and not os.path.exists(f"/usr/bin/{tool}"):
            return f"`{tool}` (from util-linux) is missing; install util-linux"
    seen = probe(limits, folder, hide)
    if "error" in seen:
        why = seen["error"]
        if not as_root() and ("namespace" in why.lower() or "permission" in why.lower()):
            return (f"bubblewrap cannot create a user namespace here ({why}). Allow unprivileged user namespaces "
                    "(e.g. `sudo sysctl -w kernel.unprivileged_userns_clone=1` or `user.max_user_namespaces`, or the "
                    "AppArmor profile for bwrap on Ubuntu), or grade as root")
        if "Permission denied" in why or "No such file" in why or "ModuleNotFoundError" in why:
            return (f"the grading kernel (uid {sandbox_uid(0)}) cannot start Python from {sys.prefix} in the sandbox "
                    f"({why}). The environment and the interpreter it was made from ({sys.base_prefix}) must be "
                    "readable by other users (e.g. `chmod -R o+rX` on them), or create the environment from an "
                    "interpreter outside a private folder")
        return f"the grader's sandbox does not start here: {why}"
    if seen.get("uid") != sandbox_uid(0) or seen.get("visible") or not seen.get("no_new_privs") \
            or int(seen.get("cap_eff", "1"), 16) or int(seen.get("cap_bnd", "1"), 16) or len(seen.get("pids", [])) > 2:
        return f"the grader's sandbox is not as it must be (uid, visible folders, capabilities, processes): {seen}"
    return None
