"""Colab: every notebook has an "Open in Colab" badge that points at itself, and a first cell
whose Colab branch installs the course; the branch is exercised in a simulated Colab."""

import json
import os
import re
import sys
import types
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from utils import colab

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted(
    (ROOT / "notebooks").glob("*.ipynb"))


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_badge_points_at_this_notebook(path):
    first_md = next(c for c in cells(path) if c["cell_type"] == "markdown")
    text = "".join(first_md["source"])
    target = colab.badge_target(text)
    assert target == f"{path.parent.name}/{path.name}", f"badge points at {target}"
    assert (ROOT / target).exists()
    assert f"github/{colab.GITHUB_REPO}/blob/{colab.BRANCH}/" in text
    assert "**Estimated time:**" in text and "**Prerequisites:**" in text


def test_readme_badges_point_at_existing_notebooks():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    targets = re.findall(r"colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/(\S+?)\)",
                         readme)
    assert len(targets) >= len(list((ROOT / "solutions").glob("*.ipynb")))
    missing = [t for t in targets if not (ROOT / t).exists()]
    assert not missing, f"README badges point at missing notebooks: {missing}"


def test_badges_are_generated_from_the_one_setting():
    assert colab.sync_badges(check=True) == [], "run: python -m utils.colab badges"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_first_cell_has_the_colab_branch(path):
    first_code = "".join(next(c for c in cells(path) if c["cell_type"] == "code")["source"])
    assert 'if "google.colab" in sys.modules:' in first_code
    assert colab.clone_command() in first_code
    assert "!python -m utils.colab" in first_code
    assert re.search(r"^setup\((\"pt\"|\"tf\"|\"both\")\)$", first_code, re.M)


class FakeIPython:
    """Records the shell commands and magics a cell runs instead of running them."""

    def __init__(self):
        self.calls = []

    def system(self, cmd):
        self.calls.append(("!", cmd))

    def run_line_magic(self, name, line, _stack_depth=1):
        self.calls.append(("%", f"{name} {line}"))


@pytest.fixture(autouse=True)
def restore_environment():
    """setup() sets environment variables meant for a kernel (USE_TF, COURSE_ONLINE, ...);
    give the test process its own back, so later tests and their subprocesses are unaffected."""
    saved = dict(os.environ)
    yield
    os.environ.clear()
    os.environ.update(saved)


def run_first_cell(code, monkeypatch, colab_present):
    python = TransformerManager().transform_cell(code)
    ipython = FakeIPython()
    if colab_present:
        monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    namespace = {"get_ipython": lambda: ipython}
    exec(compile(python, "<first cell>", "exec"), namespace)
    return ipython.calls


def test_colab_branch_clones_installs_and_goes_online(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv("COURSE_ASSETS_DIR", str(tmp_path))  # a fresh Colab: no offline models
    monkeypatch.delenv("COURSE_ONLINE", raising=False)
    code = "".join(next(c for c in cells(ROOT / "solutions" / "01_nlp_frameworks.ipynb")
                        if c["cell_type"] == "code")["source"])
    calls = run_first_cell(code, monkeypatch, colab_present=True)
    assert calls == [("!", colab.clone_command()), ("%", "cd /content/course"),
                     ("!", "python -m utils.colab")]
    from utils import checkpoint

    assert os.environ["COURSE_ONLINE"] == "1"
    assert "Course setup: Colab · Hub checkpoints" in capsys.readouterr().out
    assert checkpoint("encoder", verbose=False) == "bert-base-uncased"


def test_local_branch_runs_no_shell_commands(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    monkeypatch.delenv("COLAB_RELEASE_TAG", raising=False)
    code = "".join(next(c for c in cells(ROOT / "solutions" / "01_nlp_frameworks.ipynb")
                        if c["cell_type"] == "code")["source"])
    assert run_first_cell(code, monkeypatch, colab_present=False) == []


def test_colab_installs_only_what_is_missing():
    pins = {"transformers": "4.50.3", "torch": "2.13.0", "datasets": "5.0.1",
            "tf-keras": "2.21.0", "nbval": "0.11.0"}
    colab_has = {"transformers": "4.57.1", "torch": "2.8.0+cu126", "datasets": "5.0.1"}

    def installed(name):
        if name not in colab_has:
            from importlib.metadata import PackageNotFoundError
            raise PackageNotFoundError(name)
        return colab_has[name]

    # torch stays Colab's GPU build and test tools are not needed; the rest is pinned.
    assert colab.missing(pins, installed) == ["transformers==4.50.3", "tf-keras==2.21.0"]
