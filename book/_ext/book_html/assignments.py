"""The ``assignments`` directive: one section per released assignment, read from the notebooks themselves.

For every ``course/assignments/NAME/NAME.ipynb`` (the student versions ``python -m autograder release``
writes; the list is whatever that folder holds, so a new assignment appears without editing the book)::

    ## <the notebook's title>
    download link (the book carries its own copy) · the chapters that link to it · points
    | question | you write | graded automatically | graded by hand |   <- from nbgrader metadata
    how to open it in JupyterLab

Points are the nbgrader ``points`` of the notebook's graded cells: a graded cell that is also a solution
(a written answer) is graded by hand, every other graded cell is a test the autograder runs. Each
question is a ``## Question ...`` heading of the notebook and owns the graded cells up to the next
heading; the heading's own "(N points)" is dropped and the computed points shown instead. The page
depends on the notebooks and on the chapters' sources, so Sphinx rebuilds it when either changes.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

RELEASE_FOLDER = Path("course") / "assignments"
QUESTION = re.compile(r"^##\s+(Question\b.*?)\s*$", re.M)
POINTS_NOTE = re.compile(r"\s*\((?:[^()]*\bpoints?\b[^()]*)\)\s*$")
FUNCTION = re.compile(r"^def\s+([A-Za-z_]\w*)\s*\(", re.M)


@dataclass
class Question:
    title: str
    functions: list[str] = field(default_factory=list)
    auto_points: float = 0.0
    manual_points: float = 0.0


@dataclass
class Assignment:
    name: str
    notebook: Path
    title: str
    questions: list[Question]

    @property
    def auto_points(self) -> float:
        return sum(q.auto_points for q in self.questions)

    @property
    def manual_points(self) -> float:
        return sum(q.manual_points for q in self.questions)


def released_notebooks(root: Path) -> list[Path]:
    """``course/assignments/NAME/NAME.ipynb`` for every assignment folder, in course order (by name)."""
    folder = root / RELEASE_FOLDER
    return sorted(p / f"{p.name}.ipynb" for p in folder.iterdir() if (p / f"{p.name}.ipynb").is_file())


def _source(cell: dict) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def read_assignment(notebook: Path) -> Assignment:
    """Title, questions, functions to write and points of one released notebook (nbgrader metadata)."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    title, questions = notebook.stem, []
    current: Question | None = None
    for cell in nb["cells"]:
        text = _source(cell)
        meta = cell.get("metadata", {}).get("nbgrader", {})
        if cell["cell_type"] == "markdown" and not meta:
            if title == notebook.stem and text.lstrip().startswith("# "):
                title = text.lstrip()[2:].splitlines()[0].strip()
            heading = QUESTION.search(text)
            if heading:
                current = Question(POINTS_NOTE.sub("", heading.group(1)))
                questions.append(current)
            elif re.match(r"^#{1,2}\s", text.lstrip()):
                current = None          # a section that is not a question (e.g. "Debugging with ...")
            continue
        if current is None:
            continue
        if meta.get("solution") and not meta.get("grade") and cell["cell_type"] == "code":
            current.functions += FUNCTION.findall(text)
        if meta.get("grade"):
            points = float(meta.get("points", 0))
            if meta.get("solution") or meta.get("task"):
                current.manual_points += points
            else:
                current.auto_points += points
    if not questions:
        raise ValueError(f"{notebook}: no '## Question ...' heading, so no points can be listed")
    return Assignment(notebook.parent.name, notebook, title, questions)


def _points(value: float) -> str:
    return "" if value == 0 else (f"{value:g}")


def _bold(text: str) -> str:
    return f"**{text}**" if text else ""


def _linking_chapters(env, notebook_rel: str) -> list[str]:
    """Docnames (in toc order) whose source links to the released notebook."""
    found = []
    for docname in sorted(env.found_docs):
        path = Path(env.doc2path(docname))
        if path.suffix == ".md" and notebook_rel in path.read_text(encoding="utf-8"):
            found.append(docname)
    return found


class AssignmentsDirective(SphinxDirective):
    """``:::{assignments}`` -- a section per released assignment (see the module docstring)."""

    has_content = False

    def run(self) -> list[nodes.Node]:
        root = Path(self.env.srcdir)
        here = (root / self.env.docname).parent
        lines: list[str] = []
        notebooks = released_notebooks(root)
        if not notebooks:
            raise self.error(f"no released assignment in {root / RELEASE_FOLDER} (run `python -m autograder release`)")
        for notebook in notebooks:
            self.env.note_dependency(str(notebook))
            a = read_assignment(notebook)
            rel_repo = notebook.relative_to(root).as_posix()
            rel_here = Path(os.path.relpath(notebook, here)).as_posix()
            chapters = [d for d in _linking_chapters(self.env, rel_repo) if d != self.env.docname]
            for docname in chapters:
                self.env.note_dependency(str(self.env.doc2path(docname)))
            total = a.auto_points + a.manual_points
            split = f"{_points(a.auto_points)} graded automatically"
            if a.manual_points:
                split += f", {_points(a.manual_points)} by hand"
            goes_with = ", ".join("{doc}`/" + d + "`" for d in chapters) or "no chapter yet"
            lines += [
                f"## {a.title}",
                "",
                f"{{download}}`Download {notebook.name} <{rel_here}>` · goes with {goes_with} · "
                f"**{_points(total)} points** ({split})",
                "",
                "| question | you write | graded automatically | graded by hand |",
                "|---|---|--:|--:|",
            ]
            for q in a.questions:
                functions = ", ".join(f"`{f}`" for f in q.functions)
                lines.append(f"| {q.title} | {functions} | {_points(q.auto_points)} | {_points(q.manual_points)} |")
            lines += [
                f"| **total** | | {_bold(_points(a.auto_points))} | {_bold(_points(a.manual_points))} |",
                "",
                "Start it in JupyterLab, from the repository's folder:",
                "",
                "```bash",
                f".venv/bin/jupyter lab {rel_repo}",
                "```",
                "",
            ]
        container = nodes.Element()
        self.state.nested_parse(StringList(lines, source=self.env.docname), 0, container, match_titles=True)
        return list(container.children)


def setup(app) -> None:
    app.add_directive("assignments", AssignmentsDirective)
