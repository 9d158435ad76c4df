"""A graded release: what students receive when their notebooks are graded.

    python -m utils.release OUT            # write the release into the new folder OUT
    python -m utils.release OUT --zip      # ... and OUT.zip next to it

The release holds the student notebooks (checked to be exactly what the generator makes), the
course's runtime code (``utils/``, ``scripts/``, the Colab profile, the pins, the Makefile) and
a README for students. It leaves out what would give answers away: ``solutions/`` (the worked
notebooks and the hidden tests, which only the grader runs), ``instructors/``, ``tests/`` and
``benchmarks/``; and in ``utils/exercises/`` the right letter and the explanations of every
quiz, so a quiz's ``check()`` records the letter instead of judging it (``📝 ... recorded``).
Checks of coding exercises still say right or wrong: that feedback is the point of them, and the
hidden tests (other inputs, in the instructor's solutions) catch an answer fitted to the
notebook. Grading is done with the instructor's full copy of the course, which has both.
"""

from __future__ import annotations

import argparse
import ast
import datetime as dt
import json
import shutil
import subprocess
import sys
from pathlib import Path

from utils.generate import REPO_ROOT

INCLUDE_DIRS = ("notebooks", "utils", "scripts", "colab", ".devcontainer")
INCLUDE_FILES = ("requirements.txt", "pyproject.toml", "environment.yml", "Makefile",
                 ".gitignore")
LEFT_OUT = ("solutions", "instructors", "tests", "benchmarks")
SKIP = shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints", "runs",
                              "check_*.py")  # scripts/check_*: the course's own CI checks
MARK = "RELEASE.json"

STUDENT_README = """# {title}: graded release

These are the course's notebooks for you to work in, with the code they need. The worked
solutions are not part of this copy; your instructor grades your notebooks with them.

## Set up (once)

    make setup      # Python 3.10-3.13: installs the pinned packages into .venv, builds assets/
    make lab        # opens JupyterLab on the course

On Colab, open a notebook from `notebooks/` and run its first cell.

## Work

Each lesson in `notebooks/` ends with exercises. Replace each
`raise NotImplementedError(...)` line with your code and run the `check(...)` cell below it:
coding exercises say right or wrong with a hint; quizzes only record your letter
(`📝 ... recorded`), your instructor's grader marks them. A second wrong attempt at an exercise
adds a more specific hint, a third names the section to re-read. `python -m utils.progress`
lists every exercise you have checked so far, with ✅ or ❌.

## Before you hand in

Run, in a new cell at the end of the notebook:

    from utils import self_check
    self_check()

It runs a copy of your notebook top to bottom in a fresh kernel, the way the grader does, and
prints what each exercise gets. In JupyterLab it reads the saved file, so save first (Ctrl+S /
Cmd+S); on Colab it reads the open notebook. The grader also runs hidden tests (your functions
on other inputs), so an answer fitted to the notebook's own example can pass here and fail there.
Hand in the `.ipynb` file of each lesson, under its own name (e.g. `03_models_pt.ipynb`).

Made on {date} from the course at commit {commit}.
"""


class ReleaseError(Exception):
    """The release cannot be made; the message says why."""


def strip_quizzes(source: str, name: str) -> tuple[str, int]:
    """The module with every ``quiz(...)`` call's right letter set to None and its explanations
    and second-attempt hint emptied (the letters stay, so an answer is still checked for being
    one of them)."""
    tree = ast.parse(source, filename=name)
    count = 0
    for node in ast.walk(tree):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                and node.func.id == "quiz"):
            continue
        positional = ["exercise_id", "title", "correct", "explanations", "points"]
        arguments = dict(zip(positional, node.args))
        arguments.update({k.arg: k.value for k in node.keywords if k.arg})
        explanations = arguments.get("explanations")
        if not isinstance(explanations, ast.Dict) or "correct" not in arguments:
            raise ReleaseError(f"{name}, line {node.lineno}: a quiz(...) call whose answer "
                               "cannot be removed (write correct=... and a dict literal).")
        emptied = ast.Dict(keys=explanations.keys,
                           values=[ast.Constant("") for _ in explanations.keys])
        arguments["correct"], arguments["explanations"] = ast.Constant(None), emptied
        if "more" in arguments:  # the second-attempt hint leans towards the right letter
            arguments["more"] = ast.Constant("")
        node.args = []
        node.keywords = [ast.keyword(arg=k, value=v) for k, v in arguments.items()]
        count += 1
    return ast.unparse(ast.fix_missing_locations(tree)) + "\n", count


def _commit() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO_ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def make_release(out: Path, root: Path = REPO_ROOT) -> dict:
    """Write the release into ``out`` (a new folder); returns what was written."""
    from utils import generate

    if out.exists():
        raise ReleaseError(f"{out} exists; give a new folder (nothing was written).")
    stale = generate.main(["--check"]) if root == REPO_ROOT else 0
    if stale:
        raise ReleaseError("the student notebooks are not what the generator makes; run "
                           "`python -m utils.generate` first (nothing was written).")
    out.mkdir(parents=True)
    for folder in INCLUDE_DIRS:
        if (root / folder).is_dir():
            shutil.copytree(root / folder, out / folder, ignore=SKIP)
    for name in INCLUDE_FILES:
        if (root / name).is_file():
            shutil.copy2(root / name, out / name)
    quizzes = 0
    for module in sorted((out / "utils" / "exercises").glob("lesson*.py")):
        text, count = strip_quizzes(module.read_text(encoding="utf-8"), module.name)
        module.write_text(text, encoding="utf-8")
        quizzes += count
    info = {"graded_release": True, "made": dt.date.today().isoformat(), "commit": _commit(),
            "notebooks": sorted(p.name for p in (out / "notebooks").glob("*.ipynb")),
            "quizzes_without_answers": quizzes, "left_out": list(LEFT_OUT)}
    (out / MARK).write_text(json.dumps(info, indent=1) + "\n", encoding="utf-8")
    (out / "README.md").write_text(STUDENT_README.format(
        title="Hugging Face transformers in PyTorch and TensorFlow", date=info["made"],
        commit=info["commit"]), encoding="utf-8")
    return info


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.release", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out", type=Path, help="a new folder for the release")
    parser.add_argument("--zip", action="store_true", help="also write OUT.zip")
    args = parser.parse_args(argv)
    try:
        info = make_release(args.out)
    except ReleaseError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    size = sum(p.stat().st_size for p in args.out.rglob("*") if p.is_file())
    print(f"graded release in {args.out}: {len(info['notebooks'])} student notebooks, "
          f"{info['quizzes_without_answers']} quizzes without their answers, "
          f"{size / 2**20:.1f} MiB; left out: {', '.join(info['left_out'])}.")
    if args.zip:
        archive = shutil.make_archive(str(args.out), "zip", root_dir=args.out)
        print(f"archive: {archive}")
    print("Grade the notebooks students hand in with this (the instructor's) copy of the course:"
          " python -m utils.grade submissions/")
    return 0


if __name__ == "__main__":
    sys.exit(main())
