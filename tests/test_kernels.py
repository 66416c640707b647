"""Kernels our tools start talk over Unix sockets (``autograder/kernels.py``): the release's validation, nbval
(``tests/nbval_ipc.py``), the book's chapters, the benchmarks.

Each check runs a cell that reads the kernel's own connection file and asserts ``"transport": "ipc"``; the
same cell fails in a kernel started nbclient's default way (TCP: the first NotebookClient check), so the check
can fail.
"""
from __future__ import annotations

import os
import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest

from autograder import kernels

ROOT = Path(__file__).resolve().parent.parent
NBVAL_IPC = Path(__file__).with_name("nbval_ipc.py")
TRANSPORT_CELL = ("import json, ipykernel\n"
                  "transport = json.load(open(ipykernel.get_connection_file()))['transport']\n"
                  "assert transport == 'ipc', f'the kernel talks over {transport}'")

pytestmark = [pytest.mark.timeout(240), pytest.mark.slow]


def _notebook(source: str = TRANSPORT_CELL):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


@pytest.fixture
def restore_defaults(monkeypatch):
    """Undo :func:`autograder.kernels.use_ipc_kernels` after the test (it changes process-wide defaults)."""
    import nbval.kernel
    from nbclient import NotebookClient

    monkeypatch.setattr(NotebookClient, "_kernel_manager_class_default", NotebookClient._kernel_manager_class_default)
    monkeypatch.setattr(nbval.kernel, "KernelManager", nbval.kernel.KernelManager)


def test_a_kernel_gets_a_private_socket_folder_removed_with_it():
    km, kc = kernels.start_ipc_kernel()
    try:
        info = km.get_connection_info()
        folder = Path(info["ip"]).parent
        assert info["transport"] == "ipc" and Path(info["ip"]).is_absolute()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700, "other users could reach the kernel's sockets"
        assert len(f"{info['ip']}-{info['hb_port']}") < 100, "too long for a Unix socket path"
        reply = kc.execute_interactive(TRANSPORT_CELL, timeout=60)
        assert reply["content"]["status"] == "ok", reply["content"]
        km.restart_kernel(now=True)             # the same paths serve the restarted kernel
        kc.wait_for_ready(timeout=60)
        assert kc.execute_interactive("1 + 1", timeout=60)["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert not folder.exists(), "the socket folder outlives its kernel"


def test_a_long_temp_folder_cannot_make_a_socket_path_too_long(tmp_path, monkeypatch):
    """CI clones to /check/work/main and pytest's tmp_path is long: with a temp folder longer than a Unix socket
    path may be, the kernel's sockets go to a private folder in /tmp and the kernel still runs."""
    deep = tmp_path / ("long-folder-name-" * 8)
    deep.mkdir()
    assert len(os.fsencode(str(deep))) > 108          # a socket in it could not even be bound
    monkeypatch.setattr(tempfile, "tempdir", str(deep))
    km, kc = kernels.start_ipc_kernel()
    try:
        info = km.get_connection_info()
        folder = Path(info["ip"]).parent
        assert folder.parent == Path("/tmp") and folder.stat().st_uid == os.getuid()
        assert stat.S_IMODE(folder.stat().st_mode) == 0o700
        assert max(len(os.fsencode(f"{info['ip']}-{info[f'{c}_port']}"))
                   for c in ("shell", "iopub", "stdin", "control", "hb")) <= 107
        assert kc.execute_interactive(TRANSPORT_CELL, timeout=60)["content"]["status"] == "ok"
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)
    assert not folder.exists()
    assert not any(deep.iterdir()), "a folder left in the long temp folder"


def test_notebook_clients_default_to_unix_sockets(restore_defaults):
    """What myst-nb and jupyter-cache do: a NotebookClient with its default kernel manager."""
    from nbclient import NotebookClient
    from nbclient.exceptions import CellExecutionError

    with pytest.raises(CellExecutionError, match="the kernel talks over tcp"):
        NotebookClient(_notebook(), timeout=60).execute()
    kernels.use_ipc_kernels()
    NotebookClient(_notebook(), timeout=60).execute()


def test_nbval_runs_kernels_over_unix_sockets(tmp_path):
    notebook = tmp_path / "transport.ipynb"
    nbformat.write(_notebook(), notebook)
    env = {**os.environ, "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1", "JUPYTER_RUNTIME_DIR": str(tmp_path / "rt")}
    args = ["-p", "nbval", "--nbval-lax", "-q", "-p", "no:cacheprovider", f"--rootdir={tmp_path}", "-o", "addopts=",
            str(notebook)]
    ours = subprocess.run([sys.executable, str(NBVAL_IPC), *args], cwd=tmp_path, env=env, capture_output=True,
                          text=True, timeout=180)
    assert ours.returncode == 0 and "1 passed" in ours.stdout, ours.stdout[-2000:] + ours.stderr[-2000:]


def test_release_validation_kernels_use_unix_sockets():
    from autograder.authoring import validation

    nb = _notebook()
    nb.cells[0].metadata["nbgrader"] = {"grade": True, "grade_id": "transport", "points": 1, "locked": True,
                                        "solution": False, "schema_version": 3, "task": False}
    text = nbformat.writes(nb)
    report = validation.validate("transport", text, text, timeout=60)
    assert report.reference_failures == [], report.report()


def test_book_chapter_kernels_use_unix_sockets(restore_defaults, tmp_path, monkeypatch):
    """A chapter as book/_ext/parallel_execution's workers execute it (myst-nb's own path: the test above)."""
    monkeypatch.syspath_prepend(str(ROOT / "book" / "_ext"))
    from parallel_execution import _execute

    _, error, _ = _execute(nbformat.writes(_notebook()), str(tmp_path), 60, False)
    assert error is None, error
