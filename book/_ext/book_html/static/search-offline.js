/* book_html: search snippets without fetching pages (which file:// forbids), with typeset formulas.
 *
 * Sphinx's searchtools.js fetch()es each result's page to cut a snippet from it. Requests for pages of
 * the book are answered here from window.BOOK_SEARCH_PAGES (written by the build); anything else goes to
 * the real fetch. Each snippet's formulas (\( ... \) in the page text) become math elements that Sphinx's
 * term highlighting leaves alone ("nohighlight") and MathJax typesets; a formula cut by the snippet's
 * window is replaced by an ellipsis.
 */
(function () {
  "use strict";
  var pages = window.BOOK_SEARCH_PAGES || {};
  var realFetch = window.fetch ? window.fetch.bind(window) : null;

  function contentRoot() {
    return new URL(document.documentElement.dataset.content_root || "./", window.location.href).href;
  }

  window.fetch = function (resource, init) {
    var url = new URL(typeof resource === "string" ? resource : resource.url, window.location.href);
    var root = contentRoot();
    url.hash = "";
    url.search = "";
    if (url.href.indexOf(root) === 0) {
      var doc = url.href.slice(root.length).replace(/\.html$/, "");
      if (Object.prototype.hasOwnProperty.call(pages, doc)) {
        var html = '<div role="main">' + pages[doc] + "</div>";
        return Promise.resolve(new Response(html, { headers: { "Content-Type": "text/html" } }));
      }
    }
    return realFetch(resource, init);
  };

  var OPEN = /\\\(|\\\[/g, CLOSE = /\\\)|\\\]/g;

  /* Split a snippet's text into text and formula pieces; a formula cut at either end becomes "…". */
  function pieces(text) {
    var out = [], pos = 0;
    var firstClose = text.search(CLOSE), firstOpen = text.search(OPEN);
    if (firstClose >= 0 && (firstOpen < 0 || firstClose < firstOpen)) {   // starts inside a formula
      out.push({ text: "… ", cut: true });
      pos = firstClose + 2;
    }
    while (pos < text.length) {
      OPEN.lastIndex = pos;
      var open = OPEN.exec(text);
      if (!open) { out.push({ text: text.slice(pos) }); break; }
      out.push({ text: text.slice(pos, open.index) });
      CLOSE.lastIndex = open.index + 2;
      var close = CLOSE.exec(text);
      if (!close) { out.push({ text: " …", cut: true }); break; }       // ends inside a formula
      out.push({ tex: text.slice(open.index + 2, close.index) });
      pos = close.index + 2;
    }
    return out;
  }

  function typesetSnippet(p) {
    var parts = pieces(p.textContent);
    if (!parts.some(function (x) { return x.tex !== undefined || x.cut; })) return;
    p.textContent = "";
    parts.forEach(function (x) {
      if (x.tex === undefined) { p.appendChild(document.createTextNode(x.text)); return; }
      var span = document.createElement("span");
      span.className = "math notranslate nohighlight";
      span.textContent = "\\(" + x.tex + "\\)";
      p.appendChild(span);
    });
    var ready = window.MathJax && window.MathJax.startup && window.MathJax.startup.promise;
    (ready || new Promise(function (resolve) { window.addEventListener("load", resolve); }))
      .then(function () { return window.MathJax.typesetPromise([p]); })
      .catch(function (err) { console.warn("search snippet not typeset:", err); });
  }

  /* searchtools.js defines Search after this file runs and starts searching on DOMContentLoaded, after
     this listener: wrap its snippet maker in between. */
  document.addEventListener("DOMContentLoaded", function () {
    if (typeof Search === "undefined" || !Search.makeSearchSummary) return;   // a const, not window.Search
    var make = Search.makeSearchSummary;
    Search.makeSearchSummary = function () {
      var p = make.apply(this, arguments);
      if (p) typesetSnippet(p);
      return p;
    };
  });
})();
