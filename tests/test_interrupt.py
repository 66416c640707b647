"""Data safety of ``python -m autograder grade``: Ctrl-C part-way, then a re-run; stale scratch folders.

* Ctrl-C (SIGINT to the whole process group, as a terminal sends it, and an impatient second one while
  it stops) once two students are saved: the command stops within seconds with a plain message (no traceback), leaves no worker or kernel
  process behind, and a re-run grades only the rest; the CSV equals an uninterrupted run's and the
  gradebook holds each student exactly once.
* A Ctrl-C that comes while a worker is being spawned is held back, not lost (it stops the run as soon as the
  worker has started, and that worker goes too); ``grade``/``preflight`` called from Python give the caller
  its own SIGINT handler back.
* Scratch folders of a run that was SIGKILLed (its pid file names a dead process) are removed by the
  next run; those of a live run are not.
"""
from __future__ import annotations

import contextlib
import os
import signal
import sqlite3
import subprocess
import sys
import tempfile
import textwrap
import time
import types

import pytest

from autograder.grading import grade as grade_command
from autograder.grading import pool as pool_mod
from autograder.grading import preflight as preflight_command
from autograder.grading.sandbox.limits import Limits
from autograder.grading.sandbox.processes import start_time
from test_grading import EXPECTED, EXPECTED_CSV, FIXTURE_SOURCE, ROOT, env, grade, write_fixture_class

pytestmark = pytest.mark.timeout(240)


def _children(pid: int) -> dict:
    """{pid: start time} of every descendant of ``pid`` (from /proc; start time guards against pid reuse)."""
    parents = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            info = _stat(int(entry))
            if info:
                parents[int(entry)] = info
    found, frontier = {}, [pid]
    while frontier:
        p = frontier.pop()
        for child, (ppid, start) in parents.items():
            if ppid == p and child not in found:
                found[child] = start
                frontier.append(child)
    return found


def _stat(pid: int):
    """(parent pid, start time) of ``pid`` or None when it is gone (a zombie counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    if fields[0] == "Z":
        return None
    return int(fields[1]), fields[19]


def _saved(course) -> int:
    state = course / ".autograder" / "state.sqlite"
    if not state.exists():
        return 0
    try:
        with sqlite3.connect(state) as db:
            return db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


@pytest.fixture(scope="module")
def fixture_class(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("interrupt")
    students = write_fixture_class(tmp)
    assert set(students) == set(EXPECTED)  # EXPECTED_CSV is the uninterrupted run's CSV (test_grading)
    return tmp / "in"


def test_ctrl_c_stops_cleanly_and_the_rerun_completes_the_class(fixture_class, tmp_path):
    course = tmp_path / "course"
    cmd = [sys.executable, "-m", "autograder", "grade", str(fixture_class), "--course-dir", str(course),
           "--source-dir", FIXTURE_SOURCE, "--workers", "2", "--timeout", "10", "--skip-preflight"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    T0 = time.monotonic()
    try:
        deadline = time.monotonic() + 120
        seen = {}
        while time.monotonic() < deadline and proc.poll() is None and _saved(course) < 2:
            seen.update(_children(proc.pid))  # workers and their kernels, as they come
            time.sleep(0.1)
        seen.update(_children(proc.pid))
        done = _saved(course)
        assert proc.poll() is None and 2 <= done < 6, "the run should be interrupted part-way"
        assert seen, "the grading workers should have been seen"
        os.killpg(proc.pid, signal.SIGINT)  # what Ctrl-C in a terminal does: the whole foreground group
        t0 = time.monotonic()
        time.sleep(0.3)  # an impatient second Ctrl-C while the workers are being stopped
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=20)
        stop_seconds = time.monotonic() - t0
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    print(f"stopped {stop_seconds:.2f} s after Ctrl-C; {time.monotonic() - T0:.1f} s since start")
    assert stop_seconds < 8, f"took {stop_seconds:.1f} s to stop"
    assert proc.returncode == 130
    assert "interrupted: every finished student is saved" in err
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    time.sleep(0.5)
    left = [pid for pid, start in seen.items() if (_stat(pid) or (None, None))[1] == start]
    assert not left, f"processes left running after Ctrl-C: {left}"
    saved = _saved(course)
    assert saved >= done

    resumed = grade(fixture_class, "--course-dir", course, "--source-dir", FIXTURE_SOURCE, "--workers", 2,
                    "--timeout", 10, "--skip-preflight")
    print(f"resumed in {time.monotonic() - T0:.1f} s since start")
    assert f"{6 - saved} to grade, {saved} unchanged" in resumed.stdout  # finished students not regraded
    assert (course / "reports" / "grades.csv").read_text() == EXPECTED_CSV
    db = sqlite3.connect(course / "gradebook.db")
    try:
        per_student = dict(db.execute("SELECT student.id, COUNT(submitted_assignment.id) FROM student "
                                      "LEFT JOIN submitted_assignment ON submitted_assignment.student_id = student.id "
                                      "GROUP BY student.id").fetchall())
    finally:
        db.close()
    assert per_student == {s: 1 for s in EXPECTED}


def test_ctrl_c_while_starting_up_says_so_plainly(fixture_class, tmp_path):
    """Ctrl-C during start-up (imports, preparing the assignment, workers booting): no traceback from
    the parent or a half-started worker, nothing left running."""
    cmd = [sys.executable, "-m", "autograder", "grade", str(fixture_class), "--course-dir", str(tmp_path / "c"),
           "--source-dir", FIXTURE_SOURCE, "--workers", "2", "--timeout", "10"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, start_new_session=True)
    try:
        seen = {}
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and proc.poll() is None and not seen:  # a worker is booting
            seen.update(_children(proc.pid))
            time.sleep(0.02)
        assert seen and proc.poll() is None
        os.killpg(proc.pid, signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
    assert proc.returncode == 130
    assert "Traceback" not in err and "KeyboardInterrupt" not in err, err
    assert "interrupted: every finished student is saved" in err
    time.sleep(0.5)
    assert not [pid for pid, start in seen.items() if (_stat(pid) or (None, None))[1] == start]


def test_the_first_worker_boots_with_ctrl_c_held_back(tmp_path):
    """The first spawn of a run also starts multiprocessing's resource tracker, after which CPython unblocks
    SIGINT: the worker then booted with SIGINT deliverable, and a Ctrl-C in that moment killed its start-up with
    "Fatal Python error: init_import_site ... KeyboardInterrupt" (seen once in a full run under load). In a fresh
    process (no tracker yet), a child spawned while the pool holds Ctrl-C back must start with SIGINT blocked."""
    script = tmp_path / "spawn_first.py"
    script.write_text(textwrap.dedent("""
        import multiprocessing as mp
        from autograder.grading import pool

        def report(conn):
            with open("/proc/self/status") as f:
                conn.send(next(line.split()[1] for line in f if line.startswith("SigBlk:")))

        if __name__ == "__main__":
            ctx = mp.get_context("spawn")
            ours, theirs = ctx.Pipe()
            with pool._sigint_held():
                child = ctx.Process(target=report, args=(theirs,))
                child.start()
            print(ours.recv())
            child.join()
    """))
    out = subprocess.run([sys.executable, str(script)], cwd=ROOT, env=env(), capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0, out.stderr
    assert int(out.stdout.strip(), 16) & (1 << (signal.SIGINT - 1)), f"SIGINT not blocked in the child: {out.stdout}"


def test_stale_scratch_folders_of_dead_runs_are_removed(tmp_path, monkeypatch):
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))  # scratch folders go under tmp_path
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()  # a pid that no longer runs
    stale = tmp_path / "autograder-stale"
    (stale / "w0-1" / "kernel").mkdir(parents=True)
    (stale / "w0-1" / "kernel" / "answer.py").write_text("x = 1")
    (stale / pool_mod.PID_FILE).write_text(f"{dead.pid}\n")
    live = tmp_path / "autograder-live"
    live.mkdir()
    (live / pool_mod.PID_FILE).write_text(f"{os.getppid()}\n")  # another run, still going
    no_pid = tmp_path / "autograder-nopid"  # not ours to judge (an older version, or mid-creation)
    no_pid.mkdir()
    other = tmp_path / "unrelated"
    other.mkdir()
    (other / pool_mod.PID_FILE).write_text(f"{dead.pid}\n")

    removed = pool_mod.remove_stale_scratch()
    assert removed == [str(stale)]
    assert not stale.exists() and live.exists() and no_pid.exists() and other.exists()

    class NoWorker:  # the pool's folder is under test here, not its workers
        def __init__(self, *args):
            self.process = types.SimpleNamespace(join=lambda timeout=None: None)

        def kill(self):
            pass

        ask_to_stop = kill

    reused = tmp_path / "autograder-reused"  # the pid runs again, but it is another process now
    reused.mkdir()
    (reused / pool_mod.PID_FILE).write_text(f"{os.getpid()} 1\n")
    monkeypatch.setattr(pool_mod, "WorkerProcess", NoWorker)
    with pool_mod.WorkerPool(1, Limits()) as pool:  # a new pool cleans up too, and marks its own
        assert not reused.exists() and live.exists() and no_pid.exists()
        pid, start = open(os.path.join(pool.base, pool_mod.PID_FILE)).read().split()
        assert int(pid) == os.getpid() and start == start_time(os.getpid())
        assert pool_mod.remove_stale_scratch() == []  # our own folder is alive
        assert os.path.isdir(pool.base)
    assert not os.path.exists(pool.base)


def test_a_ctrl_c_while_a_worker_is_spawned_stops_the_run_with_nothing_left(monkeypatch, tmp_path):
    """The Ctrl-C comes while the first worker is being spawned (the moment a run that ignored SIGINT then lost
    it and graded on to the end): it is raised as soon as the worker has started, the pool stops that worker,
    and the scratch folder is gone."""
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    held, spawned = pool_mod._sigint_held, []
    real_init = pool_mod.WorkerProcess.__init__

    @contextlib.contextmanager
    def held_then_ctrl_c():
        with held():
            yield
            os.kill(os.getpid(), signal.SIGINT)  # arrives before the spawn is over
            time.sleep(0.05)
            assert signal.getsignal(signal.SIGINT) is pool_mod._first_ctrl_c  # not delivered yet: held

    def remember(self, *args):
        spawned.append(self)
        real_init(self, *args)

    monkeypatch.setattr(pool_mod, "_sigint_held", held_then_ctrl_c)
    monkeypatch.setattr(pool_mod.WorkerProcess, "__init__", remember)
    before = signal.getsignal(signal.SIGINT)
    with pytest.raises(KeyboardInterrupt):
        with pool_mod.ctrl_c_stops_cleanly():
            pool_mod.WorkerPool(2, Limits(isolate=False))
    assert signal.getsignal(signal.SIGINT) is before  # the caller's handler is back
    assert len(spawned) == 1  # the second worker was never started
    process = spawned[0].process
    assert process.pid is not None and process.exitcode is not None, "the started worker was left running"
    assert not [p for p in os.listdir(tmp_path) if p.startswith(pool_mod.SCRATCH_PREFIX)]


def test_grade_and_preflight_called_from_python_give_the_callers_ctrl_c_back(tmp_path):
    """In-process callers (tests, notebooks) keep their own SIGINT handler: the grader's first-Ctrl-C handler once
    stayed installed in the pytest process after grade returned."""
    def callers_handler(signum, frame):
        raise AssertionError("not expected to run")

    previous = signal.signal(signal.SIGINT, callers_handler)
    try:
        assert grade_command.main([str(tmp_path / "nothing-here"), "--course-dir", str(tmp_path / "course"),
                                   "--source-dir", FIXTURE_SOURCE]) == 2
        assert signal.getsignal(signal.SIGINT) is callers_handler
        assert preflight_command.main(["--assignment", "99_nope", "--course-dir", str(tmp_path / "course"),
                                       "--source-dir", FIXTURE_SOURCE]) == 2
        assert signal.getsignal(signal.SIGINT) is callers_handler
    finally:
        signal.signal(signal.SIGINT, previous)
