"""Helpers shared by several test modules (not collected: the name does not start with test_)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def committed_outputs(notebook: Path, results: bool = False) -> list[str]:
    """The text of each stdout stream output of a notebook as committed, in order; with
    ``results=True`` the plain-text results of cells (``execute_result``) too."""
    nb = json.loads(notebook.read_text(encoding="utf-8"))
    texts = []
    for cell in nb["cells"]:
        for output in cell.get("outputs", []):
            if output.get("output_type") == "stream" and output.get("name") == "stdout":
                text = output["text"]
            elif results and output.get("output_type") == "execute_result":
                text = output.get("data", {}).get("text/plain", "")
            else:
                continue
            texts.append("".join(text) if isinstance(text, list) else text)
    return texts


def markdown_cells(notebook: Path) -> list[tuple[str, list[str]]]:
    """(text, tags) of every markdown cell of a notebook, in order."""
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return [("".join(c["source"]), c.get("metadata", {}).get("tags", []))
            for c in cells if c["cell_type"] == "markdown"]


def assert_runs_without_tensorflow(code: str, use_tf_0: bool = True) -> subprocess.CompletedProcess:
    """Run ``code`` in a fresh Python at the repository root, then assert that it succeeded and
    never imported TensorFlow. ``use_tf_0`` starts it with ``USE_TF=0``, as a PyTorch lesson's
    kernel runs after ``setup("pt")``; without it, the code must keep TensorFlow out by itself."""
    check = "\nimport sys\nassert 'tensorflow' not in sys.modules, 'TensorFlow was imported'\n"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    if use_tf_0:
        env["USE_TF"] = "0"
    else:
        env.pop("USE_TF", None)
    result = subprocess.run([sys.executable, "-c", code + check], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stderr[-2000:]
    return result
