"""The graded tests judge answers, not one way of writing them: other correct solutions get full marks, and typical
mistakes lose exactly the points of the tests that check them.

Each case replaces answer cells of an instructor notebook (hidden tests included) and runs it in a kernel without
``PYTHONPATH`` (as when grading); a graded cell passes when it raises no error, as for nbgrader's autograder.
"""
from __future__ import annotations

import os
import textwrap

import nbformat
import pytest

from autograder import release

pytestmark = pytest.mark.slow


def graded_results(name: str, answers: dict[str, str], stop_after: str | None = None) -> dict[str, bool]:
    """``{grade_id: passed}`` for the graded cells of assignment ``name`` with the answer cells in ``answers``
    (``grade_id -> source``) replaced; ``stop_after``: run only the cells up to this grade id."""
    from nbclient import NotebookClient

    nb = nbformat.read(release.SOURCE_DIR / name / f"{name}.ipynb", as_version=4)
    cells = []
    for cell in nb.cells:
        gid = cell.metadata.get("nbgrader", {}).get("grade_id")
        if gid in answers:
            cell.source = textwrap.dedent(answers[gid])
        cells.append(cell)
        if stop_after is not None and gid == stop_after:
            break
    unknown = set(answers) - {c.metadata.get("nbgrader", {}).get("grade_id") for c in cells}
    assert not unknown, f"no answer cells {unknown} in {name}"
    nb.cells = cells
    saved = {k: os.environ.pop(k) for k in ("PYTHONPATH",) if k in os.environ}
    try:
        NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=True).execute()
    finally:
        os.environ.update(saved)
    out = {}
    for cell in nb.cells:
        meta = cell.metadata.get("nbgrader", {})
        if meta.get("grade") and cell.cell_type == "code":
            out[meta["grade_id"]] = not any(o.output_type == "error" for o in cell.outputs)
    return out


def _reference_cell(name: str, grade_id: str) -> str:
    nb = nbformat.read(release.SOURCE_DIR / name / f"{name}.ipynb", as_version=4)
    source = next(c.source for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(line for line in source.splitlines() if line.strip() not in ("### BEGIN SOLUTION",
                                                                                   "### END SOLUTION"))


def _failing(results: dict[str, bool]) -> set[str]:
    return {gid for gid, ok in results.items() if not ok}


# --------------------------------------------------------------------------- 06_autograd
RECURSIVE_BACKWARD = '''
def backward(root):
    order, visited = [], set()

    def visit(node):                       # recursive depth-first search: fine for small graphs only
        if node not in visited:
            visited.add(node)
            for parent in node._parents:
                visit(parent)
            order.append(node)
    visit(root)
    for node in order:
        node.grad = 0.0
    root.grad = 1.0
    for node in reversed(order):
        node._backward()
'''

KAHN_BACKWARD = '''
from collections import deque


def backward(root):
    """Another correct order: Kahn's algorithm from the root, counting how many users each node still waits for."""
    users, stack, seen = {}, [root], {root}
    while stack:
        node = stack.pop()
        for parent in node._parents:
            users[parent] = users.get(parent, 0) + 1
            if parent not in seen:
                seen.add(parent)
                stack.append(parent)
    for node in seen:
        node.grad = 0.0
    root.grad = 1.0
    ready = deque([root])
    while ready:
        node = ready.popleft()
        node._backward()
        for parent in node._parents:
            users[parent] -= 1
            if users[parent] == 0:
                ready.append(parent)
'''

NO_RESET_BACKWARD = '''
def backward(root):
    order, visited, stack = [], set(), [(root, False)]
    while stack:
        node, parents_done = stack.pop()
        if parents_done:
            order.append(node)
        elif node not in visited:
            visited.add(node)
            stack.append((node, True))
            stack.extend((parent, False) for parent in node._parents)
    root.grad = 1.0                        # the other grads are not reset to 0 first
    for node in reversed(order):
        node._backward()
'''


@pytest.mark.timeout(300)
def test_autograd_other_correct_orders_score_full_marks_and_mistakes_lose_their_tests():
    name = "06_autograd"
    reference = graded_results(name, {})
    assert all(reference.values()), reference
    # a different correct algorithm for the order (Kahn's, breadth-first from the root): full marks
    assert all(graded_results(name, {"backward": KAHN_BACKWARD}).values())
    # recursion: fine on small graphs, a RecursionError on the 5,000-deep chain
    assert _failing(graded_results(name, {"backward": RECURSIVE_BACKWARD})) == {"backward_hidden_reuse_deep"}
    # grads not reset to 0: a second backward() doubles them
    assert _failing(graded_results(name, {"backward": NO_RESET_BACKWARD})) == {"backward_hidden_reuse_deep"}
    # '=' instead of '+=' in the product's closure: the accumulation checks fail everywhere it matters
    overwrite = _reference_cell(name, "value_class").replace(
        "self.grad += other.data * out.grad\n            other.grad += self.data * out.grad",
        "self.grad = other.data * out.grad\n            other.grad = self.data * out.grad")
    failing = _failing(graded_results(name, {"value_class": overwrite}))
    assert {"ops_hidden", "backward_visible", "backward_hidden_random", "backward_hidden_reuse_deep"} <= failing
