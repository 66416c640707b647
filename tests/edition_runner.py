"""Run notebooks in the student edition's own environment and report, per cell, what a student would see.

Not a test module: ``tests/test_edition.py`` runs it with the edition's ``.venv/bin/python`` (no ``PYTHONPATH``,
outside the repository)::

    python edition_runner.py NOTEBOOK... > report.json

Every cell runs (``allow_errors``), each notebook in its own kernel started from the edition's environment,
with the notebook's folder as working directory; the report gives, per code cell, its nbgrader ``grade_id``,
whether it is an autograded test, the error it raised (name and message) and the MIME types it displayed.
Kernels talk over Unix sockets, as every kernel the repository's tools start: the test copies
``autograder/kernels.py`` beside this file as ``kernels.py`` (the ``autograder`` package is not importable here).
"""
import json
import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from kernels import AsyncIpcKernelManager  # autograder/kernels.py, copied beside this file


def run(path: Path) -> list[dict]:
    nb = nbformat.read(path, as_version=4)
    NotebookClient(nb, km=AsyncIpcKernelManager(kernel_name="python3"), timeout=120, allow_errors=True,
                   resources={"metadata": {"path": str(path.parent)}}).execute()
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        meta = cell.metadata.get("nbgrader", {})
        errors = [o for o in cell.outputs if o.output_type == "error"]
        cells.append({
            "grade_id": meta.get("grade_id"),
            "test": bool(meta.get("grade") and not meta.get("solution")),
            "source": cell.source,
            "error": f"{errors[0].ename}: {errors[0].evalue}" if errors else None,
            "mime": sorted({m for o in cell.outputs for m in o.get("data", {})}),
        })
    return cells


if __name__ == "__main__":
    json.dump({name: run(Path(name)) for name in sys.argv[1:]}, sys.stdout, indent=1)
