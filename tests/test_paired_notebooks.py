"""A student copy runs in its solution's kernel from the first cell where the two differ
(tests/paired_notebooks.py): the shared cells run once, the student copy's own cells see a
student run's state, its failures are reported under its own path, and the solution's cells
after it are still compared."""

import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat

from tests.paired_notebooks import first_difference
from utils.generate import cells_digest

ROOT = Path(__file__).resolve().parent.parent
LOG = "open(__import__('os').environ['PAIR_LOG'], 'a').write({!r} + '\\n')"


def _cell(source: str, tags=(), output: str | None = None):
    cell = nbformat.v4.new_code_cell(source)
    if tags:
        cell.metadata["tags"] = list(tags)
    if output is not None:
        cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
        cell.execution_count = 1
    return cell


def _write(path: Path, cells: list, generated: bool = True) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    nb = nbformat.v4.new_notebook(cells=cells)
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    if generated and path.parent.name == "notebooks":  # as utils.generate records it
        nb.metadata["course"] = {"cells_sha256": cells_digest(nb)}
    nbformat.write(nb, str(path))
    return path


def _pair(root: Path, student_tail: list, generated: bool = True) -> None:
    """A solution of four cells, and a student copy that shares its first two."""
    shared = [_cell(f"{LOG.format('shared 0')}\nx = 20", output=None),
              _cell(f"{LOG.format('shared 1')}\nprint(x + 1)", output="21\n")]
    _write(root / "solutions" / "demo.ipynb", shared + [
        _cell(f"{LOG.format('solution 2')}\nanswer = x * 2"),
        _cell(f"{LOG.format('solution 3')}\nprint(answer)", output="40\n")])
    _write(root / "notebooks" / "demo.ipynb", [_cell(c.source) for c in shared] + student_tail,
           generated)


STUDENT_TAIL = [
    _cell(f"{LOG.format('student 2')}\nraise NotImplementedError('exercise')",
          tags=["raises-exception"]),
    _cell(f"{LOG.format('student 3')}\nopen(__import__('os').environ['PAIR_LOG'], 'a').write("
          "'student sees an answer: ' + str('answer' in globals()) + '\\n')")]


def _run(root: Path, *options: str) -> tuple[subprocess.CompletedProcess, list[str], dict]:
    log, junit = root / "log.txt", root / "junit.xml"
    env = dict(os.environ, PAIR_LOG=str(log),
               PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.paired_notebooks", "-p", "no:cacheprovider",
         "-p", "no:xdist", "--nbval", f"--junitxml={junit}", "-o", "junit_family=xunit1",
         *options, str(root)],
        cwd=root, env=env, capture_output=True, text=True, timeout=300, check=False)
    cases = {(c.get("classname"), c.get("name")): c for c in ET.parse(junit).getroot().iter(
        "testcase")} if junit.exists() else {}
    lines = log.read_text().splitlines() if log.exists() else []
    return result, lines, cases


def test_first_difference():
    a = [_cell("x = 1"), _cell("y = 2"), _cell("z = 3")]
    assert first_difference(a, [_cell("x = 1"), _cell("y = 2"), _cell("z = 3")]) == 3
    assert first_difference(a, [_cell("x = 1"), _cell("y = ...")]) == 1
    assert first_difference(a, [_cell("x = 1"), _cell("y = 2")]) == 2  # the student copy ends
    # The same code that nbval treats differently (a stub allowed to raise) is a difference.
    assert first_difference(a, [_cell("x = 1", tags=["raises-exception"])]) == 0


def test_the_shared_cells_run_once_and_each_copy_sees_its_own_state(tmp_path):
    _pair(tmp_path, STUDENT_TAIL)
    result, lines, cases = _run(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]
    # The shared cells once; the student copy's cells before the solution's; the student
    # copy's last cell ran before any solution cell defined `answer`.
    assert lines == ["shared 0", "shared 1", "student 2", "student 3",
                     "student sees an answer: False", "solution 2", "solution 3"], lines
    names = sorted(name for _, name in cases)
    assert names == ["Cell 0", "Cell 1", "Cell 2", "Cell 3", "notebooks Cell 2",
                     "notebooks Cell 3", "restore once-only output before Cell 2",
                     "save once-only output before notebooks Cell 2"], names
    assert "8 passed" in result.stdout, result.stdout[-2000:]


def test_a_failing_student_cell_fails_under_its_own_path(tmp_path):
    _pair(tmp_path, [STUDENT_TAIL[0], _cell("print(undefined_name)")])
    result, lines, cases = _run(tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    failed = [name for (_, name), case in cases.items() if case.find("failure") is not None]
    assert failed == ["notebooks Cell 3"], result.stdout[-3000:]
    assert "notebooks/demo.ipynb::Cell 3" in result.stdout, result.stdout[-3000:]
    assert "NameError" in result.stdout, result.stdout[-3000:]
    assert lines[-2:] == ["solution 2", "solution 3"], lines  # the solution still ran


def test_the_solution_after_the_student_cells_is_still_compared(tmp_path):
    # A student cell that changes what the solution prints later makes the solution fail.
    _pair(tmp_path, [_cell("x = 21  # changes the shared state")])
    result, _, cases = _run(tmp_path)
    assert result.returncode == 1, result.stdout[-3000:]
    failed = [name for (_, name), case in cases.items() if case.find("failure") is not None]
    assert failed == ["Cell 3"], result.stdout[-3000:]


def test_separate_runs_and_a_student_copy_named_on_its_own(tmp_path):
    _pair(tmp_path, STUDENT_TAIL)
    result, lines, _ = _run(tmp_path, "--separate-student-runs")
    assert result.returncode == 0, result.stdout[-3000:]
    assert lines.count("shared 0") == 2 and "student sees an answer: False" in lines, lines
    (tmp_path / "log.txt").unlink()
    # A student copy named on the command line runs in a kernel of its own.
    result, lines, cases = _run(tmp_path, str(tmp_path / "notebooks" / "demo.ipynb"))
    assert result.returncode == 0, result.stdout[-3000:]
    assert lines.count("shared 0") == 2, lines
    assert any(cls.endswith("notebooks.demo.ipynb") for cls, _ in cases), sorted(cases)


def test_both_folders_hold_only_the_notebooks():
    # A student copy's shared cells run with solutions/ as their working folder: they read and
    # write the same relative paths there only while the two folders hold the same kind of
    # content, the notebooks and what the notebooks write under runs/.
    for folder in ("solutions", "notebooks"):
        other = sorted(p.name for p in (ROOT / folder).iterdir()
                       if p.suffix != ".ipynb" and p.name not in ("runs", ".ipynb_checkpoints"))
        assert other == [], f"{folder}/ holds {other}: keep lesson files elsewhere (utils, assets)"
    solutions = {p.name for p in (ROOT / "solutions").glob("*.ipynb")}
    assert solutions == {p.name for p in (ROOT / "notebooks").glob("*.ipynb")}


WARN_ONCE = "logger.warning_once('shown once per kernel')"


def _warning_once_pair(root: Path, shown_by_shared_cells: bool) -> None:
    """transformers shows a warning_once message once per kernel. The student copy's cell shows
    it; the solution's next cell must show it exactly as in a run of its own: again if the
    shared cells did not show it, not again if they did."""
    shared = [_cell("from transformers.utils import logging\n"
                    "logger = logging.get_logger('course.demo')")]
    if shown_by_shared_cells:
        shared.append(_cell(WARN_ONCE))
        shared[-1].outputs = [nbformat.v4.new_output("stream", name="stderr",
                                                     text="shown once per kernel\n")]
        shared[-1].execution_count = 1
    once = _cell(WARN_ONCE)
    once.execution_count = 1  # a run cell: its output (none, or the message) is compared
    if not shown_by_shared_cells:
        once.outputs = [nbformat.v4.new_output("stream", name="stderr",
                                               text="shown once per kernel\n")]
        once.execution_count = 1
    _write(root / "solutions" / "demo.ipynb", [*shared, _cell("answer = 1"), once])
    _write(root / "notebooks" / "demo.ipynb", [*(_cell(c.source) for c in shared),
                                               _cell("answer = ..."), _cell(WARN_ONCE)])


def test_output_shown_once_per_kernel_is_what_a_solution_run_of_its_own_shows(tmp_path):
    for shown_by_shared_cells in (False, True):
        _warning_once_pair(tmp_path, shown_by_shared_cells)
        result, _, cases = _run(tmp_path)
        assert result.returncode == 0, (shown_by_shared_cells, result.stdout[-3000:])
        assert any(name.startswith("notebooks Cell") for _, name in cases), sorted(cases)


def test_runs_that_pick_tests_or_an_edited_copy_run_separately(tmp_path):
    _pair(tmp_path, STUDENT_TAIL)
    for options in (["-k", "demo"], ["--deselect", "solutions/demo.ipynb::Cell 3"]):
        result, lines, _ = _run(tmp_path, *options)
        assert result.returncode == 0, result.stdout[-3000:]
        assert lines.count("shared 0") == 2, (options, lines)
        (tmp_path / "log.txt").unlink()
    # A learner's edited copy: the checksum the generator recorded no longer matches.
    _pair(tmp_path, STUDENT_TAIL + [_cell("print('my own code')")], generated=False)
    result, lines, _ = _run(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert lines.count("shared 0") == 2, lines


def test_a_student_notebook_without_a_solution_still_runs(tmp_path):
    _pair(tmp_path, STUDENT_TAIL)
    _write(tmp_path / "notebooks" / "demo-Copy1.ipynb", [_cell(LOG.format("copy"))])
    result, lines, _ = _run(tmp_path)
    assert result.returncode == 0, result.stdout[-3000:]
    assert "copy" in lines and lines.count("shared 0") == 1, lines
