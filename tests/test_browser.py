"""The built book in a real browser: headless Chromium (Debian's, driven by Playwright), every page opened
from ``file://`` with the network off, as a reader without a connection gets it.

Per page: no request leaves the machine, no page error and no console error, no raw TeX once MathJax has
typeset, zero axe-core violations of impact serious or critical (moderate and minor ones only from the
documented list below), no display equation wider than its box and nothing clipped at 1280 px and at
390 px (a phone), every internal link and image resolves. Then: every kernel-free player responds to its
controls, search shows results with snippets from ``file://``, and the same pages served by a static web
server on 127.0.0.1 behave the same.

The book is the one the test session builds once (``book_build.built_book``, shared with test_book). The
browser is the system's (``/usr/bin/chromium``, installed by ``make venv`` as a Debian package); Playwright
never downloads one. axe-core comes from ``book/package.json`` (installed into ``.venv/npm``).
"""
from __future__ import annotations

import functools
import http.server
import re
import sys
import threading
import urllib.parse
import urllib.request
from pathlib import Path

import pytest

from book_build import BUILD_TIMEOUT, built_book  # noqa: F401  (a fixture)

pytestmark = [pytest.mark.book, pytest.mark.slow]

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]
AXE_JS = Path(sys.prefix) / "npm" / "node_modules" / "axe-core" / "axe.min.js"
WIDTHS = (1280, 390)
PAGE_TIMEOUT = BUILD_TIMEOUT + 240      # a test may first wait for the session's build

#: axe-core rules of impact moderate or minor that may remain, each with the reason (README lists them too)
ALLOWED_MINOR = {
    "empty-table-header": "a table whose header cells are formulas only (e.g. $x_1$, $f'(z)$): MathJax draws a formula "
                          "as an SVG picture with MathML for screen readers, and axe counts visible text only, so it "
                          "calls such a header empty although assistive technology reads the formula",
}


def _toc_pages() -> list[str]:
    text = (ROOT / "_toc.yml").read_text()
    docs = re.findall(r"^\s*(?:root|-\s*file):\s*(\S+)\s*$", text, flags=re.M)
    return [f"{doc}.html" for doc in docs]


PAGES = _toc_pages() + ["search.html", "genindex.html"]


# --------------------------------------------------------------------------- browser
@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: install Debian's chromium (`make venv` does as root; "
                    "otherwise `sudo apt-get install chromium`)", pytrace=False)
    if not AXE_JS.exists():
        pytest.fail(f"{AXE_JS} is missing: run `make venv` (npm ci of book/package.json)", pytrace=False)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


class Visit:
    """A page opened in a fresh context with the network off; records what went wrong while it ran."""

    def __init__(self, browser, url: str, width: int = 1280, allow_host: str | None = None):
        self.external: list[str] = []
        self.errors: list[str] = []
        self.context = browser.new_context(viewport={"width": width, "height": 900})
        self.context.route("**/*", functools.partial(self._route, allow_host))
        self.page = self.context.new_page()
        self.page.on("pageerror", lambda exc: self.errors.append(f"page error: {exc}"))
        self.page.on("console", lambda msg: msg.type == "error" and self.errors.append(f"console error: {msg.text}"))
        self.page.goto(url, wait_until="load")
        self.page.evaluate(TYPESET_DONE)

    def _route(self, allow_host, route):
        url = route.request.url
        parsed = urllib.parse.urlparse(url)
        if parsed.scheme in ("file", "data", "blob") or (allow_host and parsed.netloc == allow_host):
            route.continue_()
        else:
            self.external.append(url)
            route.abort("internetdisconnected")

    def close(self):
        self.context.close()


TYPESET_DONE = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) await MathJax.startup.promise;
  await new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)));
}"""

RAW_TEX = r"""() => {
  const bad = [];
  for (const el of document.querySelectorAll('.math')) {
    if (!el.querySelector('mjx-container')) bad.push('untypeset: ' + el.textContent.trim().slice(0, 60));
  }
  const tex = /\\\(|\\\)|\\\[|\\\]|\$\$|\\begin\{|\\(frac|partial|sigma|delta|eta|hat|sum|cdot|odot|top|leftarrow|mathbf|mathrm|operatorname|tfrac|quad|text)\b/;
  const skip = 'script, style, pre, code, textarea, noscript, mjx-container, .highlight, title';
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) {
    const p = n.parentElement;
    if (!p || p.closest(skip) || !p.getClientRects().length) continue;
    if (tex.test(n.textContent)) bad.push('raw TeX: ' + n.textContent.trim().slice(0, 80));
  }
  return bad;
}"""

#: everything that does not fit, at the current width: a display equation wider than its box (at a desktop
#: width every one must fit; on a phone one may instead scroll sideways in its own box, within the text
#: column), content cut off by an ancestor that hides overflow, and a page wider than the window (a reader
#: would have to scroll the whole page sideways). Returns [problems, number of equations that scroll].
LAYOUT = r"""(mustFit) => {
  const problems = [];
  let scrolling = 0;
  const where = el => (el.closest('section[id]') || {}).id || el.tagName;
  for (const c of document.querySelectorAll('mjx-container[display="true"]')) {
    const svg = c.querySelector('svg');
    const need = svg ? svg.getBoundingClientRect().width : c.scrollWidth;
    const box = c.getBoundingClientRect(), column = c.parentElement.getBoundingClientRect();
    if (need <= box.width + 1) continue;
    const scrolls = ['auto', 'scroll'].includes(getComputedStyle(c).overflowX) && box.right <= column.right + 1;
    if (mustFit || !scrolls)
      problems.push(`display equation ${Math.round(need)} px wide in a ${Math.round(box.width)} px box` +
                    `${scrolls ? '' : ' that does not scroll'} (section ${where(c)})`);
    else scrolling += 1;
  }
  const article = document.querySelector('article') || document.body;
  const leaves = article.querySelectorAll('mjx-container, pre, img, table, svg, p, li, .course-player, dl, blockquote');
  for (const el of leaves) {
    const r = el.getBoundingClientRect();
    if (!r.width || el.closest('mjx-container') && el.tagName !== 'MJX-CONTAINER') continue;
    for (let a = el.parentElement; a && a !== document.documentElement; a = a.parentElement) {
      const ox = getComputedStyle(a).overflowX;
      if (ox === 'auto' || ox === 'scroll') break;          // reachable by scrolling that box
      if (ox === 'hidden' || ox === 'clip') {
        const ar = a.getBoundingClientRect();
        if (r.right > ar.right + 1 || r.left < ar.left - 1)
          problems.push(`${el.tagName.toLowerCase()} cut off by ${a.tagName.toLowerCase()}.${a.className} (section ${where(el)})`);
        break;
      }
    }
  }
  const page = document.documentElement;
  if (page.scrollWidth > window.innerWidth + 1) problems.push(`page is ${page.scrollWidth} px wide in a ${window.innerWidth} px window`);
  return [problems, scrolling];
}"""

LINKS_AND_IMAGES = r"""() => ({
  links: [...document.querySelectorAll('a[href]')].map(a => a.href),
  images: [...document.querySelectorAll('img')].map(i => ({src: i.src, broken: i.complete && i.naturalWidth === 0}))
})"""


def _axe(page, stylesheets: bool = False) -> list[dict]:
    """axe-core's violations on the page (every rule but css-orientation-lock, which needs to re-fetch every
    stylesheet with XMLHttpRequest: from file:// the browser forbids that and logs one CORS error per
    stylesheet). ``stylesheets=True`` runs that one rule alone, with the stylesheets (over HTTP)."""
    page.add_script_tag(path=str(AXE_JS))
    return page.evaluate("""async (stylesheets) => {
      const options = stylesheets ? {runOnly: ['css-orientation-lock'], preload: true} : {preload: false};
      const r = await axe.run(document, {resultTypes: ['violations'], ...options});
      return r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                      targets: v.nodes.slice(0, 3).map(n => n.target.join(' '))}));
    }""", stylesheets)


@functools.lru_cache(maxsize=None)
def _ids(path: Path) -> frozenset[str]:
    return frozenset(re.findall(r'\bid="([^"]+)"', path.read_text(encoding="utf-8", errors="replace")))


def _unresolved(links: list[str], images: list[dict]) -> list[str]:
    bad = []
    for href in links:
        url = urllib.parse.urlparse(href)
        if url.scheme != "file":
            continue
        target = Path(urllib.request.url2pathname(url.path))
        if not target.exists():
            bad.append(f"link to missing {target.name} ({href})")
        elif url.fragment and target.suffix == ".html" and urllib.parse.unquote(url.fragment) not in _ids(target):
            bad.append(f"link to missing anchor #{url.fragment} in {target.name}")
    for img in images:
        url = urllib.parse.urlparse(img["src"])
        if url.scheme == "file" and not Path(urllib.request.url2pathname(url.path)).exists():
            bad.append(f"image {img['src']} missing")
        elif img["broken"]:
            bad.append(f"image {img['src'][:80]} does not load")
    return bad


# --------------------------------------------------------------------------- every page from file://
@pytest.mark.timeout(PAGE_TIMEOUT)
@pytest.mark.parametrize("name", PAGES)
def test_page_offline(name, built_book, browser, record_property):
    """One page from file:// with the network off: nothing external, no error, no raw TeX, accessible (axe),
    nothing too wide or clipped at 1280 and 390 px, every internal link and image resolves."""
    html = built_book.require_html()
    path = html / name
    assert path.exists(), f"{name} was not built"
    visit = Visit(browser, path.as_uri())
    try:
        page = visit.page
        problems = page.evaluate(RAW_TEX)
        for width in WIDTHS:
            page.set_viewport_size({"width": width, "height": 900})
            page.evaluate(TYPESET_DONE)
            found, scrolling = page.evaluate(LAYOUT, width >= 1280)
            problems += [f"at {width} px: {p}" for p in found]
            record_property(f"equations_scrolling_at_{width}px", scrolling)
        page.set_viewport_size({"width": 1280, "height": 900})
        found = page.evaluate(LINKS_AND_IMAGES)
        problems += _unresolved(found["links"], found["images"])
        for v in _axe(page):
            if v["impact"] in ("serious", "critical") or v["id"] not in ALLOWED_MINOR:
                problems.append(f"axe {v['impact']} {v['id']}: {v['help']} at {v['targets']}")
        problems += [f"external request: {u}" for u in visit.external] + visit.errors   # during the whole visit
    finally:
        visit.close()
    assert not problems, f"{name}:\n  " + "\n  ".join(problems[:40])


# --------------------------------------------------------------------------- players
def _drawing(picture) -> str:
    """The SVG markup of a player's picture, without the random ids draw.js gives its clip paths."""
    return re.sub(r"course-clip-\w+", "course-clip", picture.inner_html())


def _check_player(player) -> list[str]:
    """Drive one kernel-free player (course.widgets.player.HtmlPlayer, by its stable element ids) with its controls;
    returns what did not respond. The picture is an SVG redrawn for each frame (its ``data-frame`` says
    which)."""
    from playwright.sync_api import expect

    problems = []
    picture, slider = player.locator('[id$="-img"]'), player.locator('[id$="-slider"]')
    count = player.locator('[id$="-count"]')
    frames = int(slider.get_attribute("max")) + 1
    first = _drawing(picture)
    try:
        expect(count).to_have_text(f"1 / {frames}")
        assert frames > 1, "a player with a single frame"
        assert first.strip(), "the first frame draws nothing"
        player.locator('[id$="-next"]').click()
        expect(count).to_have_text(f"2 / {frames}")
        expect(slider).to_have_value("1")
        expect(picture).to_have_attribute("data-frame", "1")
        assert _drawing(picture) != first, "the next button did not change the picture"
        player.locator('[id$="-prev"]').click()
        expect(count).to_have_text(f"1 / {frames}")
        assert _drawing(picture) == first, "the previous button did not bring the first picture back"
        slider.fill(str(frames - 1))
        expect(count).to_have_text(f"{frames} / {frames}")
        expect(picture).to_have_attribute("data-frame", str(frames - 1))
        slider.fill("0")
        expect(count).to_have_text(f"1 / {frames}")
        play = player.locator('[id$="-play"]')
        play.click()
        expect(count).not_to_have_text(f"1 / {frames}", timeout=20_000)    # it plays ...
        play.click()
        shown = count.inner_text()
        player.page.wait_for_timeout(1500)
        assert count.inner_text() == shown, "the play button did not pause the player"   # ... and pauses
    except AssertionError as exc:
        problems.append(f"player {player.get_attribute('id')}: {exc}")
    return problems


@pytest.mark.timeout(PAGE_TIMEOUT)
def test_every_player_responds_to_its_controls(built_book, browser):
    """Every kernel-free player of the book (offline, from file://) steps, slides and plays."""
    html = built_book.require_html()
    pages = [name for name in PAGES if 'class="course-player"' in (html / name).read_text(encoding="utf-8")]
    players, problems = 0, []
    for name in pages:
        visit = Visit(browser, (html / name).as_uri())
        try:
            for player in visit.page.locator(".course-player").all():
                players += 1
                problems += [f"{name}: {p}" for p in _check_player(player)]
            problems += [f"{name}: {e}" for e in visit.errors + visit.external]
        finally:
            visit.close()
    assert players >= 3, f"only {players} players in the book (pages {pages})"
    assert not problems, "\n".join(problems)


# --------------------------------------------------------------------------- search
def _search(visit_page) -> list[dict]:
    visit_page.wait_for_function(
        "() => /Search finished|did not match/.test(document.querySelector('#search-results')?.innerText || '')",
        timeout=30_000)
    # snippets are typeset after they appear: wait until no formula is left untypeset
    visit_page.wait_for_function(
        "() => [...document.querySelectorAll('#search-results .math')].every(m => m.querySelector('mjx-container'))",
        timeout=30_000)
    return visit_page.evaluate("""() => [...document.querySelectorAll('#search-results ul.search > li')].map(li => ({
        title: li.querySelector('a').textContent, snippet: (li.querySelector('.context') || {}).textContent || '',
        formulas: li.querySelectorAll('.context mjx-container').length}))""")


@pytest.mark.timeout(PAGE_TIMEOUT)
def test_search_from_file_shows_snippets_with_typeset_formulas(built_book, browser):
    """Searching from file:// lists the matching pages, each with a snippet that contains the term, and the
    formulas in the snippets are typeset; no page error (the browser refuses file:// fetches)."""
    html = built_book.require_html()
    visit = Visit(browser, (html / "search.html").as_uri() + "?q=gradient")
    try:
        results = _search(visit.page)
        raw = visit.page.evaluate(RAW_TEX)
        problems = visit.errors + visit.external
    finally:
        visit.close()
    assert len(results) >= 5, f"only {len(results)} results for 'gradient': {results}"
    missing = [r["title"] for r in results if "gradient" not in r["snippet"].lower()]
    assert not missing, f"results without a snippet showing the term: {missing}"
    assert sum(r["formulas"] for r in results) >= 1, "no formula typeset in any snippet"
    assert not raw and not problems, raw + problems


# --------------------------------------------------------------------------- from a static web server
class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def static_server(built_book):
    """The built book served by Python's static file server on 127.0.0.1, an ephemeral port."""
    html = built_book.require_html()
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_QuietHandler, directory=str(html)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


@pytest.mark.timeout(PAGE_TIMEOUT)
def test_pages_from_a_static_server(built_book, browser, static_server):
    """The same pages served over HTTP: nothing requested beyond the server, no error, no raw TeX, and
    search shows snippets; axe's stylesheet rule (it re-fetches the stylesheets, which works over HTTP only)."""
    problems = []
    for name in PAGES:
        visit = Visit(browser, f"http://{static_server}/{name}", allow_host=static_server)
        try:
            problems += [f"{name}: {p}" for p in visit.page.evaluate(RAW_TEX)]
            problems += [f"{name}: axe {v['impact']} {v['id']}: {v['help']}" for v in _axe(visit.page, stylesheets=True)
                         if v["impact"] in ("serious", "critical") or v["id"] not in ALLOWED_MINOR]
            problems += [f"{name}: {e}" for e in visit.errors + [f"external request: {u}" for u in visit.external]]
        finally:
            visit.close()
    visit = Visit(browser, f"http://{static_server}/search.html?q=error", allow_host=static_server)
    try:
        results = _search(visit.page)
        problems += visit.errors
    finally:
        visit.close()
    assert len(results) >= 3 and all("error" in r["snippet"].lower() for r in results), results
    assert not problems, "\n".join(problems[:40])


def test_readme_lists_the_axe_rules_left_on_purpose():
    """Every axe rule the browser tests tolerate is named, with its reason, in the README (it never lies)."""
    readme = (ROOT / "README.md").read_text()
    assert all(f"`{rule}`" in readme for rule in ALLOWED_MINOR), f"README does not list {sorted(ALLOWED_MINOR)}"
