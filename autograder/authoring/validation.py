"""Validation of a release: nbgrader's own :class:`~nbgrader.validator.Validator` runs each notebook in a kernel
whose environment has no ``PYTHONPATH`` (so ``solutions`` is not importable, as when grading), in a scratch
folder, its kernel talking over Unix sockets (:mod:`autograder.kernels`):

* the instructor notebook: every cell runs without error and every graded test passes;
* the blank student version *with the hidden tests put back* (what the autograder runs for a student who
  submits it untouched): no graded test passes (``validate --invert``).
"""
from __future__ import annotations

import contextlib
import os
import re
import shutil
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ..kernels import ipc_config
from ..nbcells import grade_id, is_graded, is_graded_test, nbgrader_config, quiet_nbgrader_logs
from . import ReleaseError


@dataclass
class Validation:
    """What the validator found for one assignment."""

    name: str
    graded_cells: list[str]
    reference_failures: list[dict] = field(default_factory=list)  # graded/other cells failing with the answers
    blank_passes: list[str] = field(default_factory=list)         # test cells a blank submission passes
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.reference_failures and not self.blank_passes

    def report(self) -> str:
        lines = [f"{self.name}: {len(self.graded_cells)} autograded cells, validated in {self.seconds:.1f} s"]
        for f in self.reference_failures:
            lines.append(f"  REFERENCE FAILS:\n    {f['source'].splitlines()[0] if f['source'] else ''}\n    "
                         + f["error"].strip().replace("\n", "\n    "))
        for first_line in self.blank_passes:
            lines.append(f"  BLANK PASSES (the test cannot fail for an empty answer): {first_line}")
        return "\n".join(lines)


@contextlib.contextmanager
def grading_environment():
    """The kernel's environment as when grading: no PYTHONPATH (``solutions`` unreachable)."""
    saved = {k: os.environ.pop(k) for k in ("PYTHONPATH",) if k in os.environ}
    os.environ.setdefault("MPLBACKEND", "Agg")
    try:
        yield
    finally:
        os.environ.update(saved)


def autograde_view(student_text: str, instructor_text: str) -> str:
    """The student notebook with every graded test cell's source replaced by the instructor's
    (hidden tests included): what nbgrader's autograde runs for this submission."""
    import nbformat

    student = nbformat.reads(student_text, as_version=4)
    instructor = nbformat.reads(instructor_text, as_version=4)
    tests = {grade_id(c): c.source for c in instructor.cells if is_graded_test(c)}
    for cell in student.cells:
        if grade_id(cell) in tests:
            cell.source = tests[grade_id(cell)]
    return nbformat.writes(student)


def run_validator(path: Path, timeout: int, invert: bool) -> dict:
    from nbgrader.validator import Validator

    cfg = nbgrader_config(path.parent, timeout=timeout)
    cfg.Validator.invert = invert
    cfg.Validator.ignore_checksums = True
    cfg.Validator.validate_all = not invert
    with ipc_config(cfg):  # Unix sockets: no TCP port to lose under load, no IPKernelApp warning
        validator = Validator(config=cfg)
        validator.log.setLevel("ERROR")
        return validator.validate(str(path))


def validate(name: str, instructor_text: str, student_text: str, timeout: int = 60, data_files=None) -> Validation:
    """Run the reference (instructor) notebook and the blank student version through nbgrader's Validator
    (``data_files``: {relative path: source path} copied next to each notebook)."""
    import nbformat

    start = time.perf_counter()
    instructor = nbformat.reads(instructor_text, as_version=4)
    graded = [grade_id(c) for c in instructor.cells if is_graded(c) and c.cell_type == "code"]
    report = Validation(name, graded)
    with tempfile.TemporaryDirectory(prefix=f"validate-{name}-") as tmp, grading_environment(), quiet_nbgrader_logs():
        for kind, text, invert in (("reference", instructor_text, False),
                                   ("blank", autograde_view(student_text, instructor_text), True)):
            folder = Path(tmp) / kind
            folder.mkdir()
            for rel, source in (data_files or {}).items():
                (folder / rel).parent.mkdir(parents=True, exist_ok=True)
                shutil.copy(source, folder / rel)
            path = folder / f"{name}.ipynb"
            path.write_text(text, encoding="utf-8")
            results = run_validator(path, timeout, invert)
            if "type_changed" in results or "changed" in results:
                raise ReleaseError(f"{name}: nbgrader validator reports changed cells: {results}")
            if invert:
                report.blank_passes = [r["source"].splitlines()[0] for r in results.get("passed", [])]
            else:
                report.reference_failures = [{"source": r["source"][:400],
                                              "error": re.sub(r"\x1b\[[0-9;]*m", "", r["raw_error"])[-2000:]}
                                             for r in results.get("failed", [])]
    report.seconds = time.perf_counter() - start
    return report
