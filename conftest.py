"""pytest set-up shared by unit tests and notebook runs.

Solution notebooks (solutions/) run under nbval with their committed outputs compared.
Student notebooks (notebooks/) run in nbval's lax mode: every cell must run, except the
exercise stubs, which the generator tags ``raises-exception``; outputs are not compared. When a
run collects both copies of a lesson, the student copy runs in its solution's kernel from the
first cell where the two differ (tests/paired_notebooks.py; ``--separate-student-runs`` gives it
a kernel of its own).

Scheduling (``make test`` runs ``pytest -n 2 --dist loadfile --no-loadscope-reorder``): a
notebook's cells run in order in one kernel on one worker, and a module's fixtures are built
once. The files start slowest first, by the seconds one measured run took
(``tests/suite_order.json``, written by ``benchmarks/suite_time.py --write-order``), so that the
two workers finish together. With two workers on the machine's two cores, every kernel and test
process computes with one thread (``OMP_NUM_THREADS``, ``MKL_NUM_THREADS``,
``TF_NUM_INTRAOP_THREADS``; a value set beforehand is kept): two processes that each start one
thread per core make both wait for each other. ``--dist loadgroup`` (``make test
PYTEST_ARGS="--dist loadgroup"``) instead runs the training files one after the other on one
worker (group ``training``).

The pytest process itself cannot reach the network: pytest-socket (options in pyproject.toml)
lets connections go to loopback only, for Jupyter. Kernels get the course's own guard from
``setup()`` (utils/offline.py). Notebooks must stay within a memory budget
(tests/memory_budget.py).
"""

import json
import os
import shutil
import sys
import tempfile
from fnmatch import fnmatch
from pathlib import Path

import pytest

# No test process writes bytecode into the course's folders: the grader's tests treat a new
# file under utils/__pycache__ during a grading run as a submission's tampering.
sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"

from utils import env  # noqa: E402  (after the bytecode switch)

# Every kernel and test runs offline; TensorFlow uses Keras 2 and stays quiet.
env.apply(force=True)
os.environ.pop("COURSE_ONLINE", None)
os.environ.pop("COURSE_WEBHOOK_URL", None)  # lesson 06 never posts a notification in tests
# check() records results for `python -m utils.progress`; tests and the kernels they start keep
# theirs out of the learner's runs/progress.json.
os.environ["COURSE_PROGRESS_FILE"] = os.path.join(tempfile.mkdtemp(prefix="course-progress-"),
                                                  "progress.json")

# Two workers on two cores: one compute thread per process (see the docstring).
if int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1") or 1) > 1:
    for _name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "TF_NUM_INTRAOP_THREADS"):
        os.environ.setdefault(_name, "1")

pytest_plugins = ["tests.memory_budget", "tests.paired_notebooks"]

ROOT = Path(__file__).resolve().parent
STUDENT_DIR = ROOT / "notebooks"

TRAINING_GROUP = "training"
# Paths (relative to the repository root) of what trains with both cores for a minute or more.
TRAINING = [
    "solutions/06_*.ipynb", "notebooks/06_*.ipynb",
    "solutions/07_*.ipynb", "notebooks/07_*.ipynb",
    "solutions/11_*.ipynb", "notebooks/11_*.ipynb",
    "tests/test_distributed.py",
]


def xdist_group(path: Path) -> str:
    """The xdist group of a test file or notebook: ``training`` for the training files, else
    the file's own path (one group per file)."""
    try:
        relative = Path(path).resolve().relative_to(ROOT).as_posix()
    except ValueError:  # outside the repository (a temporary notebook in a test)
        return Path(path).as_posix()
    if any(fnmatch(relative, pattern) for pattern in TRAINING):
        return TRAINING_GROUP
    return relative


ORDER = ROOT / "tests" / "suite_order.json"


def measured_seconds(path: Path = ORDER) -> dict[str, float]:
    """Seconds per file (repository-relative path) from ``tests/suite_order.json``."""
    try:
        return {str(k): float(v) for k, v in
                json.loads(path.read_text(encoding="utf-8"))["seconds"].items()}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def pytest_collection_modifyitems(config, items):
    """Slowest files first; the cells of a notebook and the tests of a file keep their order."""
    seconds = measured_seconds()
    if not seconds:
        return

    def cost(item) -> float:
        try:
            relative = Path(item.path).resolve().relative_to(ROOT).as_posix()
        except ValueError:
            return 0.0
        return seconds.get(relative, 0.0)

    items[:] = [item for _, item in sorted(enumerate(items), key=lambda p: (-cost(p[1]), p[0]))]


def pytest_runtest_teardown(item, nextitem):
    """After a notebook's last cell, remove what the notebook wrote under ``runs/<its name>`` next
    to it (lesson 06 saves checkpoints of several hundred MB): the notebook itself starts that
    folder afresh each time, and the suite runs about forty notebooks on a disk that may be
    small."""
    if item.path.suffix != ".ipynb" or (nextitem is not None and nextitem.path == item.path):
        return
    shutil.rmtree(item.path.parent / "runs" / item.path.stem, ignore_errors=True)


@pytest.hookimpl(hookwrapper=True)
def pytest_collect_file(file_path, parent):
    outcome = yield
    if file_path.suffix == ".ipynb" and STUDENT_DIR in file_path.parents:
        for collector in outcome.get_result() or []:
            if hasattr(collector, "compare_outputs"):
                collector.compare_outputs = False  # nbval lax mode for student copies


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup`` with the groups of ``xdist_group()``. (xdist 3.8's own loadgroup
    reads ``xdist_group`` marks through ``item._nodeid``, which pytest 9 no longer uses, so
    under pytest 9.2 it splits a notebook's cells across workers.)"""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class FileGroups(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            return xdist_group(config.rootpath / nodeid.split("::", 1)[0])

    return FileGroups(config, log)
