r"""``python -m autograder release``: validate the assignment sources and regenerate the student versions.

Pipeline, per assignment ``NAME`` (see :data:`ASSIGNMENTS`)::

    autograder/source/NAME/NAME.md          MyST text, the source of truth: prose, solution regions,
    (instructor, hand-written)              visible tests, hidden tests with case placeholders
            |   + autograder/hidden_cases/NAME.py   seeded inputs and the reference package's outputs
            v
    autograder/source/NAME/NAME.ipynb       the instructor (nbgrader "source") notebook: hidden cases
    (generated, committed)                  embedded as literals in the hidden test regions
            |   nbgrader generate_assignment (its API, in a scratch course directory)
            v
    course/assignments/NAME/NAME.ipynb      the student version: no solutions, no hidden tests
    (generated, committed)

Hidden cases. A hidden test region names its cases with a placeholder call,
``hidden_cases("predict_random")``; the release evaluates the function of that name in
``autograder/hidden_cases/NAME.py`` (which may import :mod:`solutions`) and replaces the call by
``_checks.decode_cases("...")`` holding the cases (inputs *and* the reference's outputs) as
exact float64 data. Only the instructor notebook carries them; nbgrader strips the hidden
region from the student version, and no graded notebook imports ``solutions``.

Validation (skipped with ``--no-validate``), each notebook executed by nbgrader's own
:class:`~nbgrader.validator.Validator` in a kernel whose environment has no ``PYTHONPATH``
(so ``solutions`` is not importable, as when grading), in a scratch folder:

* the instructor notebook: every cell runs without error and every graded test passes;
* the blank student version *with the hidden tests put back* (what the autograder runs for a
  student who submits it untouched): no graded test passes (``validate --invert``).

``--check`` regenerates everything in memory and fails, listing the files, if the committed
files differ from a fresh generation (no kernels; a few seconds).

Secrecy while grading, and its limits. The grading kernel cannot *import* the answers:
``solutions`` (and ``autograder``) are not installed and the kernel runs without ``PYTHONPATH``
in a scratch folder; ``nbgrader_config.py`` ignores ``*.md`` so nbgrader copies no instructor file
next to the student's notebook. The reference outputs exist only inside the hidden test regions
of the instructor notebook (restored by the grader), so they enter the kernel's memory only when
a hidden cell runs, after every student cell. Limits: (1) a student function *called by* a
hidden test runs in the same process and can read the caller's frame (``sys._getframe(1)``), the
cell's source (IPython's ``In``) or monkeypatch numpy / :mod:`course.assignments.checks` so that
comparisons pass -- :mod:`autograder.kernel_guard` undoes or catches the common forms of the
latter, but no in-kernel scheme prevents all of it; only running student code in a separate
process would; (2) where the grader gets no namespaces (see ``autograder/kernel_launcher.py``),
the kernel can read any file the grading user can, including this repository by its absolute
path; (3) failure messages
show the first failing case's input and expected value (by design), and the seeds are fixed, so
the same cases recur every term unless the seeds in ``autograder/hidden_cases`` are changed.

Clear errors (:class:`ReleaseError`) for a malformed source: unknown placeholder, a placeholder
outside a hidden region, a test cell without a docstring, duplicate ``grade_id``, a graded
cell without points, a solution cell without a solution region.
"""
from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import os
import re
import shutil
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SOURCE_DIR = ROOT / "autograder" / "source"
CASES_DIR = ROOT / "autograder" / "hidden_cases"
RELEASE_DIR = ROOT / "course" / "assignments"
CONFIG_FILE = ROOT / "autograder" / "nbgrader_config.py"

#: the assignments, in course order; each is ``source/NAME/NAME.md`` -> ``course/assignments/NAME/NAME.ipynb``
ASSIGNMENTS = ("01_perceptron", "02_xor_forward", "03_activations", "04_backprop", "05_training", "06_autograd", "07_digits")

#: files (besides the notebook) a student version needs, per assignment, relative to its source folder
DATA_FILES: dict[str, tuple[str, ...]] = {}

PLACEHOLDER = re.compile(r"""hidden_cases\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\)""")
CASES_CALL = "_checks.decode_cases"
HIDDEN_BEGIN, HIDDEN_END = "### BEGIN HIDDEN TESTS", "### END HIDDEN TESTS"
SOLUTION_BEGIN, SOLUTION_END = "### BEGIN SOLUTION", "### END SOLUTION"

NBGRADER_DEFAULTS = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False}
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}


class ReleaseError(Exception):
    """A source cannot be released; the message says which file, which cell and what is wrong."""


# --------------------------------------------------------------------------- instructor notebook
def _load_cases_module(name: str):
    path = CASES_DIR / f"{name}.py"
    if not path.exists():
        return None
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))  # `solutions` is importable from the repository root only
    spec = importlib.util.spec_from_file_location(f"autograder_hidden_cases_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _wrap_literal(text: str, indent: str, width: int = 96) -> str:
    """``text`` as a parenthesised sequence of string literals, ``width`` characters each."""
    pieces = [text[i:i + width] for i in range(0, len(text), width)] or [""]
    body = "".join(f"\n{indent}    {json.dumps(p)}" for p in pieces)
    return f"{CASES_CALL}({body}\n{indent})"


def _hidden_spans(source: str) -> list[tuple[int, int]]:
    spans, start = [], None
    for m in re.finditer(re.escape(HIDDEN_BEGIN) + "|" + re.escape(HIDDEN_END), source):
        if m.group() == HIDDEN_BEGIN:
            start = m.start()
        elif start is not None:
            spans.append((start, m.end()))
            start = None
    return spans


def _fill_placeholders(source: str, where: str, cases_module, cache: dict) -> str:
    spans = _hidden_spans(source)

    def replace(m):
        if not any(a <= m.start() < b for a, b in spans):
            raise ReleaseError(f"{where}: hidden_cases({m.group(1)!r}) outside a "
                               f"'{HIDDEN_BEGIN}' region would leak the answers into the student version")
        case_name = m.group(1)
        if cases_module is None or not callable(getattr(cases_module, case_name, None)):
            known = sorted(n for n in dir(cases_module) if not n.startswith("_")
                           and callable(getattr(cases_module, n))) if cases_module else []
            raise ReleaseError(f"{where}: hidden_cases({case_name!r}) has no function {case_name!r} in "
                               f"{CASES_DIR.relative_to(ROOT)}; known: {', '.join(known) or 'none'}")
        if case_name not in cache:
            from course.assignments.checks import encode_cases
            cache[case_name] = encode_cases(getattr(cases_module, case_name)())
        line_start = source.rfind("\n", 0, m.start()) + 1
        indent = re.match(r"[ \t]*", source[line_start:]).group()
        return _wrap_literal(cache[case_name], indent)

    return PLACEHOLDER.sub(replace, source)


def _check_cell(cell, where: str, seen_ids: set) -> None:
    meta = cell.metadata.get("nbgrader")
    src = cell.source
    if meta is None:
        if SOLUTION_BEGIN in src or HIDDEN_BEGIN in src:
            raise ReleaseError(f"{where}: has a solution/hidden region but no nbgrader metadata")
        return
    gid = meta.get("grade_id")
    if not gid or not re.fullmatch(r"[A-Za-z0-9_-]+", str(gid)):
        raise ReleaseError(f"{where}: nbgrader cell needs a grade_id of letters, digits, '_' or '-', got {gid!r}")
    if gid in seen_ids:
        raise ReleaseError(f"{where}: duplicate grade_id {gid!r}")
    seen_ids.add(gid)
    unknown = set(meta) - set(NBGRADER_DEFAULTS) - {"grade_id", "points"}
    if unknown:
        raise ReleaseError(f"{where} ({gid}): unknown nbgrader keys {sorted(unknown)}")
    if meta.get("grade") and not (isinstance(meta.get("points"), (int, float)) and meta["points"] > 0):
        raise ReleaseError(f"{where} ({gid}): a graded cell needs points > 0, got {meta.get('points')!r}")
    if not meta.get("grade") and "points" in meta:
        raise ReleaseError(f"{where} ({gid}): points given but grade is false")
    is_test = meta.get("grade") and not meta.get("solution")
    if is_test:
        if cell.cell_type != "code":
            raise ReleaseError(f"{where} ({gid}): an autograded test must be a code cell")
        if not re.match(r'\s*(r?"""|#)', src):
            raise ReleaseError(f"{where} ({gid}): a test cell must start with a docstring or comment "
                               f"saying what it checks")
    if meta.get("solution") and cell.cell_type == "code" and SOLUTION_BEGIN not in src:
        raise ReleaseError(f"{where} ({gid}): a solution cell needs a '{SOLUTION_BEGIN}' region")
    if src.count(SOLUTION_BEGIN) != src.count(SOLUTION_END) or src.count(HIDDEN_BEGIN) != src.count(HIDDEN_END):
        raise ReleaseError(f"{where} ({gid}): unbalanced BEGIN/END markers")
    if HIDDEN_BEGIN in src and not is_test:
        raise ReleaseError(f"{where} ({gid}): hidden tests are only allowed in autograded test cells")


def build_instructor_notebook(name: str):
    """The nbgrader source notebook of assignment ``name``, built from its MyST text source."""
    import jupytext
    import nbformat

    md = SOURCE_DIR / name / f"{name}.md"
    if not md.exists():
        raise ReleaseError(f"missing source {md.relative_to(ROOT)} (known assignments: {', '.join(ASSIGNMENTS)})")
    try:
        nb = jupytext.read(md, fmt="md:myst")
    except Exception as exc:  # jupytext raises assorted errors for broken MyST
        raise ReleaseError(f"{md.relative_to(ROOT)}: cannot be read as a MyST notebook: {exc}") from exc
    cases_module = _load_cases_module(name)
    cache: dict = {}
    seen_ids: set = set()
    n_graded = 0
    out = nbformat.v4.new_notebook()
    out.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    for index, cell in enumerate(nb.cells):
        where = f"{md.relative_to(ROOT)} cell {index + 1} ({cell.cell_type})"
        src = cell.source.strip("\n")
        cell.source = src
        _check_cell(cell, where, seen_ids)
        meta = cell.metadata.get("nbgrader")
        if meta is not None:
            meta = {**NBGRADER_DEFAULTS, **meta}
            if meta["grade"] and not meta["solution"]:
                meta["locked"] = True  # autograded tests are read-only
            n_graded += bool(meta["grade"])
        src = _fill_placeholders(src, where, cases_module, cache)
        if PLACEHOLDER.search(src):
            raise ReleaseError(f"{where}: unfilled hidden_cases placeholder")
        cell_id = (meta or {}).get("grade_id") or f"{cell.cell_type[:2]}-{index:03d}"
        if cell.cell_type == "code":
            new = nbformat.v4.new_code_cell(src)
        elif cell.cell_type == "markdown":
            new = nbformat.v4.new_markdown_cell(src)
        else:
            raise ReleaseError(f"{where}: unsupported cell type {cell.cell_type!r}")
        new.id = cell_id
        if meta is not None:
            new.metadata["nbgrader"] = dict(sorted(meta.items()))
        for key in ("tags",):
            if key in cell.metadata:
                new.metadata[key] = list(cell.metadata[key])
        out.cells.append(new)
    if n_graded == 0:
        raise ReleaseError(f"{md.relative_to(ROOT)}: no graded cells")
    unused = _unused_case_functions(cases_module, cache)
    if unused:
        raise ReleaseError(f"{CASES_DIR.relative_to(ROOT) / (name + '.py')}: case functions never used by "
                           f"{md.name}: {', '.join(unused)}")
    nbformat.validate(out)
    return out


def _unused_case_functions(module, used: dict) -> list[str]:
    if module is None:
        return []
    names = getattr(module, "__all__", None)
    if names is None:
        return []
    return sorted(set(names) - set(used))


def notebook_text(nb) -> str:
    """Deterministic JSON text of a notebook (nbformat's layout, trailing newline)."""
    import nbformat

    return nbformat.writes(nb) + "\n"


# --------------------------------------------------------------------------- student notebook
def nbgrader_config(course_dir: Path, timeout: int = 60):
    """An nbgrader :class:`~traitlets.config.Config`: ``autograder/nbgrader_config.py`` plus a scratch course root."""
    from traitlets.config import Config
    from traitlets.config.loader import PyFileConfigLoader

    cfg = PyFileConfigLoader(CONFIG_FILE.name, path=str(CONFIG_FILE.parent)).load_config()
    extra = Config()
    extra.CourseDirectory.root = str(course_dir)
    extra.CourseDirectory.db_url = f"sqlite:///{course_dir / 'gradebook.db'}"
    extra.Execute.timeout = timeout
    cfg.merge(extra)
    return cfg


@contextlib.contextmanager
def _quiet_logs():
    import logging

    loggers = [logging.getLogger(n) for n in ("traitlets", "nbgrader", "NbGraderAPI", "")]
    levels = [lg.level for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.ERROR)
    try:
        yield
    finally:
        for lg, level in zip(loggers, levels):
            lg.setLevel(level)


def _student_preprocessors():
    """nbgrader's ``generate_assignment`` pipeline, in its order, minus ``SaveCells`` (the gradebook
    record, which the grader makes in its own gradebook), ``IncludeHeaderFooter`` (no header) and
    ``InstantiateTests`` (no ``### AUTOTEST`` cells here)."""
    from nbgrader.preprocessors import (CheckCellMetadata, ClearHiddenTests, ClearMarkScheme, ClearOutput,
                                        ClearSolutions, ComputeChecksums, LockCells)

    return [LockCells, ClearSolutions, ClearOutput, CheckCellMetadata, ComputeChecksums,
            ClearHiddenTests, ClearMarkScheme, ComputeChecksums, CheckCellMetadata]


def generate_student_text(name: str, instructor_text: str) -> str:
    """The student version: nbgrader's generate_assignment preprocessors applied in-process (no database)."""
    import nbformat

    nb = nbformat.reads(instructor_text, as_version=4)
    cfg = nbgrader_config(Path(tempfile.gettempdir()) / "unused-course-root")
    resources = {"nbgrader": {"notebook": name, "assignment": name}, "unique_key": name}
    with _quiet_logs():
        for preprocessor in _student_preprocessors():
            try:
                nb, resources = preprocessor(config=cfg).preprocess(nb, resources)
            except Exception as exc:  # nbgrader raises RuntimeError/ValueError for malformed cells
                raise ReleaseError(f"{name}: nbgrader's {preprocessor.__name__} failed: {exc}") from exc
    nb.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    nbformat.validate(nb)
    return notebook_text(nb)


def render(names=ASSIGNMENTS) -> dict[Path, str]:
    """Every generated file (instructor and student notebooks, data files), path -> text. No kernels."""
    files: dict[Path, str] = {}
    for name in names:
        instructor = notebook_text(build_instructor_notebook(name))
        files[SOURCE_DIR / name / f"{name}.ipynb"] = instructor
        files[RELEASE_DIR / name / f"{name}.ipynb"] = generate_student_text(name, instructor)
        for rel in DATA_FILES.get(name, ()):
            files[RELEASE_DIR / name / rel] = (SOURCE_DIR / name / rel).read_text(encoding="utf-8")
    return files


# --------------------------------------------------------------------------- validation
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


@contextlib.contextmanager
def _grading_environment():
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
    tests = {c.metadata["nbgrader"]["grade_id"]: c.source for c in instructor.cells
             if c.metadata.get("nbgrader", {}).get("grade") and not c.metadata["nbgrader"].get("solution")}
    for cell in student.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in tests:
            cell.source = tests[gid]
    return nbformat.writes(student)


def _run_validator(path: Path, timeout: int, invert: bool) -> dict:
    from nbgrader.validator import Validator

    cfg = nbgrader_config(path.parent, timeout)
    cfg.Validator.invert = invert
    cfg.Validator.ignore_checksums = True
    cfg.Validator.validate_all = not invert
    validator = Validator(config=cfg)
    validator.log.setLevel("ERROR")
    return validator.validate(str(path))


def validate(name: str, instructor_text: str, student_text: str, timeout: int = 60) -> Validation:
    """Run the reference (instructor) notebook and the blank student version through nbgrader's Validator."""
    import nbformat

    start = time.perf_counter()
    instructor = nbformat.reads(instructor_text, as_version=4)
    graded = [c.metadata["nbgrader"]["grade_id"] for c in instructor.cells
              if c.metadata.get("nbgrader", {}).get("grade") and c.cell_type == "code"]
    report = Validation(name, graded)
    with tempfile.TemporaryDirectory(prefix=f"validate-{name}-") as tmp, _grading_environment(), _quiet_logs():
        for kind, text, invert in (("reference", instructor_text, False),
                                   ("blank", autograde_view(student_text, instructor_text), True)):
            folder = Path(tmp) / kind
            folder.mkdir()
            for rel in DATA_FILES.get(name, ()):
                shutil.copy(SOURCE_DIR / name / rel, folder / rel)
            path = folder / f"{name}.ipynb"
            path.write_text(text, encoding="utf-8")
            results = _run_validator(path, timeout, invert)
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


def _format_validation(v: Validation) -> str:
    lines = [f"{v.name}: {len(v.graded_cells)} autograded cells, validated in {v.seconds:.1f} s"]
    for f in v.reference_failures:
        lines.append(f"  REFERENCE FAILS:\n    {f['source'].splitlines()[0] if f['source'] else ''}\n    "
                     + f["error"].strip().replace("\n", "\n    "))
    for first_line in v.blank_passes:
        lines.append(f"  BLANK PASSES (the test cannot fail for an empty answer): {first_line}")
    return "\n".join(lines)


# --------------------------------------------------------------------------- write / check
_BLOB = re.compile(re.escape(CASES_CALL) + r"\((?:\s*\"(?:[^\"\\]|\\.)*\")*\s*\)")


def _cases_in(source: str) -> tuple[str, list]:
    """``source`` with every embedded case literal blanked, and the decoded cases in order."""
    import ast

    from course.assignments.checks import decode_cases

    cases = [decode_cases(ast.literal_eval("(" + m.group()[len(CASES_CALL) + 1:])) for m in _BLOB.finditer(source)]
    return _BLOB.sub(CASES_CALL + "(...)", source), cases


def _close(a, b, rtol=1e-9, atol=1e-14) -> bool:
    import numpy as np

    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k], rtol, atol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_close(x, y, rtol, atol) for x, y in zip(a, b))
    if isinstance(a, (np.ndarray, float)) or isinstance(b, (np.ndarray, float)):
        a, b = np.asarray(a), np.asarray(b)
        return a.shape == b.shape and a.dtype.kind == b.dtype.kind and bool(
            np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))
    return a == b


def same_up_to_rounding(committed: str, fresh: str) -> bool:
    """Two instructor notebooks that differ only in the last bits of embedded reference values.

    The hidden cases hold values computed by numpy, whose exp/tanh/matmul kernels may round the last
    bit differently on another CPU; the student versions never contain them and must match exactly.
    """
    import nbformat

    try:
        nb_a, nb_b = nbformat.reads(committed, as_version=4), nbformat.reads(fresh, as_version=4)
    except Exception:  # not even a notebook: certainly different
        return False
    if nb_a.metadata != nb_b.metadata or len(nb_a.cells) != len(nb_b.cells):
        return False
    for cell_a, cell_b in zip(nb_a.cells, nb_b.cells):
        if (cell_a.cell_type, cell_a.get("id"), cell_a.metadata) != (cell_b.cell_type, cell_b.get("id"), cell_b.metadata):
            return False
        (src_a, cases_a), (src_b, cases_b) = _cases_in(cell_a.source), _cases_in(cell_b.source)
        if src_a != src_b or not _close(cases_a, cases_b):
            return False
    return True


def drift(files: dict[Path, str]) -> list[str]:
    """Paths (relative to the repository) whose committed content differs from ``files``, plus stray files.

    Student files must be byte-identical; an instructor notebook may differ only in the last bits of its
    embedded reference values (:func:`same_up_to_rounding`).
    """
    problems = []
    for path, text in files.items():
        if not path.exists():
            problems.append(f"{path.relative_to(ROOT)} (missing)")
        elif path.read_bytes() != text.encode("utf-8"):
            if path.is_relative_to(SOURCE_DIR) and same_up_to_rounding(path.read_text(encoding="utf-8"), text):
                continue
            problems.append(f"{path.relative_to(ROOT)} (differs from a fresh generation)")
    names = {p.parent.name for p in files if p.is_relative_to(RELEASE_DIR)}
    for name in names:
        for path in sorted((RELEASE_DIR / name).rglob("*")):
            if path.is_file() and path not in files and "__pycache__" not in path.parts \
                    and ".ipynb_checkpoints" not in path.parts:
                problems.append(f"{path.relative_to(ROOT)} (not produced by the release)")
    return problems


def write(files: dict[Path, str]) -> None:
    """Write what changed (an instructor notebook that differs only by last-bit rounding is kept as it is)."""
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and (path.read_bytes() == text.encode("utf-8") or (
                path.is_relative_to(SOURCE_DIR) and same_up_to_rounding(path.read_text(encoding="utf-8"), text))):
            continue
        path.write_bytes(text.encode("utf-8"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder release", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="ASSIGNMENT",
                        help=f"assignments to release (default: all of {', '.join(ASSIGNMENTS)})")
    parser.add_argument("--check", action="store_true",
                        help="do not write: fail if the committed files differ from a fresh generation")
    parser.add_argument("--no-validate", action="store_true", help="skip running the notebooks")
    parser.add_argument("--timeout", type=int, default=120, help="per-cell timeout in seconds when validating")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in ASSIGNMENTS]
    if unknown:
        parser.error(f"unknown assignment(s) {', '.join(unknown)}; known: {', '.join(ASSIGNMENTS)}")
    names = tuple(args.names) or ASSIGNMENTS
    try:
        files = render(names)
    except ReleaseError as exc:
        print(f"release: error: {exc}", file=sys.stderr)
        return 1
    if args.check:
        problems = drift(files)
        if problems:
            print("release --check: the committed files drift from a fresh generation "
                  "(run `python -m autograder release`):\n  " + "\n  ".join(problems), file=sys.stderr)
            return 1
        print(f"release --check: {len(files)} generated files match the committed ones")
        return 0
    if not args.no_validate:
        failed = False
        for name in names:
            v = validate(name, files[SOURCE_DIR / name / f"{name}.ipynb"],
                         files[RELEASE_DIR / name / f"{name}.ipynb"], args.timeout)
            print(_format_validation(v))
            failed |= not v.ok
        if failed:
            print("release: error: validation failed; nothing written", file=sys.stderr)
            return 1
    write(files)
    print(f"release: wrote {len(files)} files ({', '.join(names)})")
    return 0
