"""Write the student notebooks in ``notebooks/`` from the solutions in ``solutions/``.

The solutions are the single source. In a code cell, the lines between ``# BEGIN SOLUTION``
and ``# END SOLUTION`` become a stub::

    # YOUR CODE HERE
    raise NotImplementedError("Exercise 00.1: replace this line with your code")

Student copies have their outputs cleared; stub cells are tagged ``raises-exception`` so that
``pytest --nbval-lax`` runs them through. Cells tagged ``hidden-tests`` hold grader-only checks
(see ``utils.grade``): they run in the solution, and the student copy leaves them out.
``--check`` fails when a committed student copy is not exactly what the generator makes.

Learner work is never overwritten: each student copy records a checksum of its cells as
generated, and a copy whose cells were edited since is left alone (``--force`` replaces it).

    python -m utils.generate            # write notebooks/*.ipynb
    python -m utils.generate --check    # verify, change nothing
    python -m utils.generate --execute solutions/03_models_pt.ipynb   # re-run, then write
"""

from __future__ import annotations

import argparse
import copy
import difflib
import hashlib
import json
import re
import sys
from pathlib import Path

import nbformat

REPO_ROOT = Path(__file__).resolve().parent.parent
BEGIN, END = "# BEGIN SOLUTION", "# END SOLUTION"
STUB_TAG = "raises-exception"
HIDDEN_TAG = "hidden-tests"  # grader-only cells: kept in solutions/, removed from notebooks/
_COLAB_LINK = re.compile(r"(colab\.research\.google\.com/github/[^/\s]+/[^/\s]+/blob/[^/\s]+/)"
                         r"solutions/")
_EXERCISE_ID = re.compile(r"""check\(\s*["']([\w.]+)["']""")
_TOP_LEVEL_CHECK = re.compile(r"""^check\(\s*["'][\w.]+["']""", re.MULTILINE)
NOTEBOOK_METADATA = {"kernelspec", "language_info"}  # "course" is written by the generator
CELL_METADATA = {"tags", "jupyter", "collapsed", "scrolled", "editable", "deletable"}


class NotebookError(ValueError):
    """A notebook the generator cannot use; the message names the file and the problem."""


def read_notebook(path: Path):
    try:
        nb = nbformat.read(str(path), as_version=4)
    except FileNotFoundError:
        raise NotebookError(f"{path}: no such notebook.") from None
    except (json.JSONDecodeError, nbformat.reader.NotJSONError, UnicodeDecodeError) as err:
        raise NotebookError(f"{path}: not a valid notebook (not JSON: {err}).") from None
    except Exception as err:  # nbformat's own validation errors
        raise NotebookError(f"{path}: not a valid notebook ({err}).") from None
    if "kernelspec" not in nb.metadata:
        raise NotebookError(f"{path}: the notebook has no kernel spec (metadata.kernelspec).")
    return nb


def _near_marker(line: str) -> str | None:
    """The marker a comment line was probably meant to be (wrong case, misspelt, extra
    spaces), or None when it is not like a marker at all."""
    text = line.strip()
    if not text.startswith("#") or text in (BEGIN, END):
        return None
    words = " ".join(text.lstrip("#").split()).upper()
    for marker in (BEGIN, END):
        target = marker.lstrip("# ")
        if words == target or difflib.SequenceMatcher(None, words, target).ratio() >= 0.8:
            return marker
    return None


def stub_source(source: str, where: str) -> tuple[str, bool]:
    """Replace each BEGIN/END SOLUTION block with a stub; returns (source, changed).

    A marker in the wrong case or misspelt (``# begin solution``, ``# BEGIN SOLUTON``) is an
    error, not a comment: it would copy the answer into the student notebook."""
    out, inside, changed, indent = [], False, False, ""
    exercise = _EXERCISE_ID.search(source)
    label = f"Exercise {exercise.group(1)}" if exercise else "Exercise"
    for number, line in enumerate(source.splitlines(), 1):
        stripped = line.strip()
        meant = _near_marker(line)
        if meant:
            raise NotebookError(f"{where}, line {number}: `{stripped[:60]}` looks like a "
                                f"misspelt `{meant}`; write the marker exactly.")
        if stripped == BEGIN:
            if inside:
                raise NotebookError(f"{where}, line {number}: {BEGIN} inside another block.")
            inside, changed = True, True
            indent = line[: len(line) - len(line.lstrip())]
            out.append(f"{indent}# YOUR CODE HERE")
            out.append(f'{indent}raise NotImplementedError("{label}: '
                       f'replace this line with your code")')
        elif stripped == END:
            if not inside:
                raise NotebookError(f"{where}, line {number}: {END} without {BEGIN}.")
            inside = False
        elif not inside:
            out.append(line)
    if inside:
        raise NotebookError(f"{where}: {BEGIN} is never closed by {END}.")
    return "\n".join(out), changed


def cells_digest(nb) -> str:
    """Checksum of the cells' types and sources (not outputs): what a learner edits."""
    cells = [[cell.cell_type, cell.source] for cell in nb.cells]
    return hashlib.sha256(json.dumps(cells, ensure_ascii=False).encode()).hexdigest()


def learner_edited(path: Path, new) -> bool:
    """True when the student copy at ``path`` holds edits the generator did not make."""
    try:
        current = nbformat.read(str(path), as_version=4)
    except Exception:
        return True  # unreadable: it is not ours to replace
    recorded = current.metadata.get("course", {}).get("cells_sha256")
    digest = cells_digest(current)
    if recorded is None:  # no record: only an identical copy may be replaced
        return digest != cells_digest(new)
    return digest != recorded


def exercise_cell(source: str) -> bool:
    """A cell with a top-level ``check("NN.k", ...)`` call: its answer must be in a block."""
    return _TOP_LEVEL_CHECK.search(source) is not None


def student_notebook(solution, name: str = "notebook"):
    """The student copy of a solution notebook (a new object; the input is not changed).

    Only allow-listed notebook and cell metadata are kept (e.g. no Colab provenance, widget
    state or execution times). An exercise cell without a solution block is an error: its
    answer would be copied into the student copy."""
    nb = copy.deepcopy(solution)
    for key in [k for k in nb.metadata if k not in NOTEBOOK_METADATA]:
        del nb.metadata[key]
    nb.cells = [cell for cell in nb.cells if HIDDEN_TAG not in cell.metadata.get("tags", [])]
    for index, cell in enumerate(nb.cells):
        for key in [k for k in cell.metadata if k not in CELL_METADATA]:
            del cell.metadata[key]
        if cell.cell_type == "markdown":  # "Open in Colab" opens the student copy
            cell.source = _COLAB_LINK.sub(r"\1notebooks/", cell.source)
        if cell.cell_type != "code":
            continue
        exercise = exercise_cell(cell.source)
        cell.source, changed = stub_source(cell.source, f"{name}, cell {index}")
        if exercise and not changed:
            raise NotebookError(f"{name}, cell {index}: an exercise cell (it calls check(...)) "
                                f"without a {BEGIN} / {END} block; its answer would be copied "
                                "into the student notebook.")
        tags = [t for t in cell.metadata.get("tags", []) if t != STUB_TAG]
        if changed:
            tags.append(STUB_TAG)
        if tags:
            cell.metadata["tags"] = tags
        else:
            cell.metadata.pop("tags", None)
        cell.outputs = []
        cell.execution_count = None
    nb.metadata["course"] = {"student_copy": True, "cells_sha256": cells_digest(nb)}
    return nb


def render(nb) -> str:
    return nbformat.writes(nb) + "\n"


def run_notebook(nb, folder: Path, timeout: int = 1800) -> None:
    """Run an in-memory notebook top to bottom in a fresh kernel whose working folder is
    ``folder``, filling in its outputs (no timing metadata, so committed files stay stable)."""
    from nbclient import NotebookClient

    NotebookClient(nb, timeout=timeout, kernel_name="python3", record_timing=False,
                   resources={"metadata": {"path": str(folder)}}).execute()


def coalesce_streams(nb) -> None:
    """Join a cell's consecutive stdout (or stderr) outputs into one, as Jupyter shows them: how
    a busy machine splits a cell's prints into messages then leaves no trace in the file."""
    for cell in nb.cells:
        merged = []
        for out in cell.get("outputs", []):
            if (out.get("output_type") == "stream" and merged
                    and merged[-1].get("output_type") == "stream"
                    and merged[-1].get("name") == out.get("name")):
                merged[-1]["text"] = merged[-1]["text"] + out["text"]
            else:
                merged.append(out)
        if "outputs" in cell:
            cell["outputs"] = merged


def execute(path: Path, timeout: int = 1800) -> None:
    """Run a solution notebook top to bottom in a fresh kernel and save it with its outputs."""
    nb = read_notebook(path)
    print(f"executing {path.name} ...", flush=True)
    run_notebook(nb, path.parent, timeout)
    coalesce_streams(nb)
    nbformat.write(nb, str(path))


def pairs(solutions: Path, notebooks: Path):
    for source in sorted(solutions.glob("*.ipynb")):
        yield source, notebooks / source.name


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.generate", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="only verify that notebooks/ matches; exit 1 if not")
    parser.add_argument("--solutions", type=Path, default=REPO_ROOT / "solutions")
    parser.add_argument("--notebooks", type=Path, default=REPO_ROOT / "notebooks")
    parser.add_argument("--execute", nargs="+", type=Path, metavar="NOTEBOOK",
                        help="first re-run these solution notebooks in place")
    parser.add_argument("--force", action="store_true",
                        help="replace student copies even where a learner edited them")
    args = parser.parse_args(argv)

    for path in args.execute or []:
        execute(path)
    stale, errors = [], []
    for source, target in pairs(args.solutions, args.notebooks):
        try:
            student = student_notebook(read_notebook(source), source.name)
        except NotebookError as err:
            errors.append(str(err))
            continue
        text = render(student)
        current = target.read_text(encoding="utf-8") if target.exists() else None
        if current == text:
            continue
        stale.append(target)
        if not args.check and current is not None and not args.force and \
                learner_edited(target, student):
            errors.append(f"{target.name} holds your edits, so it was not replaced. Save your "
                          "work under another name (File > Save Notebook As), then run this "
                          "again; or pass --force to replace it.")
            continue
        if not args.check:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
            print(f"wrote {target.relative_to(args.notebooks.parent)}")
    for err in errors:
        print(f"error: {err}", file=sys.stderr)
    if args.check and stale:
        names = ", ".join(p.name for p in stale)
        print(f"Student notebooks out of date: {names}\nRegenerate them with: "
              "python -m utils.generate", file=sys.stderr)
        return 1
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
