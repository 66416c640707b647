"""What the last successful release was made from, so that a release with nothing changed does nothing.

For each assignment the stamp (``_build/release-stamp.json``, git-ignored) keeps a hash of everything its
generated notebooks depend on -- its source folder (minus the generated notebook), its hidden-case module,
the ``course`` and ``solutions`` packages (the hidden cases call ``solutions``; ``course.assignments.checks``
encodes them), the nbgrader config, the release code itself, and the versions of Python and of the packages
that shape the output -- together with the hashes of the files it wrote and whether they were validated.
A release skips an assignment whose inputs hash the same and whose files are still exactly as written (with
``--validate``: and were validated).
"""
from __future__ import annotations

import hashlib
import importlib.metadata
import json
import os
import sys
from pathlib import Path

from ..nbcells import AUTOGRADER_DIR, CASES_DIR, CONFIG_FILE, REPO_ROOT, SOURCE_DIR

STAMP_FILE = REPO_ROOT / "_build" / "release-stamp.json"
#: code every release depends on: the packages the hidden cases and checks import, and the release itself
SHARED_CODE = (REPO_ROOT / "course", REPO_ROOT / "solutions", AUTOGRADER_DIR / "authoring",
               AUTOGRADER_DIR / "personal", AUTOGRADER_DIR / "nbcells.py", CONFIG_FILE, CASES_DIR / "__init__.py")
#: packages whose version shapes the generated notebooks
PACKAGES = ("nbgrader", "nbformat", "jupytext", "numpy")


def file_digest(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def tree_files(path: Path) -> list[Path]:
    """``path`` itself if it is a file, else the Python files under it (the generated notebooks are not code)."""
    path = Path(path)
    if path.is_file():
        return [path]
    return sorted(p for p in path.rglob("*.py") if "__pycache__" not in p.parts)


def shared_digest(code=SHARED_CODE) -> str:
    """Hash of the code and environment every assignment's release depends on."""
    h = hashlib.sha256(sys.version.encode())
    for name in PACKAGES:
        try:
            h.update(f"{name}=={importlib.metadata.version(name)}".encode())
        except importlib.metadata.PackageNotFoundError:
            h.update(f"{name} missing".encode())
    for root in code:
        for path in tree_files(root):
            h.update(os.fsencode(path.relative_to(REPO_ROOT) if path.is_relative_to(REPO_ROOT) else path))
            h.update(file_digest(path).encode())
    return h.hexdigest()


def inputs_digest(name: str, shared: str, source_dir: Path = SOURCE_DIR, cases_dir: Path = CASES_DIR) -> str:
    """Hash of what assignment ``name``'s generated notebooks are made from (``shared``: :func:`shared_digest`)."""
    h = hashlib.sha256(shared.encode())
    folder = Path(source_dir) / name
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        if path.name == f"{name}.ipynb" or "__pycache__" in path.parts or ".ipynb_checkpoints" in path.parts:
            continue  # the generated instructor notebook is an output
        h.update(os.fsencode(path.relative_to(folder)))
        h.update(file_digest(path).encode())
    cases = Path(cases_dir) / f"{name}.py"
    h.update(file_digest(cases).encode() if cases.exists() else b"no hidden cases")
    return h.hexdigest()


class Stamp:
    """The stamp file: ``{assignment: {"inputs": hash, "outputs": {path: hash}, "validated": bool}}``."""

    def __init__(self, path: Path = STAMP_FILE, root: Path = REPO_ROOT):
        self.path, self.root = Path(path), Path(root)  # output paths are kept relative to ``root``
        try:
            self.entries = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            self.entries = {}

    def current(self, name: str, inputs: str, validated: bool) -> bool:
        """Was ``name`` released from these ``inputs`` (and validated, if ``validated`` is asked), and are its
        generated files still exactly as written then?"""
        entry = self.entries.get(name)
        if not entry or entry.get("inputs") != inputs or (validated and not entry.get("validated")):
            return False
        try:
            return all(file_digest(self.root / rel) == digest for rel, digest in entry["outputs"].items())
        except OSError:
            return False

    def record(self, name: str, inputs: str, outputs, validated: bool) -> None:
        self.entries[name] = {"inputs": inputs, "validated": validated,
                              "outputs": {str(Path(p).relative_to(self.root)): file_digest(p) for p in outputs}}

    def forget(self, names) -> None:
        for name in names:
            self.entries.pop(name, None)

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.entries, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        os.replace(tmp, self.path)
