"""The shape of the code (issue 11): four floors, no import circle, no private name borrowed, modules one can read.

Read from the sources with :mod:`ast` (nothing is imported): every ``import`` and ``from ... import`` of the
packages ``benchmarks``, ``autograder``, ``solutions`` and ``course``, lazy ones inside functions included.
"""
from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FLOORS = ["benchmarks", "autograder", "solutions", "course"]  # each imports only what stands below it
MAX_LINES = 600


def _modules() -> dict[str, Path]:
    found = {}
    for package in FLOORS:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "node_modules" in path.parts:
                continue
            name = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            found[name.removesuffix(".__init__")] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path):
    """(imported module, imported names or None, line) for every import statement of the module."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, None, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            yield base, [alias.name for alias in node.names], node.lineno


def _graph() -> dict[str, set[str]]:
    """Module -> the modules of ours it imports (``from pkg import mod`` counts as importing ``pkg.mod``)."""
    graph = {name: set() for name in MODULES}
    for name, path in MODULES.items():
        for module, names, _ in _imports(name, path):
            for target in [module] + [f"{module}.{n}" for n in names or []]:
                if target in MODULES and target != name:
                    graph[name].add(target)
    return graph


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan, iterative)."""
    index, low, stack, on_stack, found, counter = {}, {}, [], set(), [], [0]
    for root in graph:
        if root in index:
            continue
        work = [(root, iter(sorted(graph[root])))]
        index[root] = low[root] = counter[0]
        counter[0] += 1
        stack.append(root)
        on_stack.add(root)
        while work:
            node, edges = work[-1]
            step = next(edges, None)
            if step is not None:
                if step not in index:
                    index[step] = low[step] = counter[0]
                    counter[0] += 1
                    stack.append(step)
                    on_stack.add(step)
                    work.append((step, iter(sorted(graph[step]))))
                elif step in on_stack:
                    low[node] = min(low[node], index[step])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]
    assert _circles({"a": {"b"}, "b": set()}) == []


def test_no_import_circle():
    assert _circles(_graph()) == []


def test_each_floor_imports_only_the_floors_below():
    wrong = []
    for name, path in MODULES.items():
        floor = FLOORS.index(name.split(".")[0])
        for module, _, line in _imports(name, path):
            top = module.split(".")[0]
            if top in FLOORS and FLOORS.index(top) < floor:
                wrong.append(f"{path.relative_to(ROOT)}:{line} imports {module}")
    assert wrong == []


def test_no_private_name_is_imported_from_another_module():
    """``from .x import _helper`` borrows what ``x`` keeps to itself (``import x as _x``, an alias, is fine)."""
    borrowed = []
    for name, path in MODULES.items():
        for module, names, line in _imports(name, path):
            if module.split(".")[0] not in FLOORS:
                continue
            for imported in names or []:
                if imported.startswith("_") and not imported.startswith("__") and f"{module}.{imported}" not in MODULES:
                    borrowed.append(f"{path.relative_to(ROOT)}:{line} imports {imported} from {module}")
    assert borrowed == []


def test_modules_stay_readable_in_one_sitting():
    long = {str(p.relative_to(ROOT)): n for p in MODULES.values()
            if (n := len(p.read_text(encoding="utf-8").splitlines())) > MAX_LINES}
    assert long == {}
