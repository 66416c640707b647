"""Grading on several machines: ``grade --cluster URL`` with ``python -m autograder worker`` (Celery + Redis).

On loopback: a Redis broker and a PostgreSQL gradebook started here (ephemeral ports, temporary folders,
stopped at the end), and workers as separate processes, each in its own clone of the repository (made
by ``git clone`` into a temporary folder, the coordinator's uncommitted changes copied over), acting as
separate machines:

* a class graded across two workers gives byte for byte the CSV of local grading (``EXPECTED_CSV`` of
  test_grading), each student once in the gradebook; a third worker, at another commit, is refused with
  a plain message (in its log and the coordinator's output) and grades nothing;
* a worker killed (SIGKILL) in the middle of a submission: every student is graded, exactly once;
* the coordinator killed part-way: the re-run collects what the workers finished meanwhile and completes
  the class, each student once;
* SQLite with ``--cluster`` is refused; a result delivered twice is taken once; mismatches say what differs.
"""
from __future__ import annotations

import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import time

import pytest

from autograder.grading import cluster
from autograder.grading.coordinator import Collector
from autograder.grading.records import Result, Task
from servers import PostgresServer, RedisServer
from test_grading import EXPECTED, EXPECTED_CSV, FIXTURE, FIXTURE_SOURCE, ROOT, env, write_fixture_class

MISSING = RedisServer.missing() or PostgresServer.missing()
needs_servers = pytest.mark.skipif(MISSING is not None, reason=f"cluster tests need the servers: {MISSING}")
together = pytest.mark.xdist_group("cluster")  # one broker and one set of workers (make test: --dist loadgroup)
pytestmark = pytest.mark.timeout(600)


# --------------------------------------------------------------------------- machines
def clone(dest, commit_change: str | None = None) -> str:
    """A clone of this repository with the working tree's uncommitted changes (what the coordinator runs);
    with ``commit_change``, a commit on top that edits that file (a worker at another commit)."""
    subprocess.run(["git", "clone", "--quiet", "--shared", ROOT, str(dest)], check=True, timeout=60)
    changed = subprocess.run(["git", "-C", ROOT, "ls-files", "-z", "--modified", "--others", "--exclude-standard"],
                             capture_output=True, text=True, check=True).stdout.split("\0")
    for rel in filter(None, changed):
        src = os.path.join(ROOT, rel)
        if os.path.isfile(src):
            os.makedirs(os.path.dirname(os.path.join(dest, rel)), exist_ok=True)
            shutil.copy2(src, os.path.join(dest, rel))
        elif os.path.exists(os.path.join(dest, rel)):
            os.remove(os.path.join(dest, rel))
    if commit_change:
        with open(os.path.join(dest, commit_change), "a") as f:
            f.write("\n# a later change\n")
        git = ["git", "-C", str(dest), "-c", "user.name=t", "-c", "user.email=t@example.org"]
        subprocess.run(git + ["commit", "--quiet", "-am", "another commit"], check=True, timeout=60)
    return str(dest)


class Worker:
    """``python -m autograder worker`` run from ``repo`` (its own clone) with its own working folder and log
    (a short visibility timeout: a task a killed worker had only just taken comes back within the test)."""

    def __init__(self, repo, name, url, tmp, *extra):
        self.name, self.host = name, f"celery@{name}"
        self.log = tmp / f"{name}.log"
        e = env()
        e["PYTHONPATH"] = repo
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "autograder", "worker", "--cluster", url, "--workers", "1", "--name", name,
             "--work-dir", str(tmp / f"work-{name}"), "--visibility-timeout", "120", *extra],
            cwd=repo, env=e, stdout=open(self.log, "w"), stderr=subprocess.STDOUT, start_new_session=True)

    def text(self) -> str:
        return self.log.read_text(errors="replace")

    def wait_ready(self, seconds=120):
        deadline = time.monotonic() + seconds
        while "ready." not in self.text():
            assert self.proc.poll() is None and time.monotonic() < deadline, f"worker {self.name}:\n{self.text()}"
            time.sleep(0.2)

    def descendants(self) -> set:
        found, frontier = set(), [self.proc.pid]
        while frontier:
            pid = frontier.pop()
            try:
                with open(f"/proc/{pid}/task/{pid}/children") as f:
                    kids = [int(k) for k in f.read().split()]
            except OSError:
                kids = []
            for k in kids:
                if k not in found:
                    found.add(k)
                    frontier.append(k)
        return found

    def ask_to_stop(self):
        self.kids = self.descendants()
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # Celery's warm shutdown: stops its pools and kernels

    def stop(self):
        if not hasattr(self, "kids"):
            self.ask_to_stop()
        kids = self.kids
        if self.proc.poll() is None:
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        for pid in kids:  # nothing of ours stays behind, whatever happened
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass


@pytest.fixture(scope="module")
def cluster_env(tmp_path_factory):
    """Broker, PostgreSQL, two matching workers and one at another commit, each in its own clone."""
    if MISSING:
        pytest.skip(MISSING)
    tmp = tmp_path_factory.mktemp("cluster")
    with RedisServer() as redis, PostgresServer() as pg:
        workers = {}
        try:
            for name in ("machine-a", "machine-b"):
                workers[name] = Worker(clone(tmp / name), name, redis.url, tmp)
            workers["other"] = Worker(clone(tmp / "other", "autograder/grading/feedback.py"), "other", redis.url, tmp)
            for w in workers.values():
                w.wait_ready()
            yield {"tmp": tmp, "redis": redis, "pg": pg, "workers": workers}
        finally:
            for w in workers.values():
                w.ask_to_stop()  # all at once: each stops its pools in parallel
            for w in workers.values():
                w.stop()


def grade_cluster(inp, course, ctx, database, *args, timeout=400, check=True):
    cmd = [sys.executable, "-m", "autograder", "grade", str(inp), "--course-dir", str(course), "--source-dir",
           FIXTURE_SOURCE, "--cluster", ctx["redis"].url, "--db-url", database, "--timeout", "10", *map(str, args)]
    proc = subprocess.run(cmd, cwd=ROOT, env=env(), capture_output=True, text=True, timeout=timeout)
    if check and proc.returncode != 0:
        raise AssertionError(f"grade --cluster failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    return proc


def gradebook_counts(pg, database) -> dict:
    """{student: number of submissions of the fixture assignment} in the PostgreSQL gradebook."""
    rows = pg.query(database, "SELECT student.id, COUNT(submitted_assignment.id) FROM student LEFT JOIN "
                              "submitted_assignment ON submitted_assignment.student_id = student.id GROUP BY student.id")
    return dict(rows)


def bigger_class(tmp, prefix, n=12):
    """``n`` students cycling the fixture's variants; their expected CSV from ``EXPECTED_CSV``'s rows.
    (Each test its own ``prefix``: the same student and content in the same run is the same task.)"""
    from autograder import synthetic
    students = write_fixture_class(tmp / "base")
    names = sorted(EXPECTED)
    rows = {line.split(",")[0]: line.split(",", 1)[1] for line in EXPECTED_CSV.splitlines()[1:]}
    chosen = {f"{prefix}{i:02d}_{names[i % len(names)]}": names[i % len(names)] for i in range(n)}
    synthetic.write_class(str(tmp / "in"), FIXTURE, {s: students[v] for s, v in chosen.items()})
    csv = EXPECTED_CSV.splitlines()[0] + "\n" + "".join(f"{s},{rows[v]}\n" for s, v in sorted(chosen.items()))
    return tmp / "in", csv


def saved(course) -> int:
    path = course / ".autograder" / "state.sqlite"
    try:
        with sqlite3.connect(path) as db:
            return db.execute("SELECT COUNT(*) FROM results").fetchone()[0]
    except sqlite3.OperationalError:
        return 0


# --------------------------------------------------------------------------- end to end
@needs_servers
@together
def test_class_across_two_workers_gives_the_local_csv_and_a_worker_at_another_commit_is_refused(cluster_env):
    ctx, tmp = cluster_env, cluster_env["tmp"]
    write_fixture_class(tmp / "first")
    database = ctx["pg"].create_database("first")
    proc = grade_cluster(tmp / "first" / "in", tmp / "first" / "course", ctx, database)
    assert "preflight ok" in proc.stdout and "6 to grade" in proc.stdout
    assert (tmp / "first" / "course" / "reports" / "grades.csv").read_text() == EXPECTED_CSV
    assert gradebook_counts(ctx["pg"], "first") == {s: 1 for s in EXPECTED}
    graded_by = dict(re.findall(r"celery@(machine-[ab]) (\d+)", proc.stderr.split("graded on the cluster:")[-1]))
    assert sum(map(int, graded_by.values())) == 6 and set(graded_by) == {"machine-a", "machine-b"}, proc.stderr
    other = ctx["workers"]["other"]
    refusal = "this clone's autograder code (commit"
    assert f"worker celery@other refused this run: {refusal}" in proc.stderr
    assert "differs from the coordinator's" in proc.stderr and "Traceback" not in proc.stderr
    assert refusal in other.text() and "grading " not in other.text()
    assert "ETA" in proc.stderr and "workers: celery@machine-" in proc.stderr


@needs_servers
@together
def test_a_worker_killed_mid_run_loses_no_student_and_grades_none_twice(cluster_env):
    ctx, tmp = cluster_env, cluster_env["tmp"] / "killed"
    inp, expected_csv = bigger_class(tmp, "k")
    database = ctx["pg"].create_database("killed")
    victim = ctx["workers"]["machine-a"]
    started = victim.text().count("INFO grading ")
    cmd = [sys.executable, "-m", "autograder", "grade", str(inp), "--course-dir", str(tmp / "course"), "--source-dir",
           FIXTURE_SOURCE, "--cluster", ctx["redis"].url, "--db-url", database, "--skip-preflight", "--timeout", "10"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 180
        while True:  # kill it while it grades someone, after the run has saved a first student
            log = victim.text()
            lines = log.splitlines()
            mid = (log.count("INFO grading ") > started and lines and " INFO grading " in lines[-1]
                   and saved(tmp / "course") >= 1)
            if mid:
                break
            assert proc.poll() is None and time.monotonic() < deadline, "the run should be killed part-way"
            time.sleep(0.05)
        kids = victim.descendants()
        victim.proc.kill()  # SIGKILL: the machine is gone, nothing is acknowledged
        victim.proc.wait()
        in_flight = lines[-1].split(" INFO grading ")[1].split("/")[0]
        # still in flight when it died (its log is written line by line): the coordinator must send it again
        # (in the rare case it finished in the last millisecond, its next task returns after the visibility timeout)
        resent = victim.text().splitlines()[-1] == lines[-1]
        out, err = proc.communicate(timeout=300)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    deadline = time.monotonic() + 30
    while any(os.path.exists(f"/proc/{pid}") and (open(f"/proc/{pid}/stat").read().split()[2] != "Z")
              for pid in kids) and time.monotonic() < deadline:
        time.sleep(0.2)  # its grading processes follow it (their pipe closed)
    assert proc.returncode == 0, f"{out}\n{err}"
    assert "celery@machine-a stopped answering" in err or not resent
    assert (tmp / "course" / "reports" / "grades.csv").read_text() == expected_csv
    assert in_flight in expected_csv
    counts = gradebook_counts(ctx["pg"], "killed")
    assert len(counts) == 12 and set(counts.values()) == {1}


@needs_servers
@together
def test_coordinator_killed_part_way_then_the_rerun_collects_and_completes(cluster_env):
    ctx = cluster_env
    if ctx["workers"]["machine-a"].proc.poll() is not None:  # killed by the test before: a fresh machine
        ctx["workers"]["machine-a"] = Worker(str(ctx["tmp"] / "machine-a"), "machine-a2", ctx["redis"].url, ctx["tmp"])
        ctx["workers"]["machine-a"].wait_ready()
    tmp = ctx["tmp"] / "resumed"
    inp, expected_csv = bigger_class(tmp, "r")
    database = ctx["pg"].create_database("resumed")
    course = tmp / "course"
    cmd = [sys.executable, "-m", "autograder", "grade", str(inp), "--course-dir", str(course), "--source-dir",
           FIXTURE_SOURCE, "--cluster", ctx["redis"].url, "--db-url", database, "--skip-preflight", "--timeout", "10"]
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env(), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        deadline = time.monotonic() + 180
        while saved(course) < 2:
            assert proc.poll() is None and time.monotonic() < deadline, "the run should be killed part-way"
            time.sleep(0.05)
    finally:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait()
    done = saved(course)
    assert done < 12
    time.sleep(4)  # the workers go on with the tasks already sent
    again = grade_cluster(inp, course, ctx, database, "--skip-preflight")
    assert f"{12 - done} to grade, {done} unchanged" in again.stdout
    assert "while no coordinator was running: collected, not graded again" in again.stderr
    assert (course / "reports" / "grades.csv").read_text() == expected_csv
    counts = gradebook_counts(ctx["pg"], "resumed")
    assert len(counts) == 12 and set(counts.values()) == {1}


# --------------------------------------------------------------------------- in-process
def test_sqlite_gradebook_is_refused_with_cluster(tmp_path, capsys):
    from autograder.grading import grade as grade_command
    write_fixture_class(tmp_path)
    rc = grade_command.main([str(tmp_path / "in"), "--course-dir", str(tmp_path / "course"), "--source-dir",
                             FIXTURE_SOURCE, "--cluster", "redis://127.0.0.1:9/0"])
    err = capsys.readouterr().err
    assert rc == 2
    assert "--cluster needs a PostgreSQL gradebook (--db-url postgresql+psycopg://" in err
    assert "Traceback" not in err
    assert not (tmp_path / "course" / "reports").exists()


def test_an_unreachable_broker_is_one_plain_line(tmp_path, capsys):
    from autograder.grading import grade as grade_command
    write_fixture_class(tmp_path)
    if MISSING:
        pytest.skip(MISSING)
    with RedisServer() as gone:
        url = gone.url  # a port where nothing listens once it stopped
    with PostgresServer() as pg:  # a gradebook that works (grade checks the database first: issue 17)
        rc = grade_command.main([str(tmp_path / "in"), "--course-dir", str(tmp_path / "course"), "--source-dir",
                                 FIXTURE_SOURCE, "--cluster", url.replace("redis://", "redis://:secret@"),
                                 "--db-url", pg.create_database("broker_gone")])
    err = capsys.readouterr().err
    assert rc == 2 and "error: cannot reach the broker at redis://:***@127.0.0.1:" in err, err
    assert "secret" not in err and "Traceback" not in err


def test_grading_without_cluster_does_not_import_the_engine():
    code = ("import sys; from autograder.grading import grade; grade.build_parser().parse_args(['x']); "
            "assert not [m for m in sys.modules if m.split('.')[0] in ('celery', 'kombu', 'redis')], 'engine imported'")
    subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env(), check=True, timeout=60)


def _task(student="alice", key="k1"):
    return Task(student, FIXTURE, key, None, "", "", "", spec=None)


def test_a_result_delivered_twice_or_for_other_work_is_taken_once():
    collector = Collector()
    collector.expect("id-1", 7, _task())
    collector.expect("id-2", 8, _task("bob", "k2"))
    first = Result("alice", FIXTURE, "k1", "graded")
    assert collector.accept("id-1", first) == (7, first)
    assert collector.accept("id-1", Result("alice", FIXTURE, "k1", "graded")) is None   # late duplicate
    assert collector.accept("id-2", Result("bob", FIXTURE, "stale-key", "graded")) is None  # other content
    assert collector.accept("id-9", Result("carol", FIXTURE, "k9", "graded")) is None    # not of this run
    assert collector.pending == ["id-2"] and collector.ignored == 3


def test_mismatch_names_what_differs(monkeypatch):
    from autograder.grading.coursedir import source_hash
    from autograder.grading.sandbox.limits import Limits
    run = cluster.run_info(FIXTURE_SOURCE, {FIXTURE: source_hash(FIXTURE, FIXTURE_SOURCE)}, Limits())
    assert cluster.mismatch(run, source_hash) is None
    changed = dict(run, sources={FIXTURE: "0" * 64})
    assert f"source of assignment {FIXTURE!r}" in cluster.mismatch(changed, source_hash)
    env_there = {"python": run["environment"]["python"],
                 "packages": dict(run["environment"]["packages"], numpy="0.0.1")}
    why = cluster.mismatch(dict(run, environment=env_there), source_hash)
    assert "numpy" in why and "0.0.1 on the coordinator" in why and "make venv" in why
    with pytest.raises(ValueError, match="inside the repository"):
        cluster.run_info("/tmp", {}, Limits())


def test_outputs_are_stripped_from_the_submission_but_broken_files_travel_unchanged(tmp_path):
    import base64
    import json

    import nbformat
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print(1)", outputs=[
        nbformat.v4.new_output("stream", name="stdout", text="1\n" * 1000)], execution_count=3)])
    path = tmp_path / "a.ipynb"
    nbformat.write(nb, str(path))
    sent = json.loads(base64.b64decode(cluster.stripped_notebook(str(path))))
    assert sent["cells"][0]["outputs"] == [] and sent["cells"][0]["execution_count"] is None
    assert "".join(sent["cells"][0]["source"]) == "print(1)"
    path.write_bytes(b'{"cells": [}')
    assert base64.b64decode(cluster.stripped_notebook(str(path))) == b'{"cells": [}'
