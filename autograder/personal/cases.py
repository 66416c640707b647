"""Personal hidden cases: one student's reference values as a literal in that student's instructor version.

A hidden-test region of a personalised assignment names its personal cases with a placeholder,
``personal_cases("personal_chain_rule")``: the function of that name in ``autograder/hidden_cases/NAME.py``
takes a student's numbers (:func:`course.personal.numbers`) and returns the reference values for them
(it may import :mod:`solutions`). The literal is an ordinary ``_checks.decode_cases("...")`` call (so the
release's drift check and the sandbox guard treat it like every hidden case) whose data says whose it is::

    {"personal": "personal_chain_rule", "student_id": "s1234567", "numbers": {...}, "expected": {...}}

* ``python -m autograder release`` fills the placeholders with the *example* numbers' literal (the committed
  instructor notebook needs no secret, validates, and is the same on every machine: :func:`fill_personal`);
* the grader swaps each such literal for the submitter's (:func:`student_sources`), in a copy of the
  gradebook that nbgrader restores the hidden tests from: the values are computed here, outside every
  kernel, and only that student's enter that student's kernel.

The cell that loads a notebook's numbers carries the tag ``personal``; :func:`fill_identity` types an id and
a code into it (per-student releases, preflight).
"""
from __future__ import annotations

import copy
import re
from dataclasses import dataclass, field

from course import personal as kit

from ..authoring import ReleaseError
from ..authoring.cases import CASES_LITERAL, wrap_literal
from ..nbcells import HIDDEN_BEGIN, grade_id, hidden_spans, is_graded_test
from .secret import quiet_numbers

PERSONAL_PLACEHOLDER = re.compile(r"""personal_cases\(\s*["']([A-Za-z_][A-Za-z0-9_]*)["']\s*\)""")
PERSONAL_KEY = "personal"
PERSONAL_TAG = "personal"


def personal_case(cases_module, function: str, numbers: kit.Numbers) -> dict:
    """The literal's data: whose numbers, the numbers, and the reference values the case function returns."""
    return {PERSONAL_KEY: function, "student_id": numbers.student_id, "numbers": dict(numbers),
            **getattr(cases_module, function)(numbers)}


def _indent_at(source: str, position: int) -> str:
    line_start = source.rfind("\n", 0, position) + 1
    return re.match(r"[ \t]*", source[line_start:]).group()


# --------------------------------------------------------------------------- release
def fill_personal(source: str, where: str, assignment: str, cases_module, cache: dict) -> str:
    """``source`` with every ``personal_cases("fn")`` replaced by the example numbers' literal (the committed
    instructor notebook); ``cache`` records the functions used (evaluated once per name)."""
    from course.assignments.checks import encode_cases

    spans = hidden_spans(source)

    def replace(m):
        function = m.group(1)
        if not any(a <= m.start() < b for a, b in spans):
            raise ReleaseError(f"{where}: personal_cases({function!r}) outside a '{HIDDEN_BEGIN}' region would "
                               "leak the answers into the student version")
        if assignment not in kit.DRAWS:
            raise ReleaseError(f"{where}: personal_cases({function!r}) in {assignment}, which has no personal "
                               f"numbers (course.personal.DRAWS has {', '.join(kit.PERSONALISED)})")
        if cases_module is None or not callable(getattr(cases_module, function, None)):
            raise ReleaseError(f"{where}: personal_cases({function!r}) has no function {function!r} in the "
                               "hidden-case module")
        if function not in cache:
            cache[function] = encode_cases(personal_case(cases_module, function, quiet_numbers(assignment)))
        return wrap_literal(cache[function], _indent_at(source, m.start()))

    return PERSONAL_PLACEHOLDER.sub(replace, source)


# --------------------------------------------------------------------------- per student
@dataclass
class PersonalCell:
    """A graded test cell holding personal literals: where they are and which case each one is."""

    grade_id: str
    cell: dict                                   # the instructor cell (metadata for nbgrader's checksum)
    literals: list = field(default_factory=list)  # [(start, end, function, indent)]


@dataclass
class PersonalTemplate:
    """The personal cells of one instructor notebook (empty: the assignment is not personalised)."""

    assignment: str
    cells: list = field(default_factory=list)

    @property
    def functions(self) -> list[str]:
        return list(dict.fromkeys(f for c in self.cells for _, _, f, _ in c.literals))

    def __bool__(self) -> bool:
        return bool(self.cells)


def personal_template(assignment: str, instructor_nb) -> PersonalTemplate:
    """Find the personal literals of an instructor notebook (``decode_cases`` data with a ``personal`` key)."""
    import ast

    from course.assignments.checks import decode_cases

    template = PersonalTemplate(assignment)
    for cell in instructor_nb.cells:
        if not is_graded_test(cell):
            continue
        found = PersonalCell(grade_id(cell), copy.deepcopy(cell))
        for m in CASES_LITERAL.finditer(cell.source):
            data = decode_cases(ast.literal_eval("(" + m.group()[m.group().index("(") + 1:]))
            if isinstance(data, dict) and PERSONAL_KEY in data:
                found.literals.append((m.start(), m.end(), data[PERSONAL_KEY], _indent_at(cell.source, m.start())))
        if found.literals:
            template.cells.append(found)
    return template


def student_cases(template: PersonalTemplate, cases_module, numbers: kit.Numbers) -> dict:
    """``{function: literal data}`` for one student's numbers."""
    return {f: personal_case(cases_module, f, numbers) for f in template.functions}


def student_sources(template: PersonalTemplate, cases: dict) -> dict:
    """``{grade_id: (source, nbgrader checksum)}`` of the personal cells with ``cases`` (from
    :func:`student_cases`) in place of the example's literals."""
    from nbformat import NotebookNode
    from nbgrader.utils import compute_checksum

    from course.assignments.checks import encode_cases

    encoded = {f: encode_cases(data) for f, data in cases.items()}
    out = {}
    for pc in template.cells:
        source, last = [], 0
        for start, end, function, indent in pc.literals:
            source += [pc.cell["source"][last:start], wrap_literal(encoded[function], indent)]
            last = end
        source.append(pc.cell["source"][last:])
        cell = NotebookNode(source="".join(source), cell_type=pc.cell["cell_type"],
                            metadata=NotebookNode(nbgrader=NotebookNode(pc.cell["metadata"]["nbgrader"])))
        out[pc.grade_id] = (cell.source, compute_checksum(cell))
    return out


# --------------------------------------------------------------------------- the cell that loads MY
IDENTITY = re.compile(r"""(student_id\s*=\s*)(["'])[^"'\n]*\2(\s*,\s*code\s*=\s*)(["'])[^"'\n]*\4""")


def identity_cell(nb):
    """The code cell tagged ``personal`` (the one calling ``personal.numbers``), or None."""
    for cell in nb.cells:
        if cell.cell_type == "code" and PERSONAL_TAG in cell.get("metadata", {}).get("tags", []):
            return cell
    return None


def fill_identity(nb, student_id: str, code: str):
    """A copy of ``nb`` whose ``personal`` cell has ``student_id`` and ``code`` typed in."""
    if not kit.valid_student_id(student_id):
        raise ValueError(f"{student_id!r} is not a student id")
    out = copy.deepcopy(nb)
    cell = identity_cell(out)
    if cell is None or not IDENTITY.search(cell.source):
        raise ValueError("the notebook has no cell tagged 'personal' with student_id=\"...\", code=\"...\"")
    cell.source = IDENTITY.sub(lambda m: f'{m.group(1)}"{student_id}"{m.group(3)}"{code}"', cell.source, count=1)
    return out
