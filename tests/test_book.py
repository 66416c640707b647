"""The book: every chapter runs under nbval, the whole book builds with zero warnings, and the numbers
chapter 5 renders are the reference package's.

Slow (a cold build executes every chapter); deselect with ``-m "not book"``. Each chapter is a MyST
markdown notebook; nbval needs ``.ipynb``, so the chapters are converted with jupytext into a
temporary folder first (outputs are not stored, hence ``--nbval-lax``: every cell must run without
error). The build runs once per session into a temporary ``--path-output`` (never ``_build/``).
"""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from book_build import BUILD_TIMEOUT, built_book, subprocess_env  # noqa: F401  (built_book: a fixture)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
NBVAL_IPC = Path(__file__).with_name("nbval_ipc.py")  # pytest with nbval, kernels over Unix sockets
BIN = Path(PYTHON).parent

pytestmark = [pytest.mark.book, pytest.mark.slow]

CHAPTER_TIMEOUT = 240    # seconds for one chapter under nbval


def _toc_files() -> list[str]:
    """Documents listed in _toc.yml (``root`` and every ``file:``), e.g. ``book/04_backprop``."""
    text = (ROOT / "_toc.yml").read_text()
    return re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)\s*$", text, flags=re.M)


def _chapter_sources() -> list[Path]:
    """The executable chapters: toc entries whose MyST source has code cells."""
    out = []
    for doc in _toc_files():
        path = ROOT / f"{doc}.md"
        if path.exists() and "```{code-cell}" in path.read_text():
            out.append(path)
    return out


def _env(tmp: Path) -> dict:
    """Environment for subprocesses: repo root importable, headless matplotlib, Jupyter state in ``tmp``."""
    return subprocess_env(tmp)


# --------------------------------------------------------------------------- the build
# The book is built once per session (``book_build.built_book``, shared with test_browser through a file
# lock). The test that checks the build is the first test of this module: pytest-xdist hands each worker its
# first tests in consecutive pairs, so the build starts at once on one worker, followed there only by a quick
# test, while the other worker runs the quick tests and the chapters under nbval (nothing long queues up
# behind the build); the browser tests, collected after this module, find the build done or under way.

def _soup(path: Path):
    from bs4 import BeautifulSoup

    return BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")


def _article_text(path: Path) -> str:
    article = _soup(path).find("article")
    assert article is not None, f"{path} has no <article> element"
    return " ".join(article.get_text(" ").split())


NUMBER = r"(-?\d+\.\d+)"

#: key of solutions.worked_examples.lecture_221() -> sentence of chapter 5 whose last number shows it (6 decimals)
CHAPTER5_SENTENCES = {
    "yhat": r"output is \\\(\\hat y\\\) = " + NUMBER,
    "E": r"that is, \\\(E\\\) = " + NUMBER,
    "dE_dw5": r"So \\\(\\partial E / \\partial w_5\\\) = " + NUMBER,
    "dE_dw6": r"\\\(\\partial E / \\partial w_6\\\) = " + NUMBER,
    "new_w5": r"\\\(w_5\\\) moves to " + NUMBER,
    "new_yhat": r"the new output \\\(\\hat y\\\) = " + NUMBER,
    "new_E": r"the error falls from " + NUMBER + r" to " + NUMBER,
}


def check_every_toc_page_built(html: Path):
    missing = [doc for doc in _toc_files() if not (html / f"{doc}.html").exists()]
    assert not missing, f"pages missing from the built book: {missing}"


def check_chapter5_prose_numbers(html: Path):
    from solutions import worked_examples

    r = worked_examples.lecture_221()
    text = _article_text(html / "book" / "05_worked_example.html")
    for key, pattern in CHAPTER5_SENTENCES.items():
        match = re.search(pattern, text)
        assert match, f"chapter 5 no longer contains the sentence for {key!r} (pattern {pattern!r})"
        shown = match.group(match.lastindex)   # the sentence's last number is the one for `key`
        assert shown == f"{r[key]:.6f}", f"chapter 5 shows {key} = {shown}, the reference gives {r[key]:.6f}"


def check_chapter5_equations(html: Path):
    """The displayed equations (MathJax source in the HTML) carry the reference's numbers."""
    from solutions import worked_examples

    r = worked_examples.lecture_221()
    maths = " ".join(div.get_text() for div in _soup(html / "book" / "05_worked_example.html").find_all(class_="math"))
    for key in ("s1", "a1", "s2", "a2", "s3", "a3", "E", "delta3", "delta1", "delta2", "dE_dw5", "dE_db1"):
        assert f"= {r[key]:.6f}" in maths, f"no equation in chapter 5 ends in {key} = {r[key]:.6f}"
    for key in ("new_w1", "new_w6", "new_b1", "new_b3"):
        assert f"= {r[key]:.8f}" in maths, f"no update in chapter 5 ends in {key} = {r[key]:.8f}"


def check_chapter5_slip_table(html: Path):
    """The table beside the lecture's printed values marks as 'no' exactly the printed numbers our values do
    not round to -- recomputed here from the reference values and the printed list."""
    from solutions import worked_examples as we

    r = we.lecture_221()
    expected = [p.key for p in we.LECTURE_221_PRINTED if abs(r[p.key] - p.printed) > 0.5 * 10.0 ** -p.decimals + 1e-12]
    assert expected, "the lecture is known to print at least one mis-rounded value (a2 = 0.5964)"
    table = next((t for t in _soup(html / "book" / "05_worked_example.html").find_all("table")
                  if "lecture prints" in t.get_text()), None)
    assert table is not None, "chapter 5 has no table of the lecture's printed values"
    rows = [[c.get_text(strip=True) for c in tr.find_all("td")] for tr in table.find_all("tr")]
    rows = [row for row in rows if row]
    assert len(rows) == len(we.LECTURE_221_PRINTED), f"{len(rows)} rows for {len(we.LECTURE_221_PRINTED)} numbers"
    assert [row[1] for row in rows if row[-1] == "no"] == expected
    for row, printed in zip(rows, we.LECTURE_221_PRINTED):
        assert row[1] == printed.key and row[3] == f"{r[printed.key]:.6f}", f"table row {row} vs {printed}"


def check_alt_text(html: Path):
    images = 0
    for page in sorted((html / "book").glob("*.html")):
        for img in _soup(page).find("article").find_all("img"):
            images += 1
            alt = (img.get("alt") or "").strip()
            assert len(alt) >= 10, f"{page.name}: image {img.get('src', '')[:60]!r} has no useful alt text ({alt!r})"
    assert images >= 10, f"only {images} images in the whole book"


def check_no_widget_cdn_scripts(html: Path):
    """Interactive figures are kernel-free players: no page loads require.js or the widget manager."""
    for page in (html / "book").glob("*.html"):
        text = page.read_text(encoding="utf-8")
        assert "require.min.js" not in text and "html-manager" not in text, f"{page.name} loads widget JS from a CDN"


def _released_notebooks() -> dict[str, Path]:
    """``NAME -> course/assignments/NAME/NAME.ipynb`` for every released assignment."""
    folder = ROOT / "course" / "assignments"
    return {p.name: p / f"{p.name}.ipynb" for p in sorted(folder.iterdir()) if (p / f"{p.name}.ipynb").is_file()}


def _chapter_docs() -> list[str]:
    """The chapters of the table of contents: every page but the root, the Assignments page and the references."""
    return [doc for doc in _toc_files()[1:] if Path(doc).name not in ("assignments", "references")]


def _download_target(page: Path, link) -> Path:
    return (page.parent / link["href"].split("#")[0]).resolve()


def check_chapters_end_with_exercises_and_assignment_download(html: Path):
    """Every chapter's last section is "Exercises", and it links (a download, so the book carries the
    file and works offline) to a byte-identical copy of a released student notebook."""
    released = {nb.read_bytes(): name for name, nb in _released_notebooks().items()}
    for doc in _chapter_docs():
        page = html / f"{doc}.html"
        article = _soup(page).find("article")
        sections = article.find("section").find_all("section", recursive=False)
        assert sections and sections[-1].find("h2").get_text(strip=True).rstrip("#") == "Exercises", (
            f"{doc}: the last section is not 'Exercises'")
        links = sections[-1].find_all("a", class_="download")
        assert links, f"{doc}: the Exercises section has no download link to its assignment"
        for link in links:
            target = _download_target(page, link)
            assert target.is_file(), f"{doc}: download link {link['href']} points at no file"
            assert target.read_bytes() in released, f"{doc}: {target.name} is not a released student notebook"


def _nbgrader_points(notebook: Path) -> tuple[float, float]:
    """(autograded, hand-graded) points of a notebook, summed straight from nbgrader's cell metadata."""
    auto = manual = 0.0
    for cell in json.loads(notebook.read_text())["cells"]:
        meta = cell["metadata"].get("nbgrader", {})
        if meta.get("grade"):
            if meta.get("solution") or meta.get("task"):
                manual += meta["points"]
            else:
                auto += meta["points"]
    return auto, manual


def check_assignments_page(html: Path):
    """The Assignments page has a section per released assignment (the set the autograder releases) with a
    download of the notebook, its points as nbgrader's metadata gives them, and the command that opens it."""
    from autograder.authoring.release import ASSIGNMENTS

    released = _released_notebooks()
    assert set(released) == set(ASSIGNMENTS), f"released {sorted(released)} but the autograder lists {ASSIGNMENTS}"
    page = html / "book" / "assignments.html"
    sections = _soup(page).find("article").find_all("section")
    for name, notebook in released.items():
        section = next((s for s in sections if s.find("h2", recursive=False)
                        and any(_download_target(page, a).name == notebook.name for a in s.find_all("a", class_="download"))),
                       None)
        assert section is not None, f"the Assignments page has no section with a download of {notebook.name}"
        link = next(a for a in section.find_all("a", class_="download") if _download_target(page, a).name == notebook.name)
        assert _download_target(page, link).read_bytes() == notebook.read_bytes(), f"{name}: the download is stale"
        auto, manual = _nbgrader_points(notebook)
        text = " ".join(section.get_text(" ").split())
        assert f"{auto + manual:g} points" in text, f"{name}: page says {text[:300]!r}, metadata gives {auto + manual:g}"
        assert f"{auto:g} graded automatically" in text, f"{name}: autograded points should be {auto:g}"
        if manual:
            assert f"{manual:g} by hand" in text, f"{name}: hand-graded points should be {manual:g}"
        assert f"jupyter lab course/assignments/{name}/{name}.ipynb" in text, f"{name}: no JupyterLab command"


def check_chapters_executed_side_by_side(log: str):
    """A cold build executes the chapters in parallel (book/_ext/parallel_execution) and myst-nb then finds every
    chapter in the execution cache, under the key it computes itself: no chapter is executed a second time."""
    if log.startswith("BOOK_TEST_HTML="):          # an existing build was handed in: no log to read
        return
    assert "parallel_execution: executing" in log, "the chapters were not executed side by side"
    again = re.findall(r"(\S+\.md): Executing notebook", log)
    assert not again, f"myst-nb executed these chapters again (cache key mismatch?): {again}"
    cached = set(re.findall(r"(\S+?)\.md: Using cached notebook", log))
    assert {Path(c).name for c in cached} == {p.stem for p in _chapter_sources()}, sorted(cached)


@pytest.mark.timeout(BUILD_TIMEOUT + 60)
def test_book_builds_without_warnings_and_renders_reference_numbers(built_book):
    """``jupyter-book build -W -n --keep-going`` (cold cache) exits 0 with no warning, then the HTML is checked:
    every toc page exists; chapter 5's prose, equations and slip table show the reference package's values;
    every image has alt text; no page loads widget JavaScript from a CDN; every chapter's Exercises section
    downloads its released notebook; the Assignments page lists every assignment with its nbgrader points; the
    chapters were executed side by side and then taken from the cache."""
    log = built_book.log
    warnings = [line for line in log.splitlines() if "WARNING" in line]
    assert built_book.returncode == 0 and not warnings, (
        f"jupyter-book build failed (exit {built_book.returncode}); warnings:\n" + "\n".join(warnings[:40])
        + f"\n--- log tail ---\n{log[-4000:]}")
    html = built_book.require_html()
    check_every_toc_page_built(html)
    check_chapter5_prose_numbers(html)
    check_chapter5_equations(html)
    check_chapter5_slip_table(html)
    check_alt_text(html)
    check_no_widget_cdn_scripts(html)
    check_chapters_end_with_exercises_and_assignment_download(html)
    check_assignments_page(html)
    check_chapters_executed_side_by_side(log)


# --------------------------------------------------------------------------- quick checks of the sources
def test_toc_chapters_exist():
    """Every document in the table of contents has a source under book/."""
    missing = [doc for doc in _toc_files() if not (ROOT / f"{doc}.md").exists()]
    assert not missing, f"_toc.yml lists documents without a source file: {missing}"


def _prose_decimals(markdown: str) -> list[str]:
    """Decimal numbers with 3 or more decimals written in a chapter's text (prose and math), i.e. outside code
    cells, fences, front matter and glue roles -- where a computed value would be typed by hand."""
    text = re.sub(r"^---\n.*?\n---\n", " ", markdown, flags=re.S)
    text = re.sub(r"```.*?```", " ", text, flags=re.S)
    text = re.sub(r"\{glue[^}]*\}`[^`]*`", " ", text)
    return re.findall(r"(?<![\w.])-?\d+\.\d{3,}\b", text)


def test_prose_decimals_helper_finds_typed_numbers():
    assert _prose_decimals("The error is 0.02577 and $a = 1.2252$.\n```{code-cell}\nx = 0.123456\n```\n"
                           "{glue:text}`E:.6f` 0.5") == ["0.02577", "1.2252"]


def test_no_hand_typed_results_in_prose():
    """Heuristic: a number with 3+ decimals in the text must be one the lectures print (quoted to name a slip);
    every computed value reaches the text through glue or a cell output."""
    from solutions import worked_examples as we

    quoted = {f"{p.printed:.{p.decimals}f}" for p in we.LECTURE_221_PRINTED}
    quoted |= {f"{value:.{decimals}f}" for value, decimals, _ in we.CLASSIC_222_PUBLISHED.values()}
    typed = {doc: [x for x in _prose_decimals((ROOT / f"{doc}.md").read_text()) if x.lstrip("-") not in quoted]
             for doc in _toc_files() if (ROOT / f"{doc}.md").exists()}
    typed = {doc: numbers for doc, numbers in typed.items() if numbers}
    assert not typed, f"numbers typed into the text instead of glued from code: {typed}"


# --------------------------------------------------------------------------- nbval
@pytest.mark.timeout(CHAPTER_TIMEOUT + 60)
@pytest.mark.parametrize("source", _chapter_sources(), ids=lambda p: p.stem)
def test_chapter_runs_under_nbval(source: Path, tmp_path: Path):
    import jupytext

    # MyST -> .ipynb in-process (a `python -m jupytext` subprocess per chapter costs seconds of start-up)
    notebook = tmp_path / f"{source.stem}.ipynb"
    jupytext.write(jupytext.read(source), notebook, fmt="ipynb")
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -p no:cacheprovider\n")
    # Only the nbval plugin is loaded in the inner pytest: auto-loading every installed plugin (hypothesis,
    # xdist, timeout, anyio, ...) costs seconds per chapter and none of them is used there.
    env = _env(tmp_path)
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    result = subprocess.run(
        [PYTHON, str(NBVAL_IPC), "-p", "nbval", "--nbval-lax", "-q", f"--rootdir={tmp_path}",
         "-c", str(tmp_path / "pytest.ini"), f"--nbval-cell-timeout={CHAPTER_TIMEOUT}", str(notebook)],
        cwd=tmp_path, env=env, capture_output=True, text=True, timeout=CHAPTER_TIMEOUT + 30)
    assert result.returncode == 0, f"nbval failed for {source.name}:\n{result.stdout[-6000:]}\n{result.stderr[-3000:]}"
    cells = sum(c.cell_type == "code" for c in jupytext.read(source).cells)
    assert re.search(rf"\b{cells} passed", result.stdout), (
        f"nbval did not run all {cells} code cells of {source.name}:\n{result.stdout[-2000:]}")
