"""What the student edition must never hold, and a scan that finds it (used by ``tests/test_edition.py``).

Secret: the answers (the instructor notebooks' solution regions, and the reference package's functions an
assignment asks students to write), the hidden tests, the hidden cases' generators and values, and imports of
``solutions`` / ``autograder`` in code a student runs. :func:`leaks` reports every occurrence in a set of files.
"""
from __future__ import annotations

import ast
import base64
import functools
import html
import re
import textwrap

import nbformat
import numpy as np

from autograder import nbcells
from autograder.authoring import release
from autograder.authoring.cases import CASES_CALL, cases_in

ROOT = nbcells.REPO_ROOT
NAMES = release.ASSIGNMENTS


def _text(name: str, data: bytes) -> str:
    """What a file says: notebooks as their cells' sources and text outputs, HTML without its tags."""
    text = data.decode("utf-8", errors="ignore")
    if name.endswith(".ipynb"):
        nb = nbformat.reads(text, as_version=4)
        parts = [c.source for c in nb.cells]
        parts += [str(o.get("text", "")) + str(o.get("data", {}).get("text/plain", "")) + str(o.get("evalue", ""))
                  for c in nb.cells if c.cell_type == "code" for o in c.outputs]
        return "\n".join(parts)
    if name.endswith((".html", ".htm")):
        return html.unescape(re.sub(r"<[^>]+>", "", text))
    return text


def instructor(name):
    return nbformat.read(nbcells.SOURCE_DIR / name / f"{name}.ipynb", as_version=4)


def _regions(source: str, begin: str, end: str) -> list[str]:
    return re.findall(re.escape(begin) + r"(.*?)" + re.escape(end), source, flags=re.S)


@functools.lru_cache(maxsize=None)
def _asked_functions() -> frozenset[str]:
    """Names of the functions and methods the assignments ask students to write (defined in answer regions)."""
    return frozenset(name for n in NAMES for cell in instructor(n).cells if cell.cell_type == "code"
                     and nbcells.SOLUTION_BEGIN in cell.source for name in re.findall(r"^\s*def\s+(\w+)", cell.source, re.M))


def _reference_functions(asked: bool) -> list[str]:
    """Lines of the reference package's functions that are (or are not) answers to an assignment."""
    out = []
    for path in sorted((ROOT / "solutions").glob("*.py")):
        source = path.read_text(encoding="utf-8")
        lines = source.splitlines()
        for node in ast.walk(ast.parse(source)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and (node.name in _asked_functions()) == asked:
                out += _code_lines(textwrap.dedent("\n".join(lines[node.lineno - 1:node.end_lineno])))
    return out


@functools.lru_cache(maxsize=None)
def instructor_public_text(names: tuple = tuple(NAMES)) -> str:
    """The instructor notebooks with solution and hidden regions cut out (given code, visible tests, prose): a
    solution line that also occurs in it is no leak."""
    public = []
    for name in names:
        for cell in instructor(name).cells:
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
                continue
            src = cell.source
            for begin, end in ((nbcells.SOLUTION_BEGIN, nbcells.SOLUTION_END), (nbcells.HIDDEN_BEGIN, nbcells.HIDDEN_END)):
                src = re.sub(re.escape(begin) + r".*?" + re.escape(end), "", src, flags=re.S)
            public.append(src)
    return "\n".join(public)


@functools.lru_cache(maxsize=None)
def _public_text() -> str:
    """What every student may see: the instructor notebooks without solution and hidden regions, the course
    kit's sources, the book's chapters, and the reference code of what no assignment asks for (the book may show
    it; a line it shares with an answer, such as an operation's ``out._backward = _backward``, gives nothing away)."""
    public = [line.strip() for line in _reference_functions(asked=False)]
    public.append(instructor_public_text())
    public += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "course").rglob("*.py"))]
    public += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "book").glob("*.md"))]
    return "\n".join(public)


def _code_lines(source: str) -> list[str]:
    """The lines of a Python module without its docstrings (prose is not code)."""
    docs = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)) and node.body:
            first = node.body[0]
            if isinstance(first, ast.Expr) and isinstance(getattr(first, "value", None), ast.Constant) \
                    and isinstance(first.value.value, str):
                docs.update(range(first.lineno, first.end_lineno + 1))
    return [line for i, line in enumerate(source.splitlines(), 1) if i not in docs]


def _distinctive(lines, public: str, min_len: int) -> set[str]:
    """Lines long and specific enough that finding one means a leak (not a comment, not public anyway)."""
    return {s for s in (line.strip() for line in lines) if len(s) >= min_len and not s.startswith("#") and s not in public}


@functools.lru_cache(maxsize=None)
def secret_lines() -> dict[str, set[str]]:
    """kind -> distinctive lines: the answers, the hidden tests and the hidden cases' generators.

    The answers are the solution regions of the instructor notebooks, and the reference package's functions that
    bear the name of a function an assignment asks for (``backward``, ``topological_order``, ...): shown in any
    wording they answer the question. The rest of ``solutions/`` (a formula the book explains with its code, a
    plotting helper) is not an answer to anything.
    """
    public = _public_text()
    solution, hidden = [], []
    for name in NAMES:
        for cell in instructor(name).cells:
            if cell.cell_type == "markdown" and cell.metadata.get("nbgrader", {}).get("solution"):
                solution += cell.source.splitlines()
            else:
                solution += "\n".join(_regions(cell.source, nbcells.SOLUTION_BEGIN, nbcells.SOLUTION_END)).splitlines()
                hidden += "\n".join(_regions(cell.source, nbcells.HIDDEN_BEGIN, nbcells.HIDDEN_END)).splitlines()
    reference = _reference_functions(asked=True)
    cases = [line for p in sorted(nbcells.CASES_DIR.glob("*.py")) for line in _code_lines(p.read_text(encoding="utf-8"))]
    return {"solution region": _distinctive(solution, public, 16), "hidden test": _distinctive(hidden, public, 16),
            "reference package": _distinctive(reference, public, 24), "hidden-case generator": _distinctive(cases, public, 24)}


def _significant_digits(token: str) -> int:
    mantissa = token.lower().lstrip("+-").split("e")[0].replace(".", "").lstrip("0")
    return len(mantissa)


MIN_DIGITS = 10
NUMBER = re.compile(r"[-+]?\d*\.\d+(?:[eE][-+]?\d+)?|[-+]?\d+\.\d*(?:[eE][-+]?\d+)?")
LONG_NUMBER = re.compile(r"[-+]?(?=[\d.]{%d})\d*\.\d+(?:[eE][-+]?\d+)?" % (MIN_DIGITS + 1))   # a decimal point, >= 10 digits


@functools.lru_cache(maxsize=None)
def hidden_values() -> np.ndarray:
    """Every float of the hidden cases (inputs and the reference's outputs) written with at least ``MIN_DIGITS``
    significant digits, except values also printed in the public text (e.g. in a visible test).

    Why ten digits: a leak copies values (repr, JSON, a pickle, a full-precision print), and at ten digits a
    chance match between the few thousand hidden values and the book's numbers is about 1e-3 for the whole
    book; below that, textbook values collide for real -- softmax([1, 2, 3]) = 0.09003057, 0.24472847,
    0.66524096 is both a hidden expected value (scores -1e4, -1e4+1, -1e4+2) and a number chapter 3 prints.
    Short decimals (the inputs rounded to 4 places, 0.5, 1e-12) are no evidence at all and are skipped.
    """
    values = []

    def walk(obj):
        if isinstance(obj, dict):
            for v in obj.values():
                walk(v)
        elif isinstance(obj, (list, tuple)):
            for v in obj:
                walk(v)
        elif isinstance(obj, np.ndarray) and obj.dtype.kind == "f":
            values.extend(obj.ravel().tolist())
        elif isinstance(obj, float):
            values.append(obj)

    for name in NAMES:
        for cell in instructor(name).cells:
            walk(cases_in(cell.source)[1])
    public = {float(t) for t in NUMBER.findall(_public_text()) if _significant_digits(t) >= MIN_DIGITS}
    keep = {v for v in values if np.isfinite(v) and _significant_digits(repr(v)) >= MIN_DIGITS and v not in public}
    return np.array(sorted(keep), dtype=np.float64)


def _value_leaks(contents: dict[str, bytes], hidden: np.ndarray) -> list[str]:
    """Where a hidden value occurs: as a decimal of >= MIN_DIGITS significant digits (to its precision), as raw
    float64 bytes at any offset, or as such bytes inside base64 text."""
    formatted = {d: {f"{v:.{d - 1}e}" for v in hidden} for d in range(MIN_DIGITS, 18)}
    as_ints = np.unique(hidden.view(np.uint64))
    found = []

    def raw(name, data: bytes):
        for offset in range(8):
            n = (len(data) - offset) // 8
            if n > 0:
                words = np.frombuffer(data, dtype=np.uint64, count=n, offset=offset)
                hits = words[as_ints[np.minimum(np.searchsorted(as_ints, words), len(as_ints) - 1)] == words]
                found.extend(f"{name}: float64 bytes of {v!r}" for v in hits[:3].view(np.float64))

    for name, data in contents.items():
        raw(name, data)
        text = data.decode("utf-8", errors="ignore")
        for token in LONG_NUMBER.findall(text):
            digits = min(_significant_digits(token), 17)
            if digits >= MIN_DIGITS and f"{float(token):.{digits - 1}e}" in formatted[digits]:
                found.append(f"{name}: {token}")
        decoded = []   # every run of base64 text, decoded from each of its 4 possible starts
        for run in re.findall(r"[A-Za-z0-9+/]{24,}", text):
            for skip in range(4):
                chunk = run[skip:]
                decoded.append(base64.b64decode(chunk[:len(chunk) - len(chunk) % 4]))
        if decoded:
            raw(f"{name} (base64)", b"\0" * 8 + (b"\0" * 8).join(decoded))
    return found


def _imports(source: str, packages=("solutions", "autograder")) -> list[str]:
    """Import statements (or __import__ / import_module calls) of ``packages`` in Python ``source``."""
    try:
        tree = ast.parse(source)
    except SyntaxError:   # IPython magics: a line scan
        return re.findall(rf"^\s*(?:from|import)\s+(?:{'|'.join(packages)})\b.*$", source, flags=re.M)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name.split(".")[0] in packages]
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] in packages:
            found.append(f"from {node.module}")
        elif isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", None)) in (
                "__import__", "import_module") and node.args and isinstance(node.args[0], ast.Constant) \
                and str(node.args[0].value).split(".")[0] in packages:
            found.append(ast.unparse(node))
    return found


def leaks(contents: dict[str, bytes], secrets=None, hidden=None) -> list[str]:
    """Everything secret found in ``contents``: answer, hidden-test or generator lines, markers, hidden values,
    instructor paths, and imports of the instructor packages in code a student runs."""
    secrets = secret_lines() if secrets is None else secrets
    found = []
    for name, data in contents.items():
        path = name.split(":", 1)[-1]
        if {"solutions", "autograder", "hidden_cases", "tests"} & set(path.split("/")):
            found.append(f"{name}: instructor path")
        text = _text(name, data)
        text_lines = {line.strip() for line in text.splitlines()}   # copied code keeps its lines
        for kind, lines in secrets.items():
            found += [f"{name}: {kind} line {line!r}" for line in sorted(lines & text_lines)]
        markers = [nbcells.HIDDEN_BEGIN, nbcells.SOLUTION_BEGIN, "hidden_cases(", "BEGIN MARK SCHEME"]
        if path.endswith(".ipynb"):   # checks.py defines the decoder; notebooks must not call it
            markers += ["__ndarray__", CASES_CALL]
        found += [f"{name}: marker {m!r}" for m in markers if m in text]
        # code the student runs; the book's pages show, not run, the code that computed their figures
        if path.endswith(".py"):
            found += [f"{name}: imports {i}" for i in _imports(text)]
        elif path.endswith(".ipynb") and not path.startswith("book/"):
            for cell in nbformat.reads(data.decode("utf-8"), as_version=4).cells:
                if cell.cell_type == "code":
                    found += [f"{name}: imports {i}" for i in _imports(cell.source)]
    found += _value_leaks(contents, hidden_values() if hidden is None else hidden)
    return found
