"""Grading a class: ``python -m autograder grade`` vs serial ``nbgrader autograde`` (one CLI call per student).

Same submissions (a synthetic class cycling correct / blank / partial / each-question-wrong notebooks of
one real assignment), same machine, one run:

* ratio = seconds of serial ``nbgrader autograde ASSIGNMENT --student S`` calls / seconds of our command
  (``--workers`` = cores, preflight skipped as nbgrader has none; every kernel of ours in its sandbox;
  the goal is >= 4x at 2 workers);
* the cost of isolation: the same class graded with ``--no-isolation`` against sandboxed (throughput ratio, and
  the difference per submission);
* the sandbox's own start-up cost per kernel, in ms: ``bwrap ... prlimit ... setpriv ... /bin/true`` minus a bare
  ``/bin/true``, best of 30 (and the same for ``python -S -c pass``, which also reads the interpreter through
  the sandbox's mounts);
* our seconds per submission against the bare cost of starting one kernel and running the instructor
  notebook once (nbclient, no nbgrader): below 1 means parallel workers and pre-started kernels
  grade a submission faster than a lone kernel can even run it;
* personal numbers: the same class of 04_backprop graded with and without them (:mod:`benchmarks.personal_grading`);
* (full run only) a class of 200 students x every assignment with a source, graded in one run: its time
  and that no submission failed (``BENCH_GRADING_LARGE=N`` for N students per assignment instead, 0 for none);
* ``grade --cluster`` on loopback (Redis and PostgreSQL started here, workers as separate processes with one
  grading slot each): throughput with 2 remote workers against 1 (scaling efficiency = ratio / 2), the same
  class graded locally with one worker against one remote worker, and the engine's own cost per task
  (the slope over two class sizes of submissions with nothing to grade, cluster minus local);
  the submissions per hour per core measured here (capacity planning).
"""
from __future__ import annotations

import csv
import os
import shutil
import subprocess
import sys
import tempfile
import time

import nbformat

from benchmarks import Figure

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _env():
    env = dict(os.environ)
    env.pop("PYTHONPATH", None)
    env["PYTHONPATH"] = ROOT
    env["MPLBACKEND"] = "Agg"
    env["PATH"] = os.path.dirname(sys.executable) + os.pathsep + env.get("PATH", "")
    return env


def _assignments():
    from autograder.nbcells import SOURCE_DIR
    return [n for n in ("01_perceptron", "02_xor_forward", "03_activations", "04_backprop", "05_training")
            if os.path.isdir(os.path.join(SOURCE_DIR, n))]


def _class(tmp, name, n_students, prefix="s"):
    """Write ``n_students`` synthetic submissions of ``name``; return (students, PreparedAssignment)."""
    from autograder import synthetic
    from autograder.grading import coursedir
    from autograder.nbcells import sqlite_url
    prep = coursedir.prepare_assignment(os.path.join(tmp, f"prep-{name}"), name,
                                        sqlite_url(os.path.join(tmp, f"prep-{name}.db")))
    release = nbformat.read(prep.release_path, as_version=4)
    source = nbformat.read(os.path.join(prep.source_dir, f"{name}.ipynb"), as_version=4)
    variants = list(synthetic.variants(release, source).values())
    students = {f"{prefix}{i:03d}": variants[i % len(variants)] for i in range(n_students)}
    synthetic.write_class(os.path.join(tmp, "in"), name, students)
    return students, prep, source


def _ours(tmp, workers, course="course", *extra):
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade", os.path.join(tmp, "in"), "--course-dir",
                    os.path.join(tmp, course), "--workers", str(workers), "--skip-preflight", "--timeout", "60",
                    *extra], cwd=ROOT, env=_env(), check=True, capture_output=True, timeout=7200)
    return time.perf_counter() - t0


def _nbgrader_serial(tmp, name, students):
    """``nbgrader autograde NAME --student S`` once per student in a plain nbgrader course folder."""
    from autograder.grading import coursedir
    from autograder.nbcells import COURSE_ID, sqlite_url
    root = os.path.join(tmp, "nbgrader-course")
    db = sqlite_url(os.path.join(root, "gradebook.db"))
    coursedir.prepare_assignment(root, name, db)  # generate_assignment: not timed
    for student in students:
        shutil.copytree(os.path.join(tmp, "in", "submitted", student), os.path.join(root, "submitted", student))
    with open(os.path.join(root, "nbgrader_config.py"), "w") as f:
        f.write(f"c = get_config()\nc.CourseDirectory.root = {root!r}\nc.CourseDirectory.db_url = {db!r}\n"
                f"c.CourseDirectory.course_id = {COURSE_ID!r}\nc.Execute.timeout = 60\n")
    env = _env()
    env.pop("PYTHONPATH")
    nbgrader = os.path.join(os.path.dirname(sys.executable), "nbgrader")
    t0 = time.perf_counter()
    for student in students:
        subprocess.run([nbgrader, "autograde", name, "--student", student, "--force"], cwd=root, env=env,
                       check=True, capture_output=True, timeout=600)
    return time.perf_counter() - t0


def _bare_kernel_run(source_nb, repeat=3):
    """Start a kernel and run the instructor notebook once (nbclient), best of ``repeat``."""
    from nbclient import NotebookClient

    from autograder.kernels import AsyncIpcKernelManager  # over Unix sockets, as the grader's kernels
    best = float("inf")
    env_saved = os.environ.pop("PYTHONPATH", None)
    try:
        with tempfile.TemporaryDirectory() as cwd:
            for _ in range(repeat):
                nb = nbformat.from_dict(source_nb)
                t0 = time.perf_counter()
                NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True,
                               kernel_manager_class=AsyncIpcKernelManager,
                               resources={"metadata": {"path": cwd}}).execute()
                best = min(best, time.perf_counter() - t0)
    finally:
        if env_saved is not None:
            os.environ["PYTHONPATH"] = env_saved
    return best


def _grade(tmp, inp, course, *args):
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "autograder", "grade", inp, "--course-dir", os.path.join(tmp, course),
                    "--skip-preflight", "--timeout", "60", *args], cwd=ROOT, env=_env(), check=True,
                   capture_output=True, timeout=7200)
    return time.perf_counter() - t0


def _empty_class(folder, n):
    """``n`` students who handed in a folder without the notebook (graded "missing": no kernel, same path)."""
    from autograder.nbcells import SOURCE_DIR
    name = _assignments()[0]
    for i in range(n):
        os.makedirs(os.path.join(folder, "submitted", f"e{i:03d}", name))
        with open(os.path.join(folder, "submitted", f"e{i:03d}", name, "notes.txt"), "w") as f:
            f.write("forgot the notebook\n")
    return folder


class _Workers:
    """``python -m autograder worker`` processes (one slot each) on this repository, separate work folders."""

    def __init__(self, tmp, url, names):
        self.procs = []
        for name in names:
            log = open(os.path.join(tmp, f"{name}.log"), "w")
            self.procs.append((subprocess.Popen(
                [sys.executable, "-m", "autograder", "worker", "--cluster", url, "--workers", "1", "--name", name,
                 "--work-dir", os.path.join(tmp, f"work-{name}")], cwd=ROOT, env=_env(), stdout=log,
                stderr=subprocess.STDOUT), log))
        deadline = time.monotonic() + 120
        for proc, log in self.procs:
            while "ready." not in open(log.name).read():
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(open(log.name).read())
                time.sleep(0.2)

    def stop(self):
        for proc, _ in self.procs:
            proc.terminate()
        for proc, log in self.procs:
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            log.close()


def _cluster(quick: bool) -> list[Figure]:
    sys.path.insert(0, os.path.join(ROOT, "tests"))
    from servers import PostgresServer, RedisServer
    missing = RedisServer.missing() or PostgresServer.missing()
    if missing:
        return [Figure(f"cluster: not measured ({missing})", float("nan"))]
    name = _assignments()[0]
    n = 8 if quick else 24
    small, large = (10, 40) if quick else (20, 120)
    figures = []
    with tempfile.TemporaryDirectory(prefix="bench-cluster-") as tmp, RedisServer() as redis, PostgresServer() as pg:
        _class(tmp, name, n)
        inp = os.path.join(tmp, "in")
        db = lambda label: ["--db-url", pg.create_database(label)]  # noqa: E731
        cl = ["--cluster", redis.url, "--force"]  # --force: never collect an earlier run's results
        empty = {k: _empty_class(os.path.join(tmp, f"empty{k}"), k) for k in (small, large)}
        t_local = _grade(tmp, inp, "local1", "--workers", "1", *db("local1"))
        e_local = {k: _grade(tmp, empty[k], f"elocal{k}", "--workers", "1", *db(f"elocal{k}")) for k in empty}
        workers = _Workers(tmp, redis.url, ["one"])
        try:
            _grade(tmp, empty[small], "warm1", *cl, *db("warm1"))  # its pool boots; the runs below find it warm
            t_one = _grade(tmp, inp, "cluster1", *cl, *db("cluster1"))
            e_cluster = {k: _grade(tmp, empty[k], f"ecluster{k}", *cl, *db(f"ecluster{k}")) for k in empty}
        finally:
            workers.stop()
        workers = _Workers(tmp, redis.url, ["two-a", "two-b"])
        try:
            _grade(tmp, empty[small], "warm2", *cl, *db("warm2"))
            t_two = _grade(tmp, inp, "cluster2", *cl, *db("cluster2"))
        finally:
            workers.stop()
    per_task = ((e_cluster[large] - e_cluster[small]) - (e_local[large] - e_local[small])) / (large - small)
    figures.append(Figure(f"cluster: {n} x {name}, 2 remote workers / 1 (throughput)", t_one / t_two,
                          f"{t_one:.1f} s vs {t_two:.1f} s; scaling efficiency {t_one / t_two / 2:.0%} "
                          f"(1 slot each, coordinator + broker + gradebook on the same 2 cores)",
                          goal="context: 2.0x is perfect scaling"))
    figures.append(Figure(f"cluster: {n} x {name}, local 1 worker / 1 remote worker", t_local / t_one,
                          f"{t_local:.1f} s vs {t_one:.1f} s (same PostgreSQL gradebook, whole command)",
                          goal="context: 1.0x = no cost"))
    figures.append(Figure("cluster: engine cost per task, seconds (cluster - local)", per_task,
                          f"{per_task:.3f} s per task; slope over {small} and {large} empty submissions: local "
                          f"{e_local[small]:.1f} -> "
                          f"{e_local[large]:.1f} s, cluster {e_cluster[small]:.1f} -> {e_cluster[large]:.1f} s",
                          goal="<= 0.1 s per submission", unit="s"))
    return figures


def _best(argv, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        t0 = time.perf_counter()
        subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
        best = min(best, time.perf_counter() - t0)
    return best


def sandbox_startup(repeat: int = 30) -> Figure:
    """What the sandbox itself adds to starting a kernel's process (the kernel's own start-up is not counted)."""
    from autograder.grading.sandbox import launcher
    from autograder.grading.sandbox.limits import Limits

    limits = Limits()
    with tempfile.TemporaryDirectory(prefix="bench-sandbox-") as folder:
        problem = launcher.problem(limits, folder)
        if problem:
            return Figure("grade: sandbox start-up per kernel", float("nan"), f"no sandbox here: {problem}", unit="ms")
        files = launcher.identity_files(folder, launcher.sandbox_uid(0))
        boxed = lambda cmd: launcher.sandbox_argv(limits, launcher.sandbox_uid(0), cmd, files)  # noqa: E731
        true = _best(boxed(["/bin/true"]), repeat) - _best(["/bin/true"], repeat)
        python = [sys.executable, "-S", "-c", "pass"]
        py = _best(boxed(python), repeat) - _best(python, repeat)
    mode = "as root: bwrap + prlimit + setpriv" if launcher.as_root() else "user namespace: bwrap + prlimit"
    return Figure("grade: sandbox start-up per kernel", true * 1e3,
                  f"{mode}, best of {repeat} ({py * 1e3:.1f} ms more for python -S -c pass)", goal="<= 50 ms",
                  unit="ms")


def run(quick: bool = False) -> list[Figure]:
    names = _assignments()
    if not names:
        return [Figure("grading: no assignment source yet", float("nan"))]
    name = names[0]
    n = 8 if quick else 40
    workers = os.cpu_count() or 1
    figures = []
    with tempfile.TemporaryDirectory(prefix="bench-grading-") as tmp:
        students, prep, source = _class(tmp, name, n)
        t_bare, t_ours = float("inf"), float("inf")
        for i in range(1 if quick else 2):  # interleaved, best of each: neither gets the other's warm caches alone
            t_bare = min(t_bare, _ours(tmp, workers, f"course-unisolated{i}", "--no-isolation"))
            t_ours = min(t_ours, _ours(tmp, workers, f"course{i}"))
        t_base = _nbgrader_serial(tmp, name, students)
        bare = _bare_kernel_run(source)
        figures.append(Figure(
            f"grade {n} x {name}: serial nbgrader autograde / ours", t_base / t_ours,
            f"{t_base:.1f} s vs {t_ours:.1f} s ({workers} workers, sandboxed)", goal=">= 4x at 2 workers"))
        figures.append(Figure(
            f"grade {n} x {name}: without sandbox / with (throughput)", t_bare / t_ours,
            f"{t_bare:.1f} s --no-isolation vs {t_ours:.1f} s sandboxed, {workers} workers; "
            f"{(t_ours - t_bare) / n * 1e3:+.0f} ms per submission", goal="context: 1.0x = isolation costs nothing"))
        figures.append(sandbox_startup(10 if quick else 30))
        figures.append(Figure(
            "grade: ours s/submission / bare kernel start+run", (t_ours / n) / bare,
            f"{t_ours / n:.2f} s per submission vs {bare:.2f} s to start a kernel and run the notebook once",
            goal="context: < 1 means faster than one bare run"))
        figures.append(Figure(
            f"grade: {name} submissions per hour per core (capacity)", 3600 * n / (t_ours * workers),
            f"{n} in {t_ours:.1f} s on {workers} cores, whole command", goal="context: plan clusters with it",
            unit="/h"))
    figures += _cluster(quick)
    from benchmarks.personal_grading import figures as personal_figures  # issue 16: with vs without personal numbers
    figures += personal_figures(quick)
    for fig in figures:  # print now too: the large run below takes a while
        sys.stderr.write(fig.line() + "\n")
    per_assignment = int(os.environ.get("BENCH_GRADING_LARGE", "200"))
    if not quick and per_assignment > 0:  # (BENCH_GRADING_LARGE=0: not this long run)
        with tempfile.TemporaryDirectory(prefix="bench-grading-large-") as tmp:
            total = 0
            for assignment in names:
                _class(tmp, assignment, per_assignment)
                total += per_assignment
            t_large = _ours(tmp, workers)
            with open(os.path.join(tmp, "course", "reports", "grades.csv"), newline="") as f:
                rows = list(csv.DictReader(f))
            failed = sum(r["status"] != "graded" for r in rows)
            figures.append(Figure(
                f"large class: {total} submissions ({len(names)} assignments), students/s", len(rows) / t_large,
                f"{t_large:.0f} s in one run, {failed} failed (of {len(rows)})", goal="0 failed"))
    return figures
