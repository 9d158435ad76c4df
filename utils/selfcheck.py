"""``self_check()``: from inside a lesson notebook, see what the grader will see.

    from utils import self_check
    self_check()

It takes the notebook as it is now (on Colab the open notebook itself, from the editor; in
JupyterLab, Jupyter Notebook and VS Code the saved file), runs a copy of it top to bottom in a
fresh kernel with ``python -m utils.grade --self-check`` and prints each exercise's result and the
points. The hidden tests of a graded course are not run (they stay with the instructor), and the
notebook itself is never changed. Standard library only until the grader starts.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

COURSE_ROOT = Path(__file__).resolve().parent.parent
STUDENT_DIR = COURSE_ROOT / "notebooks"
RUN_MARK = "COURSE_GRADER_RUN"  # the grader sets it in every grading kernel (grade/isolation.py)


class SelfCheckError(Exception):
    """The notebook could not be found or read; the message says what to do."""


def _colab_notebook() -> dict | None:
    """The open Colab notebook as the editor has it (unsaved edits included), or None."""
    try:
        from google.colab import _message  # type: ignore[import-not-found]
    except ImportError:
        return None
    reply = _message.blocking_request("get_ipynb", request="", timeout_sec=60)
    notebook = reply.get("ipynb") if isinstance(reply, dict) else None
    if not isinstance(notebook, dict):
        raise SelfCheckError("Colab did not hand over the notebook; run self_check() again, or "
                             "save a copy (File > Download > .ipynb) and grade that file.")
    return notebook


def _open_file() -> Path | None:
    """The file of the running notebook where the front end says which it is."""
    candidates = [os.environ.get("JPY_SESSION_NAME")]  # Jupyter Server (JupyterLab, Notebook 7)
    try:
        from IPython import get_ipython
        shell = get_ipython()
        if shell is not None:
            candidates.append(shell.user_ns.get("__vsc_ipynb_file__"))  # VS Code
            candidates.append(shell.user_ns.get("__session__"))
    except ImportError:
        pass
    for candidate in filter(None, candidates):
        if not str(candidate).endswith(".ipynb"):
            continue
        for path in (Path(candidate), Path.cwd() / Path(candidate).name):  # relative to the server
            if path.is_file():
                return path
    return None


def _sources(notebook: dict) -> list[str]:
    return ["".join(c.get("source", "")) if isinstance(c.get("source"), list)
            else str(c.get("source", "")) for c in notebook.get("cells", [])]


def identify(notebook: dict, student_dir: Path = STUDENT_DIR) -> str:
    """The lesson file name of a notebook whose name is unknown (Colab): the student copy that
    shares the most cells with it."""
    mine = set(_sources(notebook))
    scores = []
    for path in sorted(student_dir.glob("*.ipynb")):
        try:
            theirs = _sources(json.loads(path.read_text(encoding="utf-8")))
        except (OSError, ValueError):
            continue
        scores.append((sum(1 for s in theirs if s.strip() and s in mine), path.name))
    scores.sort(reverse=True)
    if not scores or scores[0][0] == 0 or (len(scores) > 1 and scores[0][0] == scores[1][0]):
        raise SelfCheckError("this notebook does not look like one of the course's lessons; "
                             "call self_check('NN_lesson.ipynb') with the lesson's file name.")
    return scores[0][1]


def _prepare(notebook: str | os.PathLike | None, folder: Path) -> tuple[Path, str]:
    """Write the notebook to check into ``folder``; (that copy, where it came from)."""
    if notebook is not None and str(notebook).endswith(".ipynb") and Path(notebook).is_file():
        source = Path(notebook)
    elif notebook is None and (live := _colab_notebook()) is not None:
        live.setdefault("metadata", {}).setdefault(
            "kernelspec", {"name": "python3", "display_name": "Python 3", "language": "python"})
        copy = folder / identify(live)
        copy.write_text(json.dumps(live, ensure_ascii=False), encoding="utf-8")
        return copy, "the open Colab notebook (as the editor has it now)"
    elif notebook is None:
        source = _open_file()
        if source is None:
            raise SelfCheckError("cannot tell which notebook this is; call it with the path, "
                                 "e.g. self_check('03_models_pt.ipynb').")
    else:
        raise SelfCheckError(f"no notebook at {notebook}; give the path of a saved .ipynb file.")
    age = time.time() - source.stat().st_mtime
    copy = folder / source.name
    copy.write_bytes(source.read_bytes())
    return copy, (f"{source.name} as saved {age:.0f} s ago (the saved file, not the editor: "
                  "save first, Ctrl+S / Cmd+S)")


def self_check(notebook: str | os.PathLike | None = None, timeout: float = 600) -> int | None:
    """Run the grader's self-check on this notebook (or on ``notebook``, a path) and print what
    it finds. Returns the grader's exit status, or None when nothing was run."""
    if os.environ.get(RUN_MARK):
        print("self_check() does nothing while the notebook is being graded.")
        return None
    with tempfile.TemporaryDirectory(prefix="self-check-") as tmp:
        folder = Path(tmp) / "submissions" / "you"  # the grader names the student "you"
        folder.mkdir(parents=True)
        try:
            copy, origin = _prepare(notebook, folder)
        except SelfCheckError as err:
            print(f"self_check: {err}")
            return None
        print(f"Self-check of {origin}: a copy runs top to bottom in a fresh kernel, as the "
              "grader runs it (a minute or more for lessons that train) ...", flush=True)
        command = [sys.executable, "-m", "utils.grade", "--self-check", str(copy),
                   "--report-dir", str(Path(tmp) / "reports"), "--timeout", str(timeout)]
        environment = {**os.environ, "PYTHONPATH": os.pathsep.join(
            [str(COURSE_ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
        process = subprocess.Popen(command, cwd=COURSE_ROOT, env=environment, text=True,
                                   stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert process.stdout is not None
        for line in process.stdout:
            if tmp in line:  # the temporary folder means nothing to the learner
                line = line.replace(str(Path(tmp) / "reports") + os.sep, "").replace(tmp, ".")
            print(line, end="", flush=True)
        return process.wait()
