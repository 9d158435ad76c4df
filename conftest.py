"""pytest set-up shared by unit tests and notebook runs.

Solution notebooks (solutions/) run under nbval with their committed outputs compared.
Student notebooks (notebooks/) run in nbval's lax mode: every cell must run, except the
exercise stubs, which the generator tags ``raises-exception``; outputs are not compared.
"""

import os
import sys
from pathlib import Path

import pytest

# No test process writes bytecode into the course's folders: the grader's tests treat a new
# file under utils/__pycache__ during a grading run as a submission's tampering.
sys.dont_write_bytecode = True
os.environ["PYTHONDONTWRITEBYTECODE"] = "1"

# Every kernel and test runs offline; TensorFlow uses Keras 2 and stays quiet.
os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["HF_DATASETS_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ["TF_USE_LEGACY_KERAS"] = "1"
os.environ["TF_CPP_MIN_LOG_LEVEL"] = "3"
os.environ["TOKENIZERS_PARALLELISM"] = "false"
os.environ.pop("COURSE_ONLINE", None)
os.environ.pop("COURSE_WEBHOOK_URL", None)  # lesson 06 never posts a notification in tests

# Python-level tests cannot reach the network either: any outbound connection raises at once
# (loopback stays allowed for Jupyter kernels and the browser test).
from utils import offline  # noqa: E402

offline.install()

STUDENT_DIR = Path(__file__).parent / "notebooks"


@pytest.hookimpl(hookwrapper=True)
def pytest_collect_file(file_path, parent):
    outcome = yield
    if file_path.suffix == ".ipynb" and STUDENT_DIR in file_path.parents:
        for collector in outcome.get_result() or []:
            if hasattr(collector, "compare_outputs"):
                collector.compare_outputs = False  # nbval lax mode for student copies
