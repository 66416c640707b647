"""Sphinx extension ``parallel_execution``: execute the book's outdated chapters side by side, then build as usual.

myst-nb (``execute_notebooks: cache``) executes each chapter while Sphinx reads it, one after the other. Before
reading starts (``env-before-read-docs``), this extension finds the chapters about to be read whose outputs are not
in the jupyter-cache yet, executes them in parallel worker processes (one kernel each, as many workers as cores,
capped by ``BOOK_EXECUTION_WORKERS`` if set) and stores the results in the same cache, exactly as myst-nb would.
myst-nb then finds every chapter cached and only renders it.

Nothing else changes: a notebook is read with myst-nb's own reader (so the cache key is the one myst-nb computes),
executed by jupyter-cache's ``single_nb_execution`` in the notebook's folder with the configured timeout, and a
chapter whose execution fails is left out of the cache, so that myst-nb executes it again in order and reports the
error as usual (``nb_execution_raise_on_error``).
"""
from __future__ import annotations

import os
from concurrent.futures import ProcessPoolExecutor
from multiprocessing import get_context
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

LOGGER = logging.getLogger(__name__)


def _workers(n_jobs: int) -> int:
    requested = os.environ.get("BOOK_EXECUTION_WORKERS")
    cores = int(requested) if requested and requested.isdigit() and int(requested) > 0 else (os.cpu_count() or 1)
    return max(1, min(cores, n_jobs))


def _execute(notebook_json: str, cwd: str, timeout, allow_errors: bool) -> tuple[str, str | None, float]:
    """Worker: execute one notebook (JSON text) in ``cwd``; returns (executed JSON, error text or None, seconds)."""
    import nbformat
    from jupyter_cache.executors.utils import single_nb_execution

    from autograder.kernels import use_ipc_kernels

    use_ipc_kernels()              # over Unix sockets; a spawned worker starts from a fresh interpreter
    notebook = nbformat.reads(notebook_json, as_version=4)
    result = single_nb_execution(notebook, cwd=cwd, timeout=timeout, allow_errors=allow_errors, meta_override=True)
    error = None if result.err is None else (result.exc_string or repr(result.err))
    return nbformat.writes(notebook), error, result.time


def _outdated_notebooks(app: Sphinx, docnames) -> list[tuple[str, Path, object, object]]:
    """(docname, path, notebook, reader) of the documents about to be read that need executing."""
    from jupyter_cache import get_cache
    from myst_nb.core.read import create_nb_reader

    nb_config = app.env.mystnb_config
    cache = get_cache(nb_config.execution_cache_path)
    todo = []
    for docname in sorted(docnames):
        path = Path(app.env.doc2path(docname))
        if path.suffix not in (".md", ".ipynb") or not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        reader = create_nb_reader(str(path), app.env.myst_config, nb_config, text)
        if reader is None:
            continue
        notebook = reader.read(text)
        if not any(cell.cell_type == "code" for cell in notebook.cells):
            continue
        try:
            cache.match_cache_notebook(notebook)
        except KeyError:
            todo.append((docname, path, notebook, reader))
    return todo


def execute_outdated(app: Sphinx, env, docnames) -> None:
    nb_config = env.mystnb_config
    if nb_config.execution_mode != "cache" or not docnames:
        return
    import nbformat
    from jupyter_cache import get_cache
    from jupyter_cache.base import CacheBundleIn

    todo = _outdated_notebooks(app, docnames)
    if len(todo) < 2:            # nothing to gain: myst-nb executes a single chapter itself
        return
    workers = _workers(len(todo))
    LOGGER.info(f"parallel_execution: executing {len(todo)} chapters in {workers} worker processes")
    cache = get_cache(nb_config.execution_cache_path)
    with ProcessPoolExecutor(max_workers=workers, mp_context=get_context("spawn")) as pool:
        jobs = {pool.submit(_execute, nbformat.writes(notebook), str(path.parent), nb_config.execution_timeout,
                            nb_config.execution_allow_errors): (docname, path, reader)
                for docname, path, notebook, reader in todo}
        for job, (docname, path, reader) in jobs.items():
            try:
                executed_json, error, seconds = job.result()
            except Exception as exc:  # a worker that died: leave the chapter to myst-nb
                LOGGER.info(f"parallel_execution: {docname}: not executed in parallel ({exc!r})")
                continue
            if error is not None:     # myst-nb executes it again and reports the error in its usual way
                LOGGER.info(f"parallel_execution: {docname}: failed in parallel, left to myst-nb")
                continue
            stage = cache.add_nb_to_project(str(path), read_data=reader.read_fmt)
            cache.cache_notebook_bundle(
                CacheBundleIn(nbformat.reads(executed_json, as_version=4), stage.uri,
                              data={"execution_seconds": seconds}),
                check_validity=False, overwrite=True)
            LOGGER.info(f"parallel_execution: {docname}: executed in {seconds:.2f} seconds")


def setup(app: Sphinx) -> dict:
    app.connect("env-before-read-docs", execute_outdated)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
