"""Personalisation's cost when grading (issue 16): part of ``python -m benchmarks --only grading``.

The same class of ``04_backprop`` (synthetic students cycling correct / blank / partial / each question wrong,
each with their own id and personal code typed in) graded by ``python -m autograder grade`` twice, with a fresh
course folder each time: with personalisation (each student's instructor version made and used, every result
reviewed for copies) and with ``--no-personal`` (everyone on the example numbers). Runs alternate, best of
``repeat``; ratio = seconds without / seconds with (goal: >= 0.91, i.e. within 10%). The detail also gives the
cost of one student's instructor version (references, cell sources, gradebook copy), cold, in milliseconds.
"""
from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time

import nbformat

from benchmarks import Figure

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAME = "04_backprop"


def _write_class(tmp: str, n: int, secret_file: str):
    from autograder import nbcells, synthetic
    from autograder.grading import coursedir
    from autograder.personal.cases import fill_identity
    from autograder.personal.secret import load_secret, student_code

    secret = load_secret(secret_file, err=open(os.devnull, "w"))
    prep = coursedir.prepare_assignment(os.path.join(tmp, "prep"), NAME, nbcells.sqlite_url(os.path.join(tmp, "p.db")))
    release = nbformat.read(prep.release_path, as_version=4)
    source = nbformat.read(os.path.join(prep.source_dir, f"{NAME}.ipynb"), as_version=4)
    variants = list(synthetic.variants(release, source).values())
    students = {}
    for i in range(n):
        student = f"s{i:04d}"
        students[student] = fill_identity(variants[i % len(variants)], student, student_code(secret, student))
    synthetic.write_class(os.path.join(tmp, "in"), NAME, students)
    return secret, prep


def _grade(tmp: str, course: str, secret_file: str, personal: bool) -> float:
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg")
    cmd = [sys.executable, "-m", "autograder", "grade", os.path.join(tmp, "in"), "--course-dir", course,
           "--workers", str(os.cpu_count() or 1), "--skip-preflight", "--secret", secret_file]
    t0 = time.perf_counter()
    subprocess.run(cmd + ([] if personal else ["--no-personal"]), cwd=ROOT, env=env, check=True, capture_output=True,
                   timeout=7200)
    return time.perf_counter() - t0


def _version_ms(tmp: str, secret: bytes, prep, n: int) -> float:
    from autograder.grading.coursedir import load_source_notebook
    from autograder.personal.versions import AssignmentPersonal

    versions = AssignmentPersonal.of(NAME, load_source_notebook(NAME), secret)
    folder = os.path.join(tmp, "versions")
    versions.gradebook(prep.template_db, "warm-up", folder)  # imports and the template's hash
    t0 = time.perf_counter()
    for i in range(n):
        versions.gradebook(prep.template_db, f"v{i:04d}", folder)
    return (time.perf_counter() - t0) / n * 1000


def figures(quick: bool = False) -> list[Figure]:
    n, repeat = (8, 1) if quick else (40, 2)
    with tempfile.TemporaryDirectory(prefix="bench-personal-") as tmp:
        secret_file = os.path.join(tmp, "secret")
        secret, prep = _write_class(tmp, n, secret_file)
        with_, without = [], []
        for k in range(repeat):
            without.append(_grade(tmp, os.path.join(tmp, f"plain-{k}"), secret_file, personal=False))
            with_.append(_grade(tmp, os.path.join(tmp, f"personal-{k}"), secret_file, personal=True))
        version_ms = _version_ms(tmp, secret, prep, 200)
    t_with, t_without = min(with_), min(without)
    return [Figure(f"grade {n} x {NAME}: without / with personal numbers", t_without / t_with,
                   f"{t_with:.1f} s with vs {t_without:.1f} s without (best of {repeat}); one student's instructor "
                   f"version {version_ms:.1f} ms", goal=">= 0.91 (within 10%)")]
