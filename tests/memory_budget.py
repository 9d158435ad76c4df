"""Memory budget of the notebooks: a pytest plugin (conftest.py loads it) and the sampler that
``benchmarks/notebook_memory.py`` uses too.

While a notebook runs under nbval, a thread samples the resident memory (RSS) of the notebook's
kernel and of every process it started (lesson 11 launches ``accelerate``/``torchrun`` workers)
and keeps the peak of the sum. The first cell after which that peak is over the budget (3 GiB
by default: 8 GB laptops and Colab's free tier) fails with the figure; every cell records the
notebook's peak so far as the JUnit property ``memory_peak_mib``.

    pytest --nbval solutions/11_distributed_pt.ipynb --notebook-memory-budget 2.5
    pytest ... --notebook-memory-budget 0      # no sampling, no budget

The sum of RSS counts pages shared between processes once per process, so it errs on the high
side; a short spike between two samples (every 0.25 s), or a child process that lives less
than a second, can be missed.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import psutil
import pytest

DEFAULT_BUDGET_GIB = 3.0
INTERVAL_S = 0.25
MIB = 2**20


def process_tree(pid: int, include_root: bool = True) -> list[psutil.Process]:
    """Process ``pid`` and all its descendants (none if it has gone); with
    ``include_root=False``, its descendants only."""
    try:
        root = psutil.Process(pid)
        return ([root] if include_root else []) + root.children(recursive=True)
    except psutil.Error:
        return []


def tree_rss(pid: int, include_root: bool = True) -> int:
    """Resident bytes of process ``pid`` plus all its descendants (0 if it has gone)."""
    return total_memory(process_tree(pid, include_root))


def total_memory(processes: list[psutil.Process], proportional: bool = False) -> int:
    """Summed resident bytes; with ``proportional``, the proportional set size (PSS, Linux):
    each page shared by several processes is divided between them, so the sum counts it once.
    PSS is slower to read (the kernel walks each process's mappings: about 30 ms for lesson 11's
    processes), which is why the budget reads RSS; psutil offers it on Linux only."""
    total = 0
    for process in processes:
        try:
            total += process.memory_full_info().pss if proportional else process.memory_info().rss
        except psutil.Error:  # ended between the listing and the reading
            pass
    return total


class TreePeak:
    """Samples the summed RSS (or PSS, ``proportional``) of one process's tree in a background
    thread and keeps the peak.

    ``watch(pid)`` starts over on another process (``None``: pause); ``cpu_seconds`` is the
    CPU time the sampling thread itself has used, i.e. its overhead. Reading the RSS of known
    processes is cheap; finding the descendants means reading every process's status, so the
    list is refreshed every ``RESCAN_EVERY`` samples (1 s at the default interval) and on every
    explicit ``sample()``."""

    RESCAN_EVERY = 4

    def __init__(self, interval: float = INTERVAL_S, include_root: bool = True,
                 proportional: bool = False):
        self.interval = interval
        self.include_root = include_root
        self.proportional = proportional
        self.pid: int | None = None
        self.peak = 0
        self.samples = 0
        self.cpu_seconds = 0.0
        self._processes: list[psutil.Process] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, pid: int | None) -> None:
        with self._lock:
            self.pid, self.peak = pid, 0
        if pid is not None and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="memory-budget", daemon=True)
            self._thread.start()
        if pid is not None:
            self.sample()

    def sample(self, rescan: bool = True) -> int:
        pid = self.pid
        if pid is None:
            return self.peak
        if rescan or self.samples % self.RESCAN_EVERY == 0:
            self._processes = process_tree(pid, self.include_root)
        memory = total_memory(self._processes, self.proportional)
        with self._lock:
            if self.pid == pid:
                self.peak = max(self.peak, memory)
                self.samples += 1
            return self.peak

    def _run(self) -> None:
        start = time.thread_time()
        while not self._stop.wait(self.interval):
            self.sample(rescan=False)
            self.cpu_seconds = time.thread_time() - start

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


def kernel_pid(notebook) -> int | None:
    """The process id of the kernel that nbval started for a notebook collector, if any."""
    kernel = getattr(notebook, "kernel", None)
    provisioner = getattr(getattr(kernel, "km", None), "provisioner", None)
    return getattr(provisioner, "pid", None)


def _is_cell(item) -> bool:
    return type(item).__name__ == "IPyNbCell"


# Lesson 11 starts training processes next to its kernel, each with its own copy of the model:
# measured 3,695-3,896 MiB summed (kernel and workers; 3,276-3,379 MiB as PSS, which counts the
# pages they share once), over the 3 GiB budget either way (the TensorFlow lesson 4,356 MiB alone
# and 4.50 GiB in a suite run until its script freed the first of its two models and stopped
# importing PyTorch). It keeps a budget of its own until the lesson is made smaller; every other
# notebook has the default.
OVER_BUDGET = {"11_distributed_pt.ipynb": 4.5, "11_distributed_tf.ipynb": 4.5}


class NotebookMemoryBudget:
    def __init__(self, budget_gib: float, interval: float = INTERVAL_S):
        self.budget_gib = budget_gib
        self.sampler = TreePeak(interval)
        self.notebook = None
        self.failed: set[str] = set()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_setup(self, item):
        yield  # nbval starts the notebook's kernel in the setup of its first cell
        if not _is_cell(item):
            self.notebook = None
            self.sampler.watch(None)
        elif item.parent is not self.notebook:
            self.notebook = item.parent
            self.sampler.watch(kernel_pid(item.parent))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        if call.when != "call" or not _is_cell(item) or item.parent is not self.notebook:
            return
        peak = self.sampler.sample()
        item.user_properties.append(("memory_peak_mib", round(peak / MIB)))
        notebook = item.parent.nodeid
        budget = max(self.budget_gib, OVER_BUDGET.get(Path(notebook).name, 0))
        if peak > budget * 2**30 and notebook not in self.failed:
            self.failed.add(notebook)
            report = outcome.get_result()
            report.outcome = "failed"
            report.longrepr = (
                f"{notebook}: the kernel and the processes it started used {peak / 2**30:.2f} GiB "
                f"of memory (resident, summed) by the end of this cell, over the notebook budget "
                f"of {budget:g} GiB (8 GB laptops, Colab's free tier). Make the lesson "
                f"load less at once (smaller batches or models, free what it no longer needs, "
                f"fewer worker processes), or measure it with benchmarks/notebook_memory.py. "
                f"--notebook-memory-budget GIB changes the budget (0 turns the check off).")

    def pytest_unconfigure(self, config):
        self.sampler.stop()


def pytest_addoption(parser):
    parser.addoption(
        "--notebook-memory-budget", type=float, default=DEFAULT_BUDGET_GIB, metavar="GIB",
        help="fail a notebook whose kernel and child processes together use more resident "
             f"memory than this (default {DEFAULT_BUDGET_GIB:g}; 0: no check)")


def pytest_configure(config):
    budget = config.getoption("--notebook-memory-budget")
    if budget < 0:
        raise pytest.UsageError(f"--notebook-memory-budget must be 0 or more GiB, not {budget}")
    if budget > 0:
        config.pluginmanager.register(NotebookMemoryBudget(budget), "notebook-memory-budget")
