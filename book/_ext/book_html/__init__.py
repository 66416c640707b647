"""Sphinx extension ``book_html``: the HTML book as a reader gets it, with no network.

* **Offline math.** MathJax 3 is vendored from the npm registry (``book/package.json``, installed by
  ``make venv`` with ``npm ci`` into ``.venv/npm``); the build copies the one self-contained component
  it uses (``tex-svg.js``: TeX input, SVG output with the fonts inside, assistive MathML) and the TeX
  extensions it may autoload into ``_static/mathjax/``. Nothing is fetched when a page is read, from
  ``file://`` or from any web server.
* **Clean pages.** The Thebe launcher's scripts are dropped (the book has no live-code button; they
  declared ``THEBE_JS_URL`` twice on every page, a page error) and duplicated inline scripts are
  removed; the theme starts in a valid colour mode.
* ``assignments`` directive (:mod:`book_html.assignments`): the list of assignments with points read
  from the released notebooks' nbgrader metadata.
* Offline search snippets (:mod:`book_html.search`).
* Chapter kernels talk over Unix sockets, as every kernel our tools start (:mod:`autograder.kernels`).
"""
from __future__ import annotations

import json
import shutil
import sys
import zlib
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

from autograder.kernels import use_ipc_kernels

from . import assignments, search

HERE = Path(__file__).resolve().parent

#: where ``make venv`` installs the npm packages of ``book/package.json`` (inside the environment)
NPM_MODULES = Path(sys.prefix) / "npm" / "node_modules"
MATHJAX_VERSION = "3.2.2"
#: the MathJax files a page needs, relative to the package's ``es5/`` folder
MATHJAX_FILES = ("tex-svg.js", "input/tex/extensions")

MATHJAX_CONFIG = {
    # one <defs> of glyph shapes per page instead of one per equation: smaller, faster pages
    "svg": {"fontCache": "global"},
}


def mathjax_source() -> Path:
    """The vendored MathJax ``es5/`` folder, checked to be the pinned version (clear error otherwise)."""
    package = NPM_MODULES / "mathjax" / "package.json"
    if not package.exists():
        raise ExtensionError(
            f"MathJax is not installed in {NPM_MODULES}: run `make venv` (it runs `npm ci` for "
            "book/package.json); the book renders its math offline from that copy")
    version = json.loads(package.read_text())["version"]
    if version != MATHJAX_VERSION:
        raise ExtensionError(f"{package} is MathJax {version}, the book pins {MATHJAX_VERSION}: run `make venv`")
    return package.parent / "es5"


def _stage_static_files(app: Sphinx) -> None:
    """Copy the vendored MathJax and this extension's own assets into a folder on ``html_static_path``."""
    staging = Path(app.outdir).parent / ".book_static"
    source = mathjax_source()
    for rel in MATHJAX_FILES:
        src, dst = source / rel, staging / "mathjax" / rel
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, dst)
    shutil.copytree(HERE / "static", staging, dirs_exist_ok=True)
    app.config.html_static_path.append(str(staging))


def _configure(app: Sphinx, config) -> None:
    # our versions of three theme components come first (accessibility fixes, see each template)
    config.templates_path.insert(0, str(HERE / "templates"))
    config.mathjax_path = "mathjax/tex-svg.js"
    merged = dict(config.mathjax3_config or {})
    for key, value in MATHJAX_CONFIG.items():
        merged[key] = {**merged.get(key, {}), **value}
    config.mathjax3_config = merged
    # a valid colour mode from the first page on (the theme logs an error for an empty one); the
    # pydata theme reads it from the template context
    config.html_context.setdefault("default_mode", "auto")


def _is_thebe(asset) -> bool:
    name = str(getattr(asset, "filename", "") or "")
    body = getattr(asset, "attributes", {}).get("body", "") or ""
    return "thebe" in name or "THEBE_JS_URL" in body


def _clean_page_assets(app: Sphinx, pagename: str, templatename: str, context: dict, doctree) -> None:
    """Drop Thebe's scripts and style, and scripts listed twice (runs after every other handler); give
    bibliography entries the list-item role their list requires."""
    if context.get("body"):
        # docutils writes citations as role="doc-biblioentry" inside a role="list": a list must contain list
        # items (axe: aria-required-children, critical) and DPUB-ARIA 1.1 deprecated doc-biblioentry
        body = context["body"].replace('role="doc-biblioentry"', 'role="listitem"')
        # myst-nb labels the toggle of a folded cell "Toggle hidden content" while it shows "Show code cell
        # source": a control's accessible name must contain its visible text (axe: label-content-name-mismatch)
        context["body"] = body.replace('<summary aria-label="Toggle hidden content">', "<summary>")
    scripts, seen = [], set()
    for js in context.get("script_files", []):
        key = (str(getattr(js, "filename", js)), getattr(js, "attributes", {}).get("body", ""))
        if _is_thebe(js) or key in seen:
            continue
        seen.add(key)
        scripts.append(js)
    if "script_files" in context:
        context["script_files"][:] = scripts
    if "css_files" in context:
        context["css_files"][:] = [css for css in context["css_files"] if not _is_thebe(css)]


def _own_version() -> int:
    """A checksum of this extension's files: Sphinx re-reads every page when it changes (``env_version``),
    so a change here (a template, the stylesheet, a page fix) reaches every page of an incremental build."""
    digest = 0
    for path in sorted(HERE.rglob("*")):
        if path.is_file() and path.suffix in (".py", ".html", ".css", ".js"):
            digest = zlib.crc32(path.read_bytes(), zlib.crc32(path.name.encode(), digest))
    return digest


def setup(app: Sphinx) -> dict:
    use_ipc_kernels()    # myst-nb's chapter kernels over Unix sockets: no TCP port, no IPKernelApp warning
    app.connect("config-inited", _configure)
    app.connect("builder-inited", _stage_static_files)
    app.connect("html-page-context", _clean_page_assets, priority=900)
    app.add_css_file("book.css")
    assignments.setup(app)
    search.setup(app)
    return {"version": "1", "env_version": _own_version(), "parallel_read_safe": True,
            "parallel_write_safe": False}   # book_html.search collects the pages' text while they are written
