"""Debian's Chromium driven by Playwright, for the browser benchmarks and the browser tests.

Playwright cannot download its own browsers here; it drives the system's ``/usr/bin/chromium``
(``make venv`` installs it) headless, without a sandbox (root in CI), GPU or background traffic.
"""
from __future__ import annotations

import contextlib
import os
import shutil

CHROMIUM = os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update"]

__all__ = ["CHROMIUM", "FLAGS", "available", "chromium_page"]


def available() -> str:
    """'' when Chromium and Playwright are usable, else the reason why not (a sentence)."""
    if not os.path.exists(CHROMIUM):
        return f"no Chromium at {CHROMIUM} (Debian package 'chromium'; `make venv` installs it as root)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements.txt)"
    return ""


@contextlib.contextmanager
def chromium_page(width: int = 1400, height: int = 900):
    """A fresh page of a new headless Chromium (closed afterwards)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=FLAGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            yield page
        finally:
            browser.close()


@contextlib.contextmanager
def student_lab(root_dir, env_extra=None, timeout: float = 60.0):
    """JupyterLab as a student runs it (``course/jupyter`` on ``JUPYTER_CONFIG_PATH``) on 127.0.0.1 at a
    free port the server picks, serving ``root_dir``; yields its base URL with the token. Stopped afterwards."""
    import json
    import secrets
    import signal
    import subprocess
    import sys
    import tempfile
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[1]
    token = secrets.token_hex(16)
    with tempfile.TemporaryDirectory(prefix="course-lab-") as state:
        env = {**os.environ, "JUPYTER_CONFIG_PATH": str(root / "course" / "jupyter"),
               "JUPYTER_CONFIG_DIR": os.path.join(state, "config"), "JUPYTER_RUNTIME_DIR": os.path.join(state, "rt"),
               "IPYTHONDIR": os.path.join(state, "ipython"), "JUPYTER_PLATFORM_DIRS": "1", **(env_extra or {})}
        cmd = [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1", "--ServerApp.port=0",
               f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={root_dir}",
               "--ServerApp.open_browser=False", "--ServerApp.allow_root=True", "--LabApp.news_url=", "--LabApp.check_for_updates_class="
               "jupyterlab.NeverCheckForUpdate"]
        log = open(os.path.join(state, "lab.log"), "w+")
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)
        try:
            deadline = time.monotonic() + timeout
            url = None
            while url is None:
                if proc.poll() is not None or time.monotonic() > deadline:
                    log.seek(0)
                    raise RuntimeError(f"JupyterLab did not start:\n{log.read()[-3000:]}")
                for f in Path(env["JUPYTER_RUNTIME_DIR"]).glob("jpserver-*.json"):
                    info = json.loads(f.read_text() or "{}")
                    if info.get("port"):
                        url = f"http://127.0.0.1:{info['port']}"
                time.sleep(0.2)
            yield url, token
        finally:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
                try:
                    proc.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    os.killpg(proc.pid, signal.SIGKILL)
                    proc.wait()
            log.close()
