"""Grading isolation (issue 12): a kernel sees only its own submission, cannot touch the grader, and a run ends well.

A class of crafted students of the fixture assignment (``add`` 3 points, ``mul`` 3 points) is graded as the
user running the tests (root in CI) and again as an unprivileged user (``nobody``, when the tests run as root):

* ``copies_classmate_here`` / ``copies_classmate_elsewhere``: execute the answers of a classmate's notebook
  found in the folder being graded / in a folder elsewhere on the machine (under ``/var/tmp``, readable by all);
* ``copies_second_clone``: executes the solution cells of a second clone's instructor sources, outside the
  repository (there too);
* ``hunts_the_disk``: walks the whole file system for notebooks of the assignment and executes their answers;
* ``tampers_with_files``: appends to this run's gradebook, a previous term's gradebook and the instructor
  sources by absolute path, then answers correctly;
* ``kills_its_ancestors``: SIGKILLs every ancestor process it can find through ``/proc``, then answers;
* ``cpu_hog``: spins until the CPU-time limit ends its kernel; ``fork_bomb``: forks until the process limit.

Every copier scores zero (with isolation there is nothing to copy), ``grade`` exits 0, the instructor's
files and the other gradebook are byte-identical afterwards, and this run's gradebook holds exactly the CSV's
scores. Also: ``grade`` refuses when the sandbox cannot be set up (and ``--no-isolation`` says so on the
summary's first line), and a worker killed while grading costs that one student, not the run.
"""
from __future__ import annotations

import copy
import csv
import hashlib
import os
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import time

import nbformat
import pytest

from autograder import nbcells, synthetic
from autograder.grading import coursedir
from autograder.grading.sandbox import launcher
from test_grading import FIXTURE, FIXTURE_SOURCE, ROOT

pytestmark = pytest.mark.timeout(600)

NOBODY = 65534
HUNT = '''import json, os, re

def answers_in(path):
    try:
        with open(path) as f:
            cells = json.load(f).get("cells", [])
    except Exception:
        return []
    found = []
    for cell in cells:
        src = "".join(cell.get("source", ""))
        if ("def add" in src or "def mul" in src) and "NotImplementedError" not in src and "answers_in" not in src:
            found.append(re.sub(r"[ \\t]*### (BEGIN|END) SOLUTION\\n?", "", src))
    return found

def copy_answers(*places):
    for place in places:
        for folder, subfolders, files in os.walk(place):
            subfolders[:] = [d for d in subfolders if os.path.join(folder, d) not in ("/proc", "/sys", "/dev")]
            for name in files:
                if name.endswith(".ipynb"):
                    for src in answers_in(os.path.join(folder, name)):
                        exec(src, globals())
'''


WHOAMI = """import json, os
status = dict(line.split(':', 1) for line in open('/proc/self/status').read().splitlines())
print('WHOAMI' + json.dumps({'uid': os.getuid(), 'gid': os.getgid(), 'groups': os.getgroups(),
    'no_new_privs': status['NoNewPrivs'].strip(), 'cap_eff': status['CapEff'].strip(),
    'cap_bnd': status['CapBnd'].strip(), 'pids': sorted(int(p) for p in os.listdir('/proc') if p.isdigit()),
    'top': sorted(os.listdir('/')), 'cwd': os.getcwd(), 'home': os.listdir('.'),
    'home_owner': os.stat('.').st_uid, 'home_mode': oct(os.stat('.').st_mode & 0o777),
    'ns': {n: os.readlink('/proc/self/ns/' + n) for n in ('pid', 'net', 'mnt', 'ipc', 'uts', 'user')}}) + 'WHOAMI')"""


def _notebook_with(base, answers: dict):
    nb = copy.deepcopy(base)
    for cell in nb.cells:
        gid = nbcells.grade_id(cell)
        if gid in answers:
            cell.source = answers[gid]
    return nb


def crafted(release, source, places: dict) -> dict:
    correct = synthetic.make_student(release, source, set(synthetic.answer_cells(source)))
    add, mul = "def add(a, b):\n    return a + b", "def mul(a, b):\n    return a * b"
    copier = lambda *where: _notebook_with(release, {"add": HUNT + f"\ncopy_answers(*{list(where)!r})",  # noqa: E731
                                                     "mul": "pass"})
    return {
        "control": correct,
        "copies_classmate_here": copier(places["submissions"]),
        "copies_classmate_elsewhere": copier(places["elsewhere"]),
        "copies_second_clone": copier(places["clone"]),
        "hunts_the_disk": copier("/"),
        "tampers_with_files": _notebook_with(correct, {"mul": mul + "\nfor path in " + repr(places["targets"]) + ":\n"
                                                       "    try:\n        with open(path, 'ab') as f:\n"
                                                       "            f.write(b'tampered')\n"
                                                       "    except OSError as exc:\n        print(exc)"}),
        "kills_its_ancestors": _notebook_with(correct, {"mul": mul + "\nimport os, signal\npid = os.getppid()\n"
                                                        "while pid > 0:\n    try:\n        os.kill(pid, signal.SIGKILL)\n"
                                                        "    except OSError:\n        pass\n"
                                                        "    with open(f'/proc/{pid}/stat') as f:\n"
                                                        "        pid = int(f.read().rsplit(')', 1)[1].split()[1])"}),
        "cpu_hog": _notebook_with(correct, {"mul": mul + "\nwhile True:\n    pass"}),
        "fork_bomb": _notebook_with(correct, {"mul": mul + "\nimport os\nwhile True:\n    if os.fork() == 0:\n"
                                              "        os._exit(0)  # a zombie: it counts until the kernel dies"}),
        "reports_itself": _notebook_with(correct, {"mul": mul + "\n" + WHOAMI}),
        "bob_the_honest": correct,
        "zed_the_honest": _notebook_with(correct, {"add": add}),
    }


#: student -> (status, add, mul, words the reason must contain)
EXPECTED = {
    "control": ("graded", 3, 3, None),
    "copies_classmate_here": ("graded", 0, 0, None),
    "copies_classmate_elsewhere": ("graded", 0, 0, None),
    "copies_second_clone": ("graded", 0, 0, None),
    "hunts_the_disk": ("graded", 0, 0, None),
    "tampers_with_files": ("graded", 3, 3, None),
    "kills_its_ancestors": ("graded", 3, 3, None),
    "cpu_hog": ("graded", 3, 0, "the kernel died in cell `mul` (killed by signal SIGXCPU: it hit the CPU-time "
                                "limit (5 s))"),
    "fork_bomb": ("graded", 3, 3, "the notebook hit the process limit (256 processes) in cell `mul`"),
    "reports_itself": ("graded", 3, 3, None),
    "bob_the_honest": ("graded", 3, 3, None),
    "zed_the_honest": ("graded", 3, 3, None),
}


def digest(folder) -> str:
    """One hash of every file's path and content under ``folder`` (to show that grading changed nothing there)."""
    h = hashlib.sha256()
    for dirpath, dirnames, filenames in sorted(os.walk(folder)):
        dirnames.sort()
        for name in sorted(filenames):
            path = os.path.join(dirpath, name)
            h.update(path.encode())
            with open(path, "rb") as f:
                h.update(hashlib.sha256(f.read()).digest())
    return h.hexdigest()


def far_away() -> str:
    """A folder outside the repository and outside ``/tmp`` (which the sandbox replaces anyway): ``/var/tmp``, else
    beside the repository -- where an instructor's second clone or another section's submissions could be."""
    for parent in ("/var/tmp", os.path.dirname(ROOT)):
        if os.path.isdir(parent) and os.access(parent, os.W_OK):
            return tempfile.mkdtemp(prefix="isolation-far-", dir=parent)
    pytest.fail("no writable folder outside /tmp for the classmate and the second clone")


def make_world(top, far):
    """Submissions; a classmate elsewhere, a second clone with instructor sources (both in ``far``, readable by
    every uid); a previous term's gradebook."""
    prepared = coursedir.prepare_assignment(os.path.join(top, "prep"), FIXTURE,
                                            nbcells.sqlite_url(os.path.join(top, "prep.db")), FIXTURE_SOURCE)
    release = nbformat.read(prepared.release_path, as_version=4)
    source = nbformat.read(os.path.join(prepared.source_dir, f"{FIXTURE}.ipynb"), as_version=4)
    places = {"submissions": os.path.join(top, "in"), "elsewhere": os.path.join(far, "elsewhere"),
              "clone": os.path.join(far, "clone2", "autograder", "source"),
              "lastterm": os.path.join(top, "lastterm", "gradebook.db"), "course": os.path.join(top, "course")}
    correct = synthetic.make_student(release, source, set(synthetic.answer_cells(source)))
    synthetic.write_class(places["elsewhere"], FIXTURE, {"bob_from_another_section": correct}, layout="flat")
    shutil.copytree(os.path.join(FIXTURE_SOURCE, FIXTURE), os.path.join(places["clone"], FIXTURE))
    os.makedirs(os.path.dirname(places["lastterm"]))
    with sqlite3.connect(places["lastterm"]) as db:
        db.execute("CREATE TABLE grade (student TEXT, score REAL)")
        db.execute("INSERT INTO grade VALUES ('alice', 7)")
    places["targets"] = [os.path.join(places["course"], "gradebook.db"), places["lastterm"],
                         os.path.join(FIXTURE_SOURCE, FIXTURE, f"{FIXTURE}.ipynb"),
                         os.path.join(places["clone"], FIXTURE, f"{FIXTURE}.ipynb")]
    synthetic.write_class(places["submissions"], FIXTURE, crafted(release, source, places))
    for folder in (top, far):  # readable by the unprivileged grader, and the kernel's uid, too
        for dirpath, dirnames, filenames in os.walk(folder):
            for name in dirnames + filenames:
                os.chmod(os.path.join(dirpath, name), 0o755 if name in dirnames else 0o644)
        os.chmod(folder, 0o755)
    return places


def grade_env(top) -> dict:
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg", HOME=os.path.join(top, "home"))
    for key in ("JUPYTER_CONFIG_DIR", "JUPYTER_DATA_DIR", "JUPYTER_RUNTIME_DIR", "IPYTHONDIR", "MPLCONFIGDIR"):
        env[key] = os.path.join(top, "home", key.lower())
    return env


def as_nobody(cmd: list[str], world: str) -> list[str]:
    """``cmd`` as the unprivileged user nobody, in a view of this machine where what that user needs can be
    reached: the Python environment, this repository and the test's ``world`` folder. A folder on the way to
    one of them that others cannot enter (root's home of mode 700, a ``/tmp`` of mode 1700 as on the CI
    machine) is replaced by an empty one holding just those -- the host's permissions are not loosened."""
    args = ["bwrap", "--dev-bind", "/", "/"]
    needed = launcher.outermost([*launcher.python_trees(), ROOT, world])
    closed = {p for t in needed for p in launcher.parents(t) if os.stat(p).st_mode & 0o005 != 0o005}
    for top in launcher.outermost(closed):
        inside = [t for t in needed if launcher.inside(t, top)]
        args += ["--perms", "01777", "--tmpfs", top] + launcher.folders_for(inside, (), existing=(top,))
        args += [a for t in inside for a in ("--bind", t, t)]
    return args + ["--", "setpriv", f"--reuid={NOBODY}", f"--regid={NOBODY}", "--clear-groups", *cmd]


def users():
    out = ["self"]
    if os.geteuid() == 0 and shutil.which("setpriv") and launcher.bwrap():
        out.append("nobody")
    return out


@pytest.fixture(scope="module", params=users())
def isolated_run(request):
    top, far = tempfile.mkdtemp(prefix="isolation-"), far_away()
    try:
        places = make_world(top, far)
        os.makedirs(os.path.join(top, "home"))
        cmd = [sys.executable, "-m", "autograder", "grade", places["submissions"], "--course-dir", places["course"],
               "--source-dir", FIXTURE_SOURCE, "--workers", "2", "--timeout", "60", "--cpu-seconds", "5",
               "--skip-preflight"]
        if request.param == "nobody":
            for path in (os.path.join(top, "home"),):
                shutil.chown(path, NOBODY, NOBODY)
            os.makedirs(places["course"])
            shutil.chown(places["course"], NOBODY, NOBODY)
            cmd = as_nobody(cmd, top)
        before = {"sources": digest(FIXTURE_SOURCE), "clone": digest(places["clone"]),
                  "lastterm": digest(os.path.dirname(places["lastterm"])), "in": digest(places["submissions"])}
        proc = subprocess.run(cmd, cwd=ROOT, env=grade_env(top), capture_output=True, text=True, timeout=500)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        with open(os.path.join(places["course"], "reports", "grades.csv"), newline="") as f:
            rows = {r["student"]: r for r in csv.DictReader(f)}
        yield request.param, places, before, rows, proc
    finally:
        shutil.rmtree(top, ignore_errors=True)
        shutil.rmtree(far, ignore_errors=True)


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_student_scores_what_their_own_notebook_earns(isolated_run, student):
    user, places, before, rows, proc = isolated_run
    status, add, mul, words = EXPECTED[student]
    row = rows[student]
    assert (row["status"], float(row["add"]), float(row["mul"])) == (status, add, mul), (user, row)
    if words:
        assert words in row["problems"], row["problems"]
        feedback = os.path.join(places["course"], "feedback", student, FIXTURE, f"{FIXTURE}.html")
        with open(feedback) as f:
            assert words.split("`")[0] in f.read()


def test_the_instructors_files_and_other_gradebooks_are_byte_identical(isolated_run):
    user, places, before, rows, proc = isolated_run
    assert digest(FIXTURE_SOURCE) == before["sources"]
    assert digest(places["clone"]) == before["clone"]
    assert digest(os.path.dirname(places["lastterm"])) == before["lastterm"]
    assert digest(places["submissions"]) == before["in"]
    with open(os.path.join(places["course"], "autograded", "tampers_with_files", FIXTURE, f"{FIXTURE}.ipynb")) as f:
        assert f.read().count("No such file or directory") == len(places["targets"])


def test_this_runs_gradebook_holds_exactly_the_csv(isolated_run):
    user, places, before, rows, proc = isolated_run
    path = os.path.join(places["course"], "gradebook.db")
    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    from nbgrader.api import Gradebook
    with Gradebook(nbcells.sqlite_url(path), nbcells.COURSE_ID) as gb:
        scores = {s.student_id: s.score for s in gb.assignment_submissions(FIXTURE)}
    assert scores == {s: float(r["score"]) for s, r in rows.items()}


def test_the_kernel_is_an_unprivileged_uid_alone_in_its_namespace(isolated_run):
    """Its own uid (61000 + worker slot: never the grader's), no capabilities, no new privileges, only its
    sandbox's processes, its own PID, network, mount, IPC and UTS namespaces (and user namespace when the grader
    is not root), and a file system of the allowlist's folders only."""
    import json
    import re
    user, places, before, rows, proc = isolated_run
    graded = nbformat.read(os.path.join(places["course"], "autograded", "reports_itself", FIXTURE, f"{FIXTURE}.ipynb"),
                           as_version=4)
    outputs = next(c.outputs for c in graded.cells if nbcells.grade_id(c) == "mul")
    printed = "".join(o.get("text", "") for o in outputs)
    found = re.search(r"WHOAMI(\{.*\})WHOAMI", printed)
    assert found, (user, outputs)
    seen = json.loads(found.group(1))
    assert seen["uid"] in (61000, 61001) and seen["gid"] == seen["uid"] and seen["groups"] in ([], [seen["uid"]])
    assert (seen["no_new_privs"], int(seen["cap_eff"], 16), int(seen["cap_bnd"], 16)) == ("1", 0, 0)
    assert len(seen["pids"]) <= 3  # the sandbox's init, the kernel (and a helper of ipykernel at most)
    assert set(seen["top"]) <= {"bin", "sbin", "lib", "lib32", "lib64", "libx32", "usr", "etc", "proc", "dev", "tmp",
                                "home", "run"} | {p.split("/")[1] for p in launcher.python_trees()}
    assert seen["cwd"] == launcher.HOME
    assert seen["home_owner"] == seen["uid"] and seen["home_mode"] in ("0o700", "0o777"), seen  # its own home
    if os.geteuid() == 0 and user == "self":
        assert seen["home_mode"] == "0o700"
    ours = {n: os.readlink(f"/proc/self/ns/{n}") for n in seen["ns"]}  # the test's (and so the grader's host's)
    assert [n for n in ("pid", "net", "mnt", "ipc", "uts") if seen["ns"][n] == ours[n]] == []
    # as root the kernel is a real unprivileged uid of the host (a user namespace would map it onto root);
    # as an ordinary user it is in a user namespace of its own
    assert (seen["ns"]["user"] != ours["user"]) == (user == "nobody" or os.geteuid() != 0)


def test_the_run_reports_every_student_and_counts_as_the_summary(isolated_run):
    user, places, before, rows, proc = isolated_run
    assert set(rows) == set(EXPECTED)
    with open(os.path.join(places["course"], "reports", "summary.md")) as f:
        summary = f.read()
    assert summary.startswith("# Grading summary")
    listed = sum(line.startswith("- ") for line in summary.splitlines())
    assert f"{listed} submissions with problems" in proc.stdout


# --------------------------------------------------------------------------- refusing, and surviving
def _small_class(top, students: dict):
    prepared = coursedir.prepare_assignment(os.path.join(top, "prep"), FIXTURE,
                                            nbcells.sqlite_url(os.path.join(top, "prep.db")), FIXTURE_SOURCE)
    release = nbformat.read(prepared.release_path, as_version=4)
    source = nbformat.read(os.path.join(prepared.source_dir, f"{FIXTURE}.ipynb"), as_version=4)
    correct = synthetic.make_student(release, source, set(synthetic.answer_cells(source)))
    notebooks = {name: (_notebook_with(correct, answers) if answers else correct) for name, answers in students.items()}
    synthetic.write_class(os.path.join(top, "in"), FIXTURE, notebooks)


def _grade(top, *extra, env=None, timeout=300):
    cmd = [sys.executable, "-m", "autograder", "grade", os.path.join(top, "in"), "--course-dir",
           os.path.join(top, "course"), "--source-dir", FIXTURE_SOURCE, "--skip-preflight", *extra]
    return subprocess.run(cmd, cwd=ROOT, env=env or dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg"),
                          capture_output=True, text=True, timeout=timeout)


def test_grade_refuses_without_a_sandbox_unless_told_and_then_says_so(tmp_path):
    _small_class(tmp_path, {"alice": None})
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg", AUTOGRADER_BWRAP=str(tmp_path / "no-bwrap-here"))
    refused = _grade(tmp_path, env=env)
    assert refused.returncode == 2, refused.stdout + refused.stderr
    assert "bubblewrap (bwrap) is not installed" in refused.stderr and "--no-isolation" in refused.stderr
    assert "Traceback" not in refused.stderr
    assert not (tmp_path / "course" / "reports").exists()
    anyway = _grade(tmp_path, "--no-isolation", env=env)
    assert anyway.returncode == 0, anyway.stdout + anyway.stderr
    assert "WARNING: graded WITHOUT isolation" in anyway.stderr
    summary = (tmp_path / "course" / "reports" / "summary.md").read_text()
    assert summary.splitlines()[0].startswith("**WARNING: graded WITHOUT isolation (--no-isolation)")
    assert "(1 of 1 submissions)" in summary.splitlines()[0]
    with open(tmp_path / "course" / "reports" / "grades.csv", newline="") as f:
        assert [(r["student"], r["score"]) for r in csv.DictReader(f)] == [("alice", "6")]


def _descendants(pid: int) -> list[int]:
    from autograder.grading.sandbox.processes import children
    out, frontier = [], [pid]
    while frontier:
        for child in children(frontier.pop()):
            out.append(child)
            frontier.append(child)
    return out


def _cpu_seconds(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return 0.0


def test_a_worker_killed_while_grading_costs_that_student_only(tmp_path):
    """SIGKILL the worker grading a spinning notebook: its sandbox dies with it, that student is recorded as a
    grader crash, a fresh worker grades the rest, ``grade`` exits 0, and a re-run grades that student again."""
    _small_class(tmp_path, {"a_spinner": {"add": "def add(a, b):\n    return a + b\nwhile True:\n    pass"},
                            "b_control": None, "c_control": None})
    cmd = [sys.executable, "-m", "autograder", "grade", str(tmp_path / "in"), "--course-dir", str(tmp_path / "course"),
           "--source-dir", FIXTURE_SOURCE, "--skip-preflight", "--workers", "1", "--timeout", "20"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg"),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        deadline, spinning, worker = time.monotonic() + 180, None, None
        while time.monotonic() < deadline and proc.poll() is None and spinning is None:
            for w in launcher_children(proc.pid):
                for pid in _descendants(w):
                    if _cpu_seconds(pid) > 1.0 and b"ipykernel_launcher" in open(f"/proc/{pid}/cmdline", "rb").read():
                        spinning, worker = pid, w
            time.sleep(0.2)
        assert spinning, "the spinning notebook's kernel was never seen"
        with open(f"/proc/{spinning}/status") as f:  # the kernel's uid on the host
            host_uid = int(next(line for line in f if line.startswith("Uid:")).split()[1])
        assert host_uid == (launcher.sandbox_uid(0) if os.geteuid() == 0 else os.geteuid())
        os.kill(worker, signal.SIGKILL)
        t0 = time.monotonic()
        while os.path.exists(f"/proc/{spinning}") and time.monotonic() - t0 < 10:
            time.sleep(0.05)
        assert not os.path.exists(f"/proc/{spinning}"), "the sandbox outlived its worker"
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 0, out + err
    with open(tmp_path / "course" / "reports" / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    assert rows["a_spinner"]["status"] == "error"
    assert rows["a_spinner"]["problems"] == "the grader crashed while grading this notebook"
    assert [rows[s]["score"] for s in ("b_control", "c_control")] == ["6", "6"]
    again = _grade(tmp_path, "--workers", "1", "--timeout", "5")
    assert again.returncode == 0 and "1 to grade, 2 unchanged" in again.stdout, again.stdout + again.stderr
    with open(tmp_path / "course" / "reports" / "grades.csv", newline="") as f:
        spinner = next(r for r in csv.DictReader(f) if r["student"] == "a_spinner")
    assert spinner["status"] == "graded" and "timed out in cell `add` after 5 s" in spinner["problems"]


def launcher_children(pid: int) -> list[int]:
    """The grading workers: children of the ``grade`` process running Python's multiprocessing."""
    from autograder.grading.sandbox.processes import children
    out = []
    for child in children(pid):
        try:
            with open(f"/proc/{child}/cmdline", "rb") as f:
                if b"multiprocessing" in f.read():
                    out.append(child)
        except OSError:
            pass
    return out
