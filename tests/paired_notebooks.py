"""A student copy runs in its solution's kernel from the first cell where the two differ.

``notebooks/X.ipynb`` is generated from ``solutions/X.ipynb``: its code cells are the solution's
up to the first exercise, then exercise stubs (tagged ``raises-exception``) and the same cells
as the solution's after them, without the grader-only ``hidden-tests`` cells. When a run
collects both copies (``make test``), the student copy is not started in a kernel of its own.
The solution's kernel runs the cells the two share at the top (outputs compared with the
solution's); then the student copy's cells from the first one that differs to its end (nbval's
lax mode: each must run, or raise where it is tagged to); then the solution's cells from that
same point to its end (outputs compared).

Every cell of both copies still runs, and each copy's cells see the state they see in a run of
their own:
- the student copy's cells from the first difference on run on exactly the state of a fresh
  student run at that point: the cells before it are the same code, run in the same order in a
  fresh kernel, and nothing of the solution's own cells has run yet;
- the solution's cells after that run after the student copy's. Those cells define every name
  they use (a solution runs top to bottom on its own), so a student stub cannot stand in for an
  answer; what the student cells changed could only make a solution cell print something else
  than its committed output, which fails, never passes, the comparison.

The shared top of a training lesson is most of its run time (lessons 06, 07 and 11 train before
their first exercise), so a student copy costs its exercises and the cells after them.
``--separate-student-runs`` runs each student copy in a kernel of its own instead, as a learner
would (the test items then carry the student copy's own path). A student copy or a solution
collected without its twin (``pytest --nbval notebooks/``) runs on its own as before.
"""

from __future__ import annotations

from collections import defaultdict
from pathlib import Path

import pytest

# A solution and its student copy: <folder>/solutions/X.ipynb and <folder>/notebooks/X.ipynb.
SOLUTIONS = "solutions"
STUDENTS = "notebooks"


def code_cells(nb) -> list:
    return [cell for cell in nb.cells if cell.cell_type == "code"]


def nbval_options(cell, check: bool) -> defaultdict:
    """nbval's options for a cell (its tags and comment markers), ``check`` unless they say."""
    from nbval.plugin import find_comment_markers, find_metadata_tags

    options = defaultdict(bool, find_metadata_tags(cell.metadata))
    options.update(dict(find_comment_markers(cell.source)))
    options.setdefault("check", check)
    return options


def first_difference(solution_cells: list, student_cells: list) -> int:
    """The index of the first code cell where the two copies differ: in their code or in how
    nbval treats them (tags such as ``raises-exception``). The length of the shorter list when
    one is the other's beginning."""
    for index, (a, b) in enumerate(zip(solution_cells, student_cells)):
        if a.source != b.source or dict(nbval_options(a, True)) != dict(nbval_options(b, True)):
            return index
    return min(len(solution_cells), len(student_cells))


def _targets(config) -> list[Path]:
    base = Path(config.invocation_params.dir)
    return [(base / str(arg).split("::", 1)[0]).resolve() for arg in config.args]


def collected(config, path: Path) -> bool:
    """Whether this run's arguments (or the configured test paths) include ``path``."""
    return any(target == path or target in path.parents for target in _targets(config))


def pairs(config, solution: Path) -> bool:
    """Whether the solution at ``solution`` runs with its student copy: both are collected, the
    student copy through a folder (one named on the command line runs on its own)."""
    student = solution.parent.parent / STUDENTS / solution.name
    return (student.exists() and collected(config, solution) and collected(config, student)
            and student not in _targets(config))


def _nbval():
    from nbval.plugin import IPyNbCell, IPyNbFile

    class StudentCell(IPyNbCell):
        """A cell of the student copy, run in its solution's kernel; reported under the
        student copy's path and cell number."""

        student_path: Path

        def reportinfo(self):
            relative = Path(STUDENTS, self.student_path.name).as_posix()
            return self.student_path, 0, f"{relative}::Cell {self.cell_num}"

    class PairedNotebook(IPyNbFile):
        """A solution with its student copy in one kernel (see the module docstring)."""

        student: Path
        shared_cells = 0

        def collect(self):
            import nbformat

            solution_items = list(super().collect())  # reads self.nb
            student_nb = nbformat.read(str(self.student), as_version=4)
            solution_code, student_code = code_cells(self.nb), code_cells(student_nb)
            shared = first_difference(solution_code, student_code)
            self.shared_cells = shared
            yield from solution_items[:shared]
            for number, cell in enumerate(student_code[shared:], start=shared):
                item = StudentCell.from_parent(
                    self, name=f"{STUDENTS} Cell {number}", cell_num=number, cell=cell,
                    options=nbval_options(cell, check=False))  # lax: run, don't compare
                item.student_path = self.student
                yield item
            yield from solution_items[shared:]

    return IPyNbFile, PairedNotebook


def pytest_addoption(parser):
    parser.addoption(
        "--separate-student-runs", action="store_true", default=False,
        help="run each student copy (notebooks/) in a kernel of its own, instead of in its "
             "solution's kernel from the first cell where the two differ")


@pytest.hookimpl(hookwrapper=True)
def pytest_collect_file(file_path, parent):
    outcome = yield
    config = parent.config
    path = Path(file_path).resolve()
    if (path.suffix != ".ipynb" or path.parent.name not in (SOLUTIONS, STUDENTS)
            or config.getoption("--separate-student-runs") or config.option.nbval_lax
            or not config.option.nbval
            or not pairs(config, path.parent.parent / SOLUTIONS / path.name)):
        return
    ipynb_file, paired = _nbval()
    collectors = outcome.get_result() or []
    if path.parent.name == STUDENTS:  # runs inside its solution's kernel
        outcome.force_result([c for c in collectors if not isinstance(c, ipynb_file)])
        return
    replaced = []
    for collector in collectors:
        if isinstance(collector, ipynb_file):
            collector = paired.from_parent(parent, path=file_path)
            collector.student = path.parent.parent / STUDENTS / path.name
        replaced.append(collector)
    outcome.force_result(replaced)
