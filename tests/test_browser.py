"""End to end in a real browser: JupyterLab serves the course (loopback, token), headless
Chromium opens a lesson, runs every cell through the UI, and no cell ends in an error."""

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LESSON = "01_nlp_frameworks.ipynb"
SCREENSHOT = ROOT / "runs" / "browser" / "01_nlp_frameworks.png"
CHROMIUM = os.environ.get("COURSE_CHROMIUM") or shutil.which("chromium") or \
    shutil.which("chromium-browser")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]

if not CHROMIUM:
    if os.environ.get("CI"):
        pytest.fail("Chromium is missing: .ci/run installs it with apt-get", pytrace=False)
    pytest.skip("no Chromium found (install Debian's chromium, or set COURSE_CHROMIUM)",
                allow_module_level=True)
playwright = pytest.importorskip("playwright.sync_api")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    """JupyterLab on 127.0.0.1 with a random token, serving a copy of one lesson."""
    root = tmp_path_factory.mktemp("lab")
    (root / "notebooks").mkdir()
    nb = json.loads((ROOT / "solutions" / LESSON).read_text())
    for cell in nb["cells"]:  # start from a notebook that has never run
        if cell["cell_type"] == "code":
            cell["outputs"], cell["execution_count"] = [], None
    (root / "notebooks" / LESSON).write_text(json.dumps(nb))
    port, token = free_port(), secrets.token_hex(16)
    jupyter = Path(sys.executable).with_name("jupyter")
    proc = subprocess.Popen(
        [str(jupyter), "lab", "--no-browser", "--ServerApp.ip=127.0.0.1",
         f"--ServerApp.port={port}", f"--IdentityProvider.token={token}",
         f"--ServerApp.root_dir={root}", "--LabApp.news_url=''",
         "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
         *(["--allow-root"] if os.geteuid() == 0 else [])],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                with urllib.request.urlopen(f"{base}/api/status?token={token}", timeout=2):
                    break
            except OSError:
                time.sleep(0.5)
        else:
            pytest.fail("JupyterLab did not answer within 60 s")
        yield base, token, root
    finally:
        proc.terminate()
        proc.wait(timeout=30)


def test_server_needs_the_token(lab):
    base, token, _ = lab
    with pytest.raises(urllib.error.HTTPError) as info:
        urllib.request.urlopen(f"{base}/api/contents", timeout=5)
    assert info.value.code == 403
    with urllib.request.urlopen(f"{base}/api/contents?token={token}", timeout=5) as reply:
        assert reply.status == 200


def test_lesson_runs_in_the_browser(lab):
    base, token, root = lab
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    with playwright.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{base}/lab/tree/notebooks/{LESSON}?token={token}")
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=120_000)
        # JupyterLab may ask which kernel to start: take the one the notebook names.
        try:
            page.click(".jp-Dialog .jp-mod-accept", timeout=10_000)
        except playwright.TimeoutError:
            pass
        page.wait_for_selector("text=Python 3 (ipykernel) | Idle", timeout=120_000)
        # Run > Run All Cells, through the menus.
        page.click(".lm-MenuBar-itemLabel:text-is('Run')")
        page.click(".lm-Menu-itemLabel:text-is('Run All Cells')")
        # Wait until every code cell has an execution count (no "[ ]" or "[*]" prompts).
        page.wait_for_function(
            """() => {
                const prompts = [...document.querySelectorAll('.jp-CodeCell .jp-InputPrompt')];
                return prompts.length > 0 && prompts.every(p => /\\[\\d+\\]/.test(p.textContent));
            }""", timeout=300_000)
        news = page.locator(".jp-toast-button:text-is('No')")
        if news.count():
            news.first.click()  # the "official Jupyter news?" question
        page.keyboard.press("Control+s")
        time.sleep(2)
        errors = page.locator(".jp-OutputArea-output[data-mime-type="
                              "'application/vnd.jupyter.stderr'] .ansi-red-fg").count()
        page.screenshot(path=str(SCREENSHOT), full_page=False)
        browser.close()
    saved = json.loads((root / "notebooks" / LESSON).read_text())
    code = [c for c in saved["cells"] if c["cell_type"] == "code"]
    assert all(c["execution_count"] for c in code), "some cells did not run"
    failed = [c["source"][:60] for c in code
              if any(o["output_type"] == "error" for o in c["outputs"])]
    assert not failed and not errors, f"cells ended in an error: {failed}"
    assert any(o["output_type"] == "display_data" for c in code for o in c["outputs"]), \
        "the lesson's figure was not rendered"
    assert SCREENSHOT.stat().st_size > 10_000
