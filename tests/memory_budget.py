"""Memory budget of the notebooks: a pytest plugin (conftest.py loads it) and the sampler that
``benchmarks/notebook_memory.py`` uses too.

While a notebook runs under nbval, a thread samples the resident memory (RSS) of the notebook's
kernel and of every process it started (lesson 11 launches ``accelerate``/``torchrun`` workers)
and keeps the peak of the sum. The sum of RSS counts a page that several processes share (the
libraries they all load) once per process; whenever it is over the budget, the sampler also
reads the proportional set size (PSS, Linux), which divides each shared page between the
processes, so that its sum is the memory the processes really take. The first cell after which
that measure is over the budget (3 GiB by default: 8 GB laptops and Colab's free tier) fails
with the figure; every cell records the notebook's RSS peak so far as the JUnit property
``memory_peak_mib``.

    pytest --nbval solutions/11_distributed_pt.ipynb --notebook-memory-budget 2.5
    pytest ... --notebook-memory-budget 0      # no sampling, no budget

PSS is read only above the budget because it is slower to read; below the budget the RSS sum,
which is never less than the PSS sum, already shows the notebook within it. A short spike
between two samples (every 0.25 s), or a child process that lives less than a second, can be
missed.
"""

from __future__ import annotations

import sys
import threading
import time
from pathlib import Path

import psutil
import pytest

DEFAULT_BUDGET_GIB = 3.0
PSS_READABLE = sys.platform.startswith("linux")  # psutil reads the PSS on Linux only
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
    processes), which is why the budget reads it only above the budget; psutil offers it on
    Linux only. A process whose PSS may not be read counts with its RSS."""
    total = 0
    for process in processes:
        try:
            if proportional:
                try:
                    total += process.memory_full_info().pss
                    continue
                except (psutil.AccessDenied, AttributeError):  # not readable, or not Linux
                    pass
            total += process.memory_info().rss
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
    explicit ``sample()``.

    ``budget_peak`` is the peak of what the budget counts: the RSS sum, or the PSS sum at the
    samples where the RSS sum was over ``pss_above`` bytes (given to ``watch``; Linux only).
    Since PSS never exceeds RSS, ``budget_peak`` is over ``pss_above`` exactly when the PSS sum
    was at some sample."""

    RESCAN_EVERY = 4

    def __init__(self, interval: float = INTERVAL_S, include_root: bool = True,
                 proportional: bool = False):
        self.interval = interval
        self.include_root = include_root
        self.proportional = proportional
        self.pid: int | None = None
        self.pss_above: int | None = None
        self.peak = 0
        self.budget_peak = 0
        self.pss_samples = 0
        self.samples = 0
        self.cpu_seconds = 0.0
        self._processes: list[psutil.Process] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def watch(self, pid: int | None, pss_above: int | None = None) -> None:
        with self._lock:
            self.pid, self.peak, self.budget_peak, self.pss_samples = pid, 0, 0, 0
            self.pss_above = pss_above if PSS_READABLE else None
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
        memory = counted = total_memory(self._processes, self.proportional)
        pss_above = self.pss_above
        read_pss = pss_above is not None and not self.proportional and memory > pss_above
        if read_pss:
            counted = total_memory(self._processes, proportional=True)
        with self._lock:
            if self.pid == pid:
                self.peak = max(self.peak, memory)
                self.budget_peak = max(self.budget_peak, counted)
                self.pss_samples += read_pss
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
    """An nbval notebook cell (a student copy's cell run in its solution's kernel included)."""
    return any(cls.__name__ == "IPyNbCell" for cls in type(item).__mro__)


# Notebooks allowed more than the budget where the PSS is read: none. (Lesson 11's TensorFlow
# notebook needed 3.5 GiB, 3,255-3,289 MiB measured as PSS, until its kernel stopped importing
# PyTorch and its script stopped holding the first run's weights in memory: 2,933 MiB.)
OVER_BUDGET: dict[str, float] = {}
# Where the PSS cannot be read (macOS, Windows) the budget counts the RSS sum, in which lesson 11's
# shared libraries count once per process (3,144-3,896 MiB measured on Linux): 4.5 GiB there.
OVER_BUDGET_RSS_ONLY = {"11_distributed_pt.ipynb": 4.5, "11_distributed_tf.ipynb": 4.5}


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
            self.sampler.watch(kernel_pid(item.parent),
                               pss_above=int(self.budget(item.parent.nodeid) * 2**30))

    def budget(self, notebook: str) -> float:
        own = OVER_BUDGET if PSS_READABLE else OVER_BUDGET_RSS_ONLY
        return max(self.budget_gib, own.get(Path(notebook).name, 0))

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item, call):
        outcome = yield
        if call.when != "call" or not _is_cell(item) or item.parent is not self.notebook:
            return
        peak = self.sampler.sample()
        item.user_properties.append(("memory_peak_mib", round(peak / MIB)))
        notebook = item.parent.nodeid
        budget = self.budget(notebook)
        counted = self.sampler.budget_peak
        if counted > budget * 2**30 and notebook not in self.failed:
            self.failed.add(notebook)
            report = outcome.get_result()
            report.outcome = "failed"
            how = ("proportional set size, shared pages counted once" if self.sampler.pss_samples
                   else "resident, summed")
            report.longrepr = (
                f"{notebook}: the kernel and the processes it started used {counted / 2**30:.2f} "
                f"GiB of memory ({how}) by the end of this cell, over the notebook budget "
                f"of {budget:g} GiB (8 GB laptops, Colab's free tier). Make the lesson "
                f"load less at once (smaller batches or models, free what it no longer needs, "
                f"fewer worker processes), or measure it with benchmarks/notebook_memory.py. "
                f"--notebook-memory-budget GIB changes the budget (0 turns the check off).")

    def pytest_unconfigure(self, config):
        self.sampler.stop()


def pytest_addoption(parser):
    parser.addoption(
        "--notebook-memory-budget", type=float, default=DEFAULT_BUDGET_GIB, metavar="GIB",
        help="fail a notebook whose kernel and child processes together use more memory than "
             "this (the RSS sum, or the PSS sum where that is over it; default "
             f"{DEFAULT_BUDGET_GIB:g}; 0: no check)")


def pytest_configure(config):
    budget = config.getoption("--notebook-memory-budget")
    if budget < 0:
        raise pytest.UsageError(f"--notebook-memory-budget must be 0 or more GiB, not {budget}")
    if budget > 0:
        config.pluginmanager.register(NotebookMemoryBudget(budget), "notebook-memory-budget")
