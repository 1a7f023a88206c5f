"""Every notebook runs with "Run All" in a real JupyterLab, driven by headless Chromium.

Deselected by plain `pytest`; run it with `pytest -m browser`. It needs Debian's chromium
(`apt-get install chromium`, /usr/bin/chromium or $CHROMIUM) and the `playwright` package from
requirements-dev.txt; it fails, never skips, when either is missing. JupyterLab serves a
temporary copy of notebooks/, so the committed notebooks are never written. A screenshot per
notebook goes to artifacts/screenshots/.
"""

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
CHROMIUM = Path(os.environ.get("CHROMIUM", "/usr/bin/chromium"))
SCREENSHOTS = ROOT / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
]
RUN_TIMEOUT_S = 240

# JavaScript run in the page; jupyterapp is exposed by --LabApp.expose_app_in_browser.
JS_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(k && k.status === 'idle' && w.content && w.content.widgets.length > 0);
}"""
JS_DONE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const code = w.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
  const k = w.sessionContext.session.kernel;
  return k.status === 'idle' && code.every(c => c.model.executionCount !== null);
}"""
JS_REPORT = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  return w.content.widgets.map(c => ({
    type: c.model.type,
    source: c.model.sharedModel.getSource(),
    count: c.model.type === 'code' ? c.model.executionCount : null,
    tags: c.model.getMetadata('tags') || [],
    outputs: c.model.type === 'code' ? c.model.outputs.toJSON() : [],
    images: c.node.querySelectorAll('.jp-OutputArea img').length,
  }));
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """A JupyterLab server on loopback over a copy of notebooks/; stopped at the end."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set CHROMIUM)")
    base = tmp_path_factory.mktemp("lab")
    work = base / "notebooks"
    shutil.copytree(ROOT / "notebooks", work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    port, token = _free_port(), "posenc-browser-test"
    # no news fetch from the network, no pop-up over the screenshots
    news = base / "settings" / "@jupyterlab" / "apputils-extension" / "notification.jupyterlab-settings"
    news.parent.mkdir(parents=True)
    news.write_text(json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    env = dict(
        os.environ,
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
    )
    log = open(base / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}", f"--ServerApp.root_dir={work}",
         "--LabApp.expose_app_in_browser=True", "--ServerApp.port_retries=0",
         *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else [])],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status?token={token}", timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (base / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
        yield url, token
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


@pytest.fixture(scope="module")
def browser():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("playwright is not installed: pip install -r requirements-dev.txt")
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set CHROMIUM)")
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


def _committed_has_figure(nb_path: Path) -> list[bool]:
    cells = json.loads(nb_path.read_text(encoding="utf-8"))["cells"]
    return [any("image/png" in o.get("data", {}) for o in c.get("outputs", [])) for c in cells]


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_run_all_in_jupyterlab(lab, browser, nb_path):
    url, token = lab
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(f"{url}/lab/tree/{nb_path.name}?token={token}&reset", wait_until="domcontentloaded")
        page.wait_for_function(JS_READY, timeout=120_000, polling=500)
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            page.wait_for_function(JS_DONE, timeout=RUN_TIMEOUT_S * 1000, polling=1000)
        finally:
            SCREENSHOTS.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(SCREENSHOTS / f"{nb_path.stem}.png"))
        cells = page.evaluate(JS_REPORT)
    finally:
        page.close()

    had_figure = _committed_has_figure(nb_path)
    assert len(cells) == len(had_figure), "JupyterLab shows a different number of cells"
    problems = []
    for i, (cell, figure) in enumerate(zip(cells, had_figure, strict=True)):
        if cell["type"] != "code" or not cell["source"].strip():
            continue
        if cell["count"] is None:
            problems.append(f"cell {i} did not run")
        errors = [o for o in cell["outputs"] if o.get("output_type") == "error"]
        if errors and "raises-exception" not in cell["tags"]:
            problems.append(f"cell {i} raised {errors[0].get('ename')}: {errors[0].get('evalue')}")
        if figure and cell["images"] == 0:
            problems.append(f"cell {i} has a committed figure but rendered no image")
    assert not problems, f"{nb_path.name}: " + "; ".join(problems)
