"""Run notebooks in the student edition's own environment and report, per cell, what a student would see.

Not a test module: ``tests/test_edition.py`` runs it with the edition's ``.venv/bin/python`` (no ``PYTHONPATH``,
outside the repository)::

    python edition_runner.py NOTEBOOK... > report.json

Every cell runs (``allow_errors``), each notebook in its own kernel started from the edition's environment,
with the notebook's folder as working directory; the report gives, per code cell, its nbgrader ``grade_id``,
whether it is an autograded test, the error it raised (name and message) and the MIME types it displayed.
"""
import json
import os
import sys
import tempfile
from pathlib import Path

import nbformat
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient


def run(path: Path) -> list[dict]:
    nb = nbformat.read(path, as_version=4)
    # over Unix sockets in a private folder, as every kernel the repository's tools start (autograder/kernels.py,
    # not importable from the edition's environment): no TCP port to lose to another process
    with tempfile.TemporaryDirectory(prefix="kernel-") as sockets:
        km = AsyncKernelManager(kernel_name="python3", transport="ipc", ip=os.path.join(sockets, "kernel"))
        NotebookClient(nb, km=km, timeout=120, allow_errors=True,
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
