"""pytest set-up shared by unit tests and notebook runs.

Solution notebooks (solutions/) run under nbval with their committed outputs compared.
Student notebooks (notebooks/) run in nbval's lax mode: every cell must run, except the
exercise stubs, which the generator tags ``raises-exception``; outputs are not compared.

Scheduling (``make test`` runs ``pytest -n 2 --dist loadgroup``): every notebook and every test
file is one xdist group, so a notebook's cells run in order in one kernel on one worker and a
module's fixtures are built once. The files that train a model with both cores share one group,
``training``: they run one after the other on one worker while the other worker runs the rest,
never two training kernels at once on 2 cores.

The pytest process itself cannot reach the network: pytest-socket (options in pyproject.toml)
lets connections go to loopback only, for Jupyter. Kernels get the course's own guard from
``setup()`` (utils/offline.py). Notebooks must stay within a memory budget
(tests/memory_budget.py).
"""

import os
import sys
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

pytest_plugins = ["tests.memory_budget"]

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
