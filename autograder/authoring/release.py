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
exact float64 data (:mod:`.cases`). Only the instructor notebook carries them; nbgrader strips the
hidden region from the student version, and no graded notebook imports ``solutions``.

Validation (:mod:`.validation`): the instructor notebook passes every test, the blank student version with
the hidden tests put back passes none. It runs for every assignment whose notebooks a fresh generation
changes, before anything is written; an assignment whose committed notebooks already equal a fresh
generation has nothing to release and is not run in kernels, because what is committed was validated when
it was released and ``make test`` validates every assignment again (``python -m autograder preflight``
checks a grading environment) -- so ``make book`` in a fresh clone starts no kernel for the release.
``--validate`` validates every named assignment all the same, ``--force`` also ignores the stamp below,
``--no-validate`` validates nothing.

Incremental: a release whose inputs (sources, hidden-case modules, the ``solutions`` package, the
nbgrader config, the release code itself) hash as at the last release here (``--validate``: the last
validated one), and whose generated files are still as written then, does nothing, not even the
generation in memory (:mod:`.stamp`).

``--check`` regenerates everything in memory and fails, listing the files, if the committed
files differ from a fresh generation (no kernels; a few seconds).

Secrecy while grading, and its limits. The grading kernel can neither import nor read the answers:
``solutions`` (and ``autograder``) are not installed, and the grading sandbox
(``autograder/grading/sandbox/launcher.py``) does not contain the repository; ``nbgrader_config.py``
ignores ``*.md`` so nbgrader copies no instructor file next to the student's notebook. The reference outputs exist only inside the hidden test regions
of the instructor notebook (restored by the grader), so they enter the kernel's memory only when
a hidden cell runs, after every student cell. Limits: (1) a student function *called by* a
hidden test runs in the same process and can read the caller's frame (``sys._getframe(1)``), the
cell's source (IPython's ``In``) or monkeypatch numpy / :mod:`course.assignments.checks` so that
comparisons pass -- :mod:`autograder.grading.sandbox.guard` undoes or catches the common forms of the
latter, but no in-kernel scheme prevents all of it; only running student code in a separate
process would; (2) with ``grade --no-isolation`` the kernel can read any file the grading user can,
including this repository by its absolute path; (3) failure messages show the first failing case's
input and expected value (by design), and the seeds are fixed, so the same cases recur every term
unless the seeds in ``autograder/hidden_cases`` are changed.

Clear errors (:class:`ReleaseError`) for a malformed source: unknown placeholder, a placeholder
outside a hidden region, a test cell without a docstring, duplicate ``grade_id``, a graded
cell without points, a solution cell without a solution region.
"""
from __future__ import annotations

import argparse
import re
import sys
import tempfile
from pathlib import Path

from ..nbcells import (CASES_DIR, DEFAULT_COURSE_DIR, HIDDEN_BEGIN, HIDDEN_END, RELEASE_DIR, REPO_ROOT, SOLUTION_BEGIN, SOLUTION_END,
                       SOURCE_DIR, is_answer, is_graded, is_graded_test, nbgrader_config, notebook_text,
                       quiet_nbgrader_logs)
from . import ReleaseError, shown
from .cases import PLACEHOLDER, cases_in, fill_placeholders, load_cases_module, unused_case_functions
from .stamp import Stamp, inputs_digest, shared_digest
from .validation import validate
from ..personal.cases import fill_personal

#: the assignments, in course order; each is ``source/NAME/NAME.md`` -> ``course/assignments/NAME/NAME.ipynb``
ASSIGNMENTS = ("01_perceptron", "02_xor_forward", "03_activations", "04_backprop", "05_training", "06_autograd", "07_digits")

#: files (besides the notebook) a student version needs, per assignment, relative to its source folder
DATA_FILES: dict[str, tuple[str, ...]] = {}

NBGRADER_DEFAULTS = {"grade": False, "locked": False, "schema_version": 3, "solution": False, "task": False}
KERNELSPEC = {"display_name": "Python 3 (ipykernel)", "language": "python", "name": "python3"}
LANGUAGE_INFO = {"name": "python", "pygments_lexer": "ipython3"}


# --------------------------------------------------------------------------- instructor notebook
def check_cell(cell, where: str, seen_ids: set) -> None:
    """Raise :class:`ReleaseError` for a malformed nbgrader cell of a source."""
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
    if is_graded(cell) and not (isinstance(meta.get("points"), (int, float)) and meta["points"] > 0):
        raise ReleaseError(f"{where} ({gid}): a graded cell needs points > 0, got {meta.get('points')!r}")
    if not is_graded(cell) and "points" in meta:
        raise ReleaseError(f"{where} ({gid}): points given but grade is false")
    is_test = is_graded_test(cell)
    if is_test:
        if cell.cell_type != "code":
            raise ReleaseError(f"{where} ({gid}): an autograded test must be a code cell")
        if not re.match(r'\s*(r?"""|#)', src):
            raise ReleaseError(f"{where} ({gid}): a test cell must start with a docstring or comment "
                               f"saying what it checks")
    if is_answer(cell) and cell.cell_type == "code" and SOLUTION_BEGIN not in src:
        raise ReleaseError(f"{where} ({gid}): a solution cell needs a '{SOLUTION_BEGIN}' region")
    if src.count(SOLUTION_BEGIN) != src.count(SOLUTION_END) or src.count(HIDDEN_BEGIN) != src.count(HIDDEN_END):
        raise ReleaseError(f"{where} ({gid}): unbalanced BEGIN/END markers")
    if HIDDEN_BEGIN in src and not is_test:
        raise ReleaseError(f"{where} ({gid}): hidden tests are only allowed in autograded test cells")


def build_instructor_notebook(name: str, source_dir: Path = SOURCE_DIR, cases_dir: Path = CASES_DIR):
    """The nbgrader source notebook of assignment ``name``, built from its MyST text source."""
    import jupytext
    import nbformat

    md = Path(source_dir) / name / f"{name}.md"
    if not md.exists():
        raise ReleaseError(f"missing source {shown(md)} (known assignments: {', '.join(ASSIGNMENTS)})")
    try:
        nb = jupytext.read(md, fmt="md:myst")
    except Exception as exc:  # jupytext raises assorted errors for broken MyST
        raise ReleaseError(f"{shown(md)}: cannot be read as a MyST notebook: {exc}") from exc
    cases_module = load_cases_module(name, cases_dir)
    cache: dict = {}
    seen_ids: set = set()
    n_graded = 0
    out = nbformat.v4.new_notebook()
    out.metadata = {"kernelspec": dict(KERNELSPEC), "language_info": dict(LANGUAGE_INFO)}
    for index, cell in enumerate(nb.cells):
        where = f"{shown(md)} cell {index + 1} ({cell.cell_type})"
        src = cell.source.strip("\n")
        cell.source = src
        check_cell(cell, where, seen_ids)
        meta = cell.metadata.get("nbgrader")
        if meta is not None:
            meta = {**NBGRADER_DEFAULTS, **meta}
            if is_graded_test(cell):
                meta["locked"] = True  # autograded tests are read-only
            n_graded += is_graded(cell)
        src = fill_placeholders(src, where, cases_module, cache, cases_dir)
        src = fill_personal(src, where, name, cases_module, cache)  # personal_cases(): the example's numbers
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
        raise ReleaseError(f"{shown(md)}: no graded cells")
    unused = unused_case_functions(cases_module, cache)
    if unused:
        raise ReleaseError(f"{shown(Path(cases_dir) / (name + '.py'))}: case functions never used by "
                           f"{md.name}: {', '.join(unused)}")
    nbformat.validate(out)
    return out


# --------------------------------------------------------------------------- student notebook
def student_preprocessors():
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
    with quiet_nbgrader_logs():
        for preprocessor in student_preprocessors():
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


# --------------------------------------------------------------------------- write / check
def close_values(a, b, rtol=1e-9, atol=1e-14) -> bool:
    """Equal data, floats up to ``rtol``/``atol`` (arrays: same shape and kind)."""
    import numpy as np

    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(close_values(a[k], b[k], rtol, atol) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(close_values(x, y, rtol, atol) for x, y in zip(a, b))
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
        (src_a, cases_a), (src_b, cases_b) = cases_in(cell_a.source), cases_in(cell_b.source)
        if src_a != src_b or not close_values(cases_a, cases_b):
            return False
    return True


def drift(files: dict[Path, str], root: Path = REPO_ROOT, release_dir: Path = RELEASE_DIR) -> list[str]:
    """Paths (relative to ``root``) whose committed content differs from ``files``, plus stray files in the
    student folders under ``release_dir``.

    Student files must be byte-identical; an instructor notebook may differ only in the last bits of its
    embedded reference values (:func:`same_up_to_rounding`).
    """
    problems = []
    for path, text in files.items():
        if not path.exists():
            problems.append(f"{path.relative_to(root)} (missing)")
        elif path.read_bytes() != text.encode("utf-8"):
            if path.is_relative_to(SOURCE_DIR) and same_up_to_rounding(path.read_text(encoding="utf-8"), text):
                continue
            problems.append(f"{path.relative_to(root)} (differs from a fresh generation)")
    names = {p.parent.name for p in files if p.is_relative_to(release_dir)}
    for name in names:
        for path in sorted((release_dir / name).rglob("*")):
            if path.is_file() and path not in files and "__pycache__" not in path.parts \
                    and ".ipynb_checkpoints" not in path.parts:
                problems.append(f"{path.relative_to(root)} (not produced by the release)")
    return problems


def outdated(path: Path, text: str) -> bool:
    """Does the file at ``path`` differ from its fresh generation ``text``? (An instructor notebook that differs
    only by last-bit rounding does not: it is kept as it is.)"""
    if not path.exists():
        return True
    if path.read_bytes() == text.encode("utf-8"):
        return False
    return not (path.is_relative_to(SOURCE_DIR) and same_up_to_rounding(path.read_text(encoding="utf-8"), text))


def write(files: dict[Path, str]) -> None:
    """Write what changed (see :func:`outdated`)."""
    for path, text in files.items():
        if outdated(path, text):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(text.encode("utf-8"))


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autograder release", description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", metavar="ASSIGNMENT",
                        help=f"assignments to release (default: all of {', '.join(ASSIGNMENTS)})")
    parser.add_argument("--check", action="store_true",
                        help="do not write: fail if the committed files differ from a fresh generation")
    parser.add_argument("--validate", action="store_true",
                        help="validate every named assignment, also those whose committed notebooks equal a fresh "
                             "generation (default: only what is regenerated)")
    parser.add_argument("--no-validate", action="store_true", help="skip running the notebooks")
    parser.add_argument("--timeout", type=int, default=120, help="per-cell timeout in seconds when validating")
    parser.add_argument("--force", action="store_true",
                        help="release and validate even the assignments whose inputs did not change since the last release")
    parser.add_argument("--roster", default=None, metavar="CSV",
                        help="then write one notebook per student of the roster for each personalised assignment, "
                             "with the student's id and personal code typed in, and codes.csv, into "
                             "<course dir>/personal/ (class data, for upload to a learning-management system)")
    parser.add_argument("--course-dir", default=str(DEFAULT_COURSE_DIR),
                        help="with --roster: the class data folder (default: class/, git-ignored)")
    parser.add_argument("--secret", default=None, help="with --roster: the course secret (default: <course dir>/secret)")
    args = parser.parse_args(argv)
    if args.roster and args.check:
        parser.error("--roster writes class data; it cannot be combined with --check")
    rc = release_assignments(args, parser)
    if rc == 0 and args.roster:
        from ..personal.roster import release_per_student

        rc = release_per_student(tuple(args.names) or ASSIGNMENTS, args.roster, args.course_dir, args.secret)
    return rc


def release_assignments(args, parser) -> int:
    """The release proper (``main`` without ``--roster``)."""
    unknown = [n for n in args.names if n not in ASSIGNMENTS]
    if unknown:
        parser.error(f"unknown assignment(s) {', '.join(unknown)}; known: {', '.join(ASSIGNMENTS)}")
    if args.validate and args.no_validate:
        parser.error("--validate and --no-validate contradict each other")
    names = tuple(args.names) or ASSIGNMENTS
    stamp, inputs = Stamp(), {}
    if not args.check:
        shared = shared_digest()
        inputs = {name: inputs_digest(name, shared) for name in names}
        todo = tuple(n for n in names if args.force or not stamp.current(n, inputs[n], validated=args.validate))
        if not todo:
            print(f"release: nothing changed since the last release ({', '.join(names)}; --force to redo)")
            return 0
        names = todo
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
    # What a fresh generation changes; the rest is released already, as committed.
    changed = {name for name in names if any(outdated(path, text) for path, text in files.items() if name in path.parts)}
    if args.no_validate:
        checked = ()
    elif args.validate or args.force:
        checked = names
    else:
        checked = tuple(n for n in names if n in changed)
    failed = False
    for name in checked:
        v = validate(name, files[SOURCE_DIR / name / f"{name}.ipynb"],
                     files[RELEASE_DIR / name / f"{name}.ipynb"], args.timeout,
                     {rel: SOURCE_DIR / name / rel for rel in DATA_FILES.get(name, ())})
        print(v.report())
        failed |= not v.ok
    if failed:
        print("release: error: validation failed; nothing written", file=sys.stderr)
        return 1
    write(files)
    for name in names:
        stamp.record(name, inputs[name], [path for path in files if name in path.parts],
                     validated=name in checked or stamp.current(name, inputs[name], validated=True))
    stamp.save()
    unchanged = [n for n in names if n not in changed]
    if changed:
        print(f"release: regenerated {', '.join(n for n in names if n in changed)}")
    if unchanged:
        print(f"release: {', '.join(unchanged)}: the committed notebooks equal a fresh generation, nothing to write"
              + ("" if set(unchanged) <= set(checked) else " (not run in kernels: `make test` validates every "
                                                            "assignment; --validate to validate here)"))
    return 0
