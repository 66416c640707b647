"""Hidden cases: load ``autograder/hidden_cases/NAME.py``, fill the ``hidden_cases("...")`` placeholders of a
hidden-test region with the cases as literals, and read them back.

A placeholder ``hidden_cases("predict_random")`` inside a ``### BEGIN HIDDEN TESTS`` region becomes
``_checks.decode_cases("...")`` holding the cases (inputs *and* the reference's outputs, exact float64
data, encoded by :func:`course.assignments.checks.encode_cases`) in string literals of a fixed width.
"""
from __future__ import annotations

import ast
import importlib.util
import json
import re
import sys
from pathlib import Path

from ..nbcells import CASES_DIR, HIDDEN_BEGIN, REPO_ROOT, hidden_spans
from . import ReleaseError, shown

PLACEHOLDER = re.compile(r"""hidden_cases\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\)""")
CASES_CALL = "_checks.decode_cases"
#: an embedded case literal, as :func:`wrap_literal` writes it
CASES_LITERAL = re.compile(re.escape(CASES_CALL) + r"\((?:\s*\"(?:[^\"\\]|\\.)*\")*\s*\)")


def load_cases_module(name: str, cases_dir: Path = CASES_DIR):
    """The hidden-case module of assignment ``name`` (it may import ``solutions``), or None."""
    path = Path(cases_dir) / f"{name}.py"
    if not path.exists():
        return None
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))  # `solutions` is importable from the repository root only
    spec = importlib.util.spec_from_file_location(f"autograder_hidden_cases_{name}", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def wrap_literal(text: str, indent: str, width: int = 96) -> str:
    """``text`` as a parenthesised sequence of string literals, ``width`` characters each."""
    pieces = [text[i:i + width] for i in range(0, len(text), width)] or [""]
    body = "".join(f"\n{indent}    {json.dumps(p)}" for p in pieces)
    return f"{CASES_CALL}({body}\n{indent})"


def fill_placeholders(source: str, where: str, cases_module, cache: dict, cases_dir: Path = CASES_DIR) -> str:
    """``source`` with every placeholder replaced by its cases (evaluated once per name, kept in ``cache``)."""
    spans = hidden_spans(source)

    def replace(m):
        if not any(a <= m.start() < b for a, b in spans):
            raise ReleaseError(f"{where}: hidden_cases({m.group(1)!r}) outside a "
                               f"'{HIDDEN_BEGIN}' region would leak the answers into the student version")
        case_name = m.group(1)
        if cases_module is None or not callable(getattr(cases_module, case_name, None)):
            known = sorted(n for n in dir(cases_module) if not n.startswith("_")
                           and callable(getattr(cases_module, n))) if cases_module else []
            raise ReleaseError(f"{where}: hidden_cases({case_name!r}) has no function {case_name!r} in "
                               f"{shown(cases_dir)}; known: {', '.join(known) or 'none'}")
        if case_name not in cache:
            from course.assignments.checks import encode_cases
            cache[case_name] = encode_cases(getattr(cases_module, case_name)())
        line_start = source.rfind("\n", 0, m.start()) + 1
        indent = re.match(r"[ \t]*", source[line_start:]).group()
        return wrap_literal(cache[case_name], indent)

    return PLACEHOLDER.sub(replace, source)


def unused_case_functions(module, used: dict) -> list[str]:
    """Case functions the module lists in ``__all__`` that no placeholder used."""
    if module is None:
        return []
    names = getattr(module, "__all__", None)
    if names is None:
        return []
    return sorted(set(names) - set(used))


def cases_in(source: str) -> tuple[str, list]:
    """``source`` with every embedded case literal blanked, and the decoded cases in order."""
    from course.assignments.checks import decode_cases

    cases = [decode_cases(ast.literal_eval("(" + m.group()[len(CASES_CALL) + 1:]))
             for m in CASES_LITERAL.finditer(source)]
    return CASES_LITERAL.sub(CASES_CALL + "(...)", source), cases
