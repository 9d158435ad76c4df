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
  answer. What the student cells changed can make a solution cell print something else than its
  committed output, which fails the comparison. It could also make one print less: output shown
  once per kernel, which a student cell may have shown first. Two steps of the pairing keep that
  state for the solution: before the student copy's cells, "save once-only output" copies
  Python's warning registries and gives transformers' ``warning_once`` / ``info_once`` a fresh
  cache for the student cells (which may then show a message the shared cells showed already:
  their output is not compared); before the solution's remaining cells, "restore once-only
  output" puts both back as the shared cells left them. What a module prints when it is first
  imported cannot be restored: a student cell that first imports a module takes that output
  (the student copies' cells before their stubs repeat their solution's code, so that code
  imports nothing the solution's next cells would not import first anyway).

The pairing applies only when it cannot hide anything: both copies exist and are collected, the
student copy through a folder (a student copy named on the command line runs on its own), no
option picks tests inside files (``-k``, ``-m``, ``--deselect``, ``--ignore``, ``path::test``:
a student cell must not run without the cells before it), and the student copy is the one the
generator wrote (the checksum of its cells that utils/generate.py records matches: a learner's
own code never runs in the solution's kernel). If a student cell times out, the restore step fails
with that reason and the solution's remaining cells still run and report their own results.

The shared top of a training lesson is most of its run time (lessons 06, 07 and 11 train before
their first exercise), so a student copy costs its exercises and the cells after them.
``--separate-student-runs`` runs each student copy in a kernel of its own instead, as a learner
would (the test items then carry the student copy's own path; ``COURSE_SEPARATE_STUDENT_RUNS=1
.ci/run`` adds such a run of ``notebooks/`` to CI). A student copy or a solution collected
without its twin (``pytest --nbval notebooks/``) runs on its own as before.
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


def selects_tests(config) -> bool:
    """Whether the run picks tests inside files (``-k``, ``-m``, ``--deselect``, ``--ignore``,
    ``path::test``): then a student copy's cells could run without the cells they share with
    the solution, so the two copies run in kernels of their own."""
    option = config.option
    return bool(getattr(option, "keyword", "") or getattr(option, "markexpr", "")
                or getattr(option, "deselect", None) or getattr(option, "ignore", None)
                or getattr(option, "ignore_glob", None)
                or any("::" in str(arg) for arg in config.args))


def untouched(student: Path) -> bool:
    """Whether the student copy is what the generator wrote (utils/generate.py records the
    checksum of its cells): a learner's own code never runs in the solution's kernel."""
    import nbformat

    from utils.generate import cells_digest

    try:
        nb = nbformat.read(str(student), as_version=4)
    except Exception:  # unreadable: nbval reports it when it collects the file on its own
        return False
    return nb.metadata.get("course", {}).get("cells_sha256") == cells_digest(nb)


def pairs(config, solution: Path) -> bool:
    """Whether the solution at ``solution`` runs with its student copy: both exist and are
    collected, the student copy through a folder (one named on the command line runs on its
    own), no option picks single tests, and the student copy is the generator's."""
    student = solution.parent.parent / STUDENTS / solution.name
    if not (solution.exists() and student.exists()) or selects_tests(config):
        return False
    if not (collected(config, solution) and collected(config, student)):
        return False
    if student in _targets(config):
        return False
    cache = config.stash.setdefault(_UNTOUCHED, {})
    if student not in cache:
        cache[student] = untouched(student)
    return cache[student]


_UNTOUCHED = pytest.StashKey[dict]()

# Output shown once per kernel (Python's warnings, transformers' warning_once / info_once): the
# solution's remaining cells must find it as the shared cells left it, whatever the student
# copy's cells showed. SAVE_ONCE_ONLY runs before the student copy's cells: it keeps a copy of
# Python's warning registries and gives transformers' once-only functions a fresh cache for the
# student cells. RESTORE_ONCE_ONLY runs before the solution's remaining cells and puts both back.
# Both steps walk the kernel's warning registries with this helper, defined and removed again
# by each step, so that the student cells see no name of the pairing.
_REGISTRIES = """\
def _course_warning_registries():
    import sys

    for name, module in list(sys.modules.items()):
        try:
            registry = vars(module).get("__warningregistry__")
        except TypeError:
            continue
        if isinstance(registry, dict):
            yield name, registry


"""
SAVE_ONCE_ONLY = _REGISTRIES + """\
def _course_save_once_only_output():
    import functools
    import sys
    import warnings

    registries = {name: dict(registry) for name, registry in _course_warning_registries()}
    once = {}
    logging = sys.modules.get("transformers.utils.logging")
    if logging is not None:
        for name in ("warning_once", "info_once"):
            cached = getattr(logging.logging.Logger, name, None)
            if hasattr(cached, "__wrapped__"):
                once[name] = cached
                setattr(logging.logging.Logger, name,
                        functools.lru_cache(None)(cached.__wrapped__))
    sys._course_once_only = (registries, dict(getattr(warnings, "onceregistry", {})), once)


_course_save_once_only_output()
del _course_save_once_only_output, _course_warning_registries
"""
RESTORE_ONCE_ONLY = _REGISTRIES + """\
def _course_restore_once_only_output():
    import logging
    import sys
    import warnings

    registries, onceregistry, once = sys.__dict__.pop("_course_once_only")
    for name, registry in _course_warning_registries():
        registry.clear()
        registry.update(registries.get(name, {}))
    if isinstance(getattr(warnings, "onceregistry", None), dict):
        warnings.onceregistry.clear()
        warnings.onceregistry.update(onceregistry)
    for name, cached in once.items():
        setattr(logging.Logger, name, cached)


_course_restore_once_only_output()
del _course_restore_once_only_output, _course_warning_registries
"""


def _nbval():
    from nbval.plugin import IPyNbCell, IPyNbFile

    class StudentCell(IPyNbCell):
        """A cell of the student copy, run in its solution's kernel; reported under the
        student copy's path and cell number."""

        student_path: Path

        def reportinfo(self):
            relative = Path(STUDENTS, self.student_path.name).as_posix()
            return self.student_path, 0, f"{relative}::Cell {self.cell_num}"

    class StepCell(IPyNbCell):
        """A step of the pairing itself (``SAVE_ONCE_ONLY``, ``RESTORE_ONCE_ONLY``). The one
        before the solution's remaining cells fails if a student cell timed out, with that
        reason, and lets the solution's cells run and report their own results (nbval would
        otherwise mark them all as expected failures)."""

        def setup(self):
            pass  # never an expected failure

        def runtest(self):
            timed_out, self.parent.timed_out = self.parent.timed_out, False
            super().runtest()
            if timed_out:
                raise RuntimeError(
                    f"a cell of {STUDENTS}/{self.parent.student.name} timed out (above); the "
                    f"solution's remaining cells run after it in the same, interrupted kernel")

        def reportinfo(self):
            return self.path, 0, f"{self.name}"

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

            def step(name: str, code: str):
                return StepCell.from_parent(self, name=name, cell_num=shared,
                                            cell=nbformat.v4.new_code_cell(code),
                                            options=defaultdict(bool, check=False))

            yield step(f"save once-only output before {STUDENTS} Cell {shared}", SAVE_ONCE_ONLY)
            for number, cell in enumerate(student_code[shared:], start=shared):
                item = StudentCell.from_parent(
                    self, name=f"{STUDENTS} Cell {number}", cell_num=number, cell=cell,
                    options=nbval_options(cell, check=False))  # lax: run, don't compare
                item.student_path = self.student
                yield item
            yield step(f"restore once-only output before Cell {shared}", RESTORE_ONCE_ONLY)
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
