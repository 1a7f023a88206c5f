"""Every notebook runs with "Run All" in a real JupyterLab, driven by headless Chromium.

Deselected by plain `pytest`; run it with `pytest -m browser tests/test_browser.py`. It needs
Debian's chromium (`apt-get install chromium`, /usr/bin/chromium or $CHROMIUM) and the `playwright`
package from requirements-dev.txt; it fails, never skips, when either is missing.

JupyterLab runs on loopback without a token, with temporary config, data, settings, workspace and
runtime directories, autosave off and notebook windowing off (every cell and output stays in the
page). It serves a temporary copy of notebooks/, so the committed notebooks are never written.
A screenshot per notebook goes to artifacts/screenshots/. A self-test runs a small notebook that
is built to fail, so the checks are known to catch what they look for.
"""

import contextlib
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
# Settings overrides the server hands to the page (file name -> contents, under the settings dir).
LAB_SETTINGS = {
    "@jupyterlab/docmanager-extension/plugin.jupyterlab-settings": {"autosave": False},
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    # no news fetch from the network, no pop-up over the screenshots
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {
        "fetchNews": "false",
        "checkForUpdates": False,
    },
}

# JavaScript run in the page; jupyterapp is exposed by --LabApp.expose_app_in_browser.
JS_READY = """() => {
  const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(k && k.status === 'idle' && w.content && w.content.widgets.length > 0);
}"""
JS_WINDOWING = "() => window.jupyterapp.shell.currentWidget.content.notebookConfig.windowingMode"
# Done when every non-empty code cell has run, or when Run All stopped at an error the cell is not
# tagged to raise (JupyterLab then leaves the cells below it unrun).
JS_DONE = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (w.sessionContext.session.kernel.status !== 'idle') return false;
  const code = w.content.widgets.filter(c => c.model.type === 'code' && c.model.sharedModel.getSource().trim());
  const untaggedError = c => !(c.model.getMetadata('tags') || []).includes('raises-exception')
    && c.model.outputs.toJSON().some(o => o.output_type === 'error');
  return code.every(c => c.model.executionCount !== null) || code.some(untaggedError);
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


def _get_json(url: str):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """(url, folder it serves): JupyterLab on loopback over a copy of notebooks/; stopped at the end."""
    if not CHROMIUM.exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set CHROMIUM)")
    base = tmp_path_factory.mktemp("lab")
    work = base / "notebooks"
    shutil.copytree(ROOT / "notebooks", work, ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    for name, values in LAB_SETTINGS.items():
        path = base / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values))
    env = dict(
        os.environ,
        JUPYTER_CONFIG_DIR=str(base / "config"),
        JUPYTER_DATA_DIR=str(base / "data"),  # no user-level kernel can shadow the venv's python3
        JUPYTER_RUNTIME_DIR=str(base / "runtime"),
        JUPYTERLAB_SETTINGS_DIR=str(base / "settings"),
        JUPYTERLAB_WORKSPACES_DIR=str(base / "workspaces"),
    )
    port = _free_port()
    log = open(base / "lab.log", "w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "jupyterlab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", "--ServerApp.port_retries=0", "--IdentityProvider.token=",
         f"--ServerApp.root_dir={work}", "--LabApp.expose_app_in_browser=True",
         *(["--ServerApp.allow_root=True"] if os.geteuid() == 0 else [])],
        stdout=log, stderr=subprocess.STDOUT, env=env,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 90
        while True:
            try:
                _get_json(f"{url}/api/status")
                break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail("JupyterLab did not start:\n" + (base / "lab.log").read_text()[-3000:])
            time.sleep(0.5)
        for name, values in LAB_SETTINGS.items():
            plugin = name.removesuffix(".jupyterlab-settings").replace("-extension/", "-extension:")
            composite = _get_json(f"{url}/lab/api/settings/{plugin}")["settings"]
            for key, value in values.items():
                assert composite.get(key) == value, f"JupyterLab ignored the setting {plugin} {key}={value!r}"
        yield url, work
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


def run_all(url: str, browser, name: str, screenshot: Path | None = None) -> list[dict]:
    """Open notebook `name` in JupyterLab, clear its outputs, Run All; return what each cell shows."""
    page = browser.new_page(viewport={"width": 1280, "height": 1000})
    try:
        page.goto(f"{url}/lab/tree/{name}?reset", wait_until="domcontentloaded")
        page.wait_for_function(JS_READY, timeout=120_000, polling=500)
        assert page.evaluate(JS_WINDOWING) == "none", "notebook windowing is on: off-screen outputs may be missing"
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        try:
            page.wait_for_function(JS_DONE, timeout=RUN_TIMEOUT_S * 1000, polling=1000)
        finally:
            if screenshot is not None:
                screenshot.parent.mkdir(parents=True, exist_ok=True)
                page.screenshot(path=str(screenshot))
        return page.evaluate(JS_REPORT)
    finally:
        # free the kernel (torch and all) before the next notebook; the server's exit would kill it anyway
        with contextlib.suppress(Exception):
            page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
        page.close()


def problems(cells: list[dict], committed: dict) -> list[str]:
    """What a reader would trip over: unrun cells, untagged errors, committed figures not rendered."""
    had_figure = [any("image/png" in o.get("data", {}) for o in c.get("outputs", [])) for c in committed["cells"]]
    if len(cells) != len(had_figure):
        return [f"JupyterLab shows {len(cells)} cells, the file has {len(had_figure)}"]
    found = []
    for i, (cell, figure) in enumerate(zip(cells, had_figure, strict=True)):
        if cell["type"] != "code" or not cell["source"].strip():
            continue
        if cell["count"] is None:
            found.append(f"cell {i} did not run")
        errors = [o for o in cell["outputs"] if o.get("output_type") == "error"]
        if errors and "raises-exception" not in cell["tags"]:
            found.append(f"cell {i} raised {errors[0].get('ename')}: {errors[0].get('evalue')}")
        if figure and cell["images"] == 0:
            found.append(f"cell {i} has a committed figure but rendered no image")
    return found


@pytest.mark.parametrize("nb_path", NOTEBOOKS, ids=lambda p: p.stem)
def test_run_all_in_jupyterlab(lab, browser, nb_path):
    url, _ = lab
    cells = run_all(url, browser, nb_path.name, screenshot=SCREENSHOTS / f"{nb_path.stem}.png")
    found = problems(cells, json.loads(nb_path.read_text(encoding="utf-8")))
    assert not found, f"{nb_path.name}: " + "; ".join(found)
    assert _get_json(f"{url}/api/kernels") == [], "the notebook's kernel is still running"


def _code(source: str, tags=(), outputs=()) -> dict:
    return {"cell_type": "code", "execution_count": None, "metadata": {"tags": list(tags)},
            "outputs": list(outputs), "source": source}


def test_the_checks_catch_what_they_look_for(lab, browser):
    """A notebook built to fail: each check must fire, and the kernel must be this environment's."""
    url, work = lab
    fake_png = {"output_type": "display_data", "metadata": {},
                "data": {"image/png": "iVBORw0KGgo=", "text/plain": "<Figure>"}}
    nb = {
        "nbformat": 4, "nbformat_minor": 5,
        "metadata": {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"}},
        "cells": [
            _code("import sys\nprint(sys.prefix)"),
            _code("raise KeyError('tagged, so Run All carries on')", tags=["raises-exception"]),
            _code("print('a figure was committed here, none is drawn now')", outputs=[fake_png]),
            _code("# NBVAL_RAISES_EXCEPTION\nraise ValueError('marked only by a comment')"),
            _code("print('never reached')"),
        ],
    }
    for i, cell in enumerate(nb["cells"]):
        cell["id"] = f"selftest-{i}"
    name = "00_browser_selftest.ipynb"
    (work / name).write_text(json.dumps(nb))
    cells = run_all(url, browser, name)

    kernel_prefix = "".join(o.get("text", "") for o in cells[0]["outputs"]).strip()
    assert Path(kernel_prefix).resolve() == Path(sys.prefix).resolve(), (
        f"the notebooks ran in {kernel_prefix}, not in this environment ({sys.prefix})"
    )
    assert problems(cells, nb) == [
        "cell 2 has a committed figure but rendered no image",
        "cell 3 raised ValueError: marked only by a comment",
        "cell 4 did not run",
    ]
