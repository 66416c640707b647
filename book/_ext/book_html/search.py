"""Search results with snippets, from ``file://`` too, with their formulas typeset.

Sphinx's search page fetches every matching page to cut a snippet from it. A page opened from ``file://``
may not fetch (the browser refuses; every result then throws a page error and shows no snippet). So
the build writes the text of every page into ``_static/book-search-pages.js`` (each page's body without
scripts and embedded images), and ``search-offline.js`` answers the search page's requests for a page
of the book from it -- from ``file://`` and from a web server alike. It also typesets the formulas in
the snippets (MathJax is loaded on the search page for that), dropping a formula the snippet cuts in two.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

PAGES_JS = "book-search-pages.js"
STORE = ".book-search-pages.json"      # in the output folder: pages written by earlier (incremental) builds

_SCRIPT = re.compile(r"<(script|style)\b.*?</\1>", re.S | re.I)
_DATA_URI = re.compile(r'src="data:[^"]*"', re.I)


def _collect(app, pagename: str, templatename: str, context: dict, doctree) -> None:
    if doctree is not None and context.get("body"):
        body = _DATA_URI.sub('src=""', _SCRIPT.sub("", context["body"]))
        app.builder._book_search_pages[pagename] = body
    if pagename == "search":
        # the offline page texts and the request shim before searchtools.js runs the query; MathJax for snippets
        app.builder.add_js_file(PAGES_JS)
        app.builder.add_js_file("search-offline.js")
        if app.config.mathjax3_config:
            app.builder.add_js_file(None, body="window.MathJax = " + json.dumps(app.config.mathjax3_config))
        app.builder.add_js_file(app.config.mathjax_path, defer="defer")


def _init(app) -> None:
    app.builder._book_search_pages = {}


def _write(app, exception) -> None:
    if exception is not None or getattr(app.builder, "format", "") != "html":
        return
    outdir = Path(app.outdir)
    store = outdir / STORE
    pages = json.loads(store.read_text(encoding="utf-8")) if store.exists() else {}
    pages.update(app.builder._book_search_pages)
    pages = {doc: body for doc, body in sorted(pages.items()) if doc in app.env.found_docs}
    store.write_text(json.dumps(pages), encoding="utf-8")
    (outdir / "_static").mkdir(exist_ok=True)
    (outdir / "_static" / PAGES_JS).write_text(
        "// The text of every page of the book, for search snippets from file:// (book_html.search)\n"
        f"window.BOOK_SEARCH_PAGES = {json.dumps(pages)};\n", encoding="utf-8")


def setup(app) -> None:
    app.connect("builder-inited", _init)
    app.connect("html-page-context", _collect)
    app.connect("build-finished", _write)
