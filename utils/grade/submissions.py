"""Which files are submissions, whose, for which lesson; and reading one safely (a submission is
untrusted input: any size, any nesting, any file type, symlinks)."""

from __future__ import annotations

import json
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import nbformat

from utils.generate import REPO_ROOT

SOLUTIONS = REPO_ROOT / "solutions"
MAX_NOTEBOOK_BYTES = 50_000_000   # a bigger file is not read at all
MAX_NESTING = 64                  # notebooks nest about 6 deep; JSON bombs nest thousands


class UsageError(Exception):
    """Bad command-line input; the message says what to do."""


@dataclass
class Submission:
    path: Path
    student: str
    solution: Path | None
    note: str = ""
    refused: str = ""       # why it is not graded at all (then it gets 0 and a report line)


def student_id(path: Path) -> str:
    """The folder right below the last ``submissions`` folder in the path, else the file stem."""
    parts = Path(os.path.abspath(path)).parts[:-1]
    if "submissions" in parts:
        below = len(parts) - parts[::-1].index("submissions")
        if below < len(parts):
            return parts[below]
    return path.stem


def match_solution(path: Path, solutions: Path = SOLUTIONS) -> tuple[Path | None, str]:
    """The solution notebook a submission belongs to: same file name, or else the one lesson
    name the file name contains."""
    exact = solutions / path.name
    if exact.is_file():
        return exact, ""
    names = [p for p in sorted(solutions.glob("*.ipynb")) if p.stem in path.stem]
    longest = max((len(p.stem) for p in names), default=0)
    names = [p for p in names if len(p.stem) == longest]
    if len(names) == 1:
        return names[0], f"matched to {names[0].name} by its name"
    return None, ""


def _walk(folder: Path):
    """Every ``*.ipynb`` under ``folder`` without following symlinked folders: (path, link),
    where ``link`` is a symlink on the way (the file itself or a folder), or None."""
    for root, dirs, files in os.walk(folder, followlinks=False):
        dirs[:] = sorted(d for d in dirs if d != ".ipynb_checkpoints")
        for name in sorted(dirs):
            sub = Path(root) / name
            if sub.is_symlink():
                for path, _ in _walk_link(sub):
                    yield path, sub
        for name in sorted(files):
            if name.endswith(".ipynb"):
                path = Path(root) / name
                yield path, (path if path.is_symlink() else None)


def _walk_link(link: Path):
    target = link.resolve()
    if target.is_dir():
        for path in sorted(target.rglob("*.ipynb")):
            if ".ipynb_checkpoints" not in path.parts:
                yield link / path.relative_to(target), link


def _inside(path: Path, folder: Path) -> bool:
    try:
        path.resolve().relative_to(folder.resolve())
        return True
    except ValueError:
        return False


def collect(paths: list[str], solutions: Path = SOLUTIONS) -> tuple[list[Submission], list[str]]:
    """Submissions named on the command line (files, or folders searched for ``*.ipynb``).
    A symlink is graded when it points inside the folder given, with a note; one that points
    outside it is refused (listed in the report with 0 points)."""
    submissions, skipped = [], []
    known = ", ".join(p.name for p in sorted(solutions.glob("*.ipynb")))
    for raw in paths:
        path = Path(raw)
        if not path.exists() and not path.is_symlink():
            raise UsageError(f"{raw}: no such file or folder.")
        if path.is_dir():
            found = list(_walk(path))
            if not found:
                raise UsageError(f"{raw}: no .ipynb notebook in this folder.")
            for p, link in found:
                solution, note = match_solution(p, solutions)
                if solution is None:
                    skipped.append(f"{p}: no lesson of this name (lessons: {known}); skipped.")
                    continue
                sub = Submission(p, student_id(p), solution, note)
                if link is not None:
                    target = p.resolve()
                    if not _inside(target, path):
                        sub.refused = (f"{link} is a symlink to {target}, outside the submissions "
                                       "folder; not graded.")
                    elif not target.is_file():
                        sub.refused = f"{link} is a symlink to {target}, which is not a file."
                    else:
                        sub.note = "; ".join(filter(None, [note, f"{link} is a symlink to "
                                                           f"{target.relative_to(path.resolve())}"]))
                submissions.append(sub)
        else:
            solution, note = match_solution(path, solutions)
            if solution is None:
                raise UsageError(f"{raw}: no solution notebook matches this file name. Name the "
                                 f"notebook like its lesson, one of: {known}.")
            sub = Submission(path, student_id(path), solution, note)
            if not path.is_file():
                sub.refused = f"{path} is not a file (a broken symlink?); not graded."
            submissions.append(sub)
    return submissions, skipped


def _depth(value) -> int:
    """Nesting depth of parsed JSON, without recursion."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        deepest = max(deepest, depth)
        if depth > MAX_NESTING:
            return depth
        if isinstance(item, dict):
            stack.extend((v, depth + 1) for v in item.values())
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return deepest


def read_submission(path: Path):
    """(notebook, None) for a usable notebook, else (None, what is wrong with it). Never raises
    on bad content: too big, too deeply nested, not UTF-8, not JSON, not a notebook."""
    size = path.stat().st_size
    if size > MAX_NOTEBOOK_BYTES:
        return None, (f"not graded: the file is {size / 1e6:.0f} MB, over the "
                      f"{MAX_NOTEBOOK_BYTES / 1e6:.0f} MB limit (clear the outputs and save "
                      f"again).")
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
        data = json.loads(text)
    except UnicodeDecodeError:
        return None, "not a notebook: the file is not UTF-8 text."
    except json.JSONDecodeError as err:
        return None, f"not a notebook: not valid JSON ({err.msg}, line {err.lineno})."
    except RecursionError:
        return None, "not a notebook: the JSON is nested too deeply."
    if _depth(data) > MAX_NESTING:
        return None, f"not a notebook: the JSON is nested more than {MAX_NESTING} levels deep."
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, "not a notebook: valid JSON, but it has no list of cells."
    try:
        if data.get("nbformat") not in (3, 4):
            raise ValueError(f"nbformat {data.get('nbformat')!r} (the grader reads 4)")
        nb = nbformat.reads(text, as_version=4)
        if nb.nbformat_minor < 5 and any("id" in cell for cell in nb.cells):
            nb.nbformat_minor = 5  # cell ids came with 4.5; some front-ends write them earlier
        with warnings.catch_warnings():  # a missing cell id is repaired here, not an error
            warnings.simplefilter("ignore")
            _, fixed = nbformat.validator.normalize(nb, strip_invalid_metadata=True)
        nb = nbformat.from_dict(fixed)  # front-ends' harmless quirks repaired, then validated
        nbformat.validate(nb)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return None, f"not a valid notebook: {first[:200]}"
    spec = nb.metadata.get("kernelspec")
    if not spec:
        return None, ("the notebook has no kernel spec (metadata.kernelspec): save it from "
                      "Jupyter with a Python 3 kernel.")
    language = str(spec.get("language", "python")).lower()
    if not language.startswith("python"):
        return None, f"the notebook's kernel runs {language[:40]}, not Python."
    return nb, None
