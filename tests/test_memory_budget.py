"""The notebook memory budget (tests/memory_budget.py): the sampler counts the processes a kernel
starts, and under nbval a notebook over the budget fails at the cell where it went over, while
one under it passes. Runs pytest for real on two small notebooks."""

import os
import signal
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import nbformat
import pytest

from tests.memory_budget import TreePeak, tree_rss

ROOT = Path(__file__).resolve().parent.parent
MIB = 2**20
# Holds 400 MiB of written (so resident) memory for 4 seconds.
BLOCK = 'import time; block = b"x" * (400 * 2**20); time.sleep(4)'
# Starts that as a child process and waits for it, as lesson 11 starts its training workers.
HOLD = f"import subprocess, sys\nsubprocess.run([sys.executable, '-c', {BLOCK!r}], check=True)"
# Writes 120 MiB, then forks twice: four processes share the block, as workers share libraries.
SHARED_BLOCK = ('import os, time\nblock = b"x" * (120 * 2**20)\n'
                'kids = [pid for pid in (os.fork(), os.fork()) if pid]\ntime.sleep(4)\n'
                'for pid in kids:\n    try:\n        os.waitpid(pid, 0)\n'
                '    except ChildProcessError:\n        pass\n')
SHARE = HOLD.replace(repr(BLOCK), repr(SHARED_BLOCK))


def _notebook(path: Path, *sources: str) -> Path:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))
    return path


def test_the_sampler_counts_child_processes():
    parent = subprocess.Popen([sys.executable, "-c", HOLD])
    sampler = TreePeak(interval=0.1)
    try:
        sampler.watch(parent.pid)
        deadline = time.monotonic() + 60  # the child holds its block for 4 s, then ends
        while sampler.peak < 400 * MIB and parent.poll() is None and time.monotonic() < deadline:
            time.sleep(0.1)
    finally:
        sampler.stop()
        parent.kill()
        parent.wait()
    assert sampler.peak >= 400 * MIB, f"peak {sampler.peak / MIB:.0f} MiB"
    assert sampler.samples >= 2
    assert tree_rss(parent.pid) == 0  # gone: nothing to count


# Writes 400 MiB, then forks: parent and child share those pages until one of them writes.
FORKED = ('import os, time; block = b"x" * (400 * 2**20); pid = os.fork(); time.sleep(4)\n'
          'if pid: os.waitpid(pid, 0)')


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PSS is read on Linux only")
def test_proportional_sampling_counts_a_shared_page_once():
    parent = subprocess.Popen([sys.executable, "-c", FORKED], start_new_session=True)
    samplers = [TreePeak(interval=0.1), TreePeak(interval=0.1, proportional=True),
                TreePeak(interval=0.1)]
    try:
        for sampler in samplers[:2]:
            sampler.watch(parent.pid)
        samplers[2].watch(parent.pid, pss_above=600 * MIB)  # as the budget reads it
        deadline = time.monotonic() + 60
        while (samplers[0].peak < 790 * MIB or samplers[1].peak < 390 * MIB
               or samplers[2].pss_samples == 0) and (
                parent.poll() is None and time.monotonic() < deadline):
            time.sleep(0.1)
    finally:
        for sampler in samplers:
            sampler.stop()
        os.killpg(parent.pid, signal.SIGKILL)  # the forked child too
        parent.wait()
    rss, pss = samplers[0].peak / MIB, samplers[1].peak / MIB
    assert rss >= 790, f"RSS sum {rss:.0f} MiB: the block is counted in both processes"
    assert 390 <= pss < 600, f"PSS sum {pss:.0f} MiB: the shared block should count once"
    # The budget's reading: the RSS sum until it is over the budget, the PSS sum above it.
    assert samplers[0].budget_peak == samplers[0].peak and samplers[0].pss_samples == 0
    budget = samplers[2]
    assert budget.peak >= 790 * MIB and budget.pss_samples >= 1
    assert 390 * MIB <= budget.budget_peak < 600 * MIB, f"{budget.budget_peak / MIB:.0f} MiB"


def test_a_notebook_over_budget_fails_where_it_went_over(tmp_path):
    heavy = _notebook(tmp_path / "heavy.ipynb", "x = 1", HOLD, "print(x + 1)")
    light = _notebook(tmp_path / "light.ipynb", "print('small')")
    # Over the budget as the RSS sum (4 × 120 MiB and the kernel), within it as the PSS sum.
    linux = sys.platform.startswith("linux")
    shared = _notebook(tmp_path / "shared.ipynb", SHARE) if linux else None
    junit = tmp_path / "junit.xml"
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "tests.memory_budget", "-p", "no:cacheprovider",
         "-p", "no:xdist", "--nbval-lax", "--notebook-memory-budget", "0.3",
         f"--junitxml={junit}", "-o", "junit_family=xunit1", str(heavy), str(light),
         *([str(shared)] if shared else [])],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-2000:]
    cases = {c.get("name"): c for c in ET.parse(junit).getroot().iter("testcase")
             if c.get("classname", "").endswith("heavy.ipynb")}
    failed = sorted(name for name, c in cases.items() if c.find("failure") is not None)
    assert failed == ["Cell 1"], result.stdout[-3000:]
    message = cases["Cell 1"].find("failure").get("message", "") + cases["Cell 1"].find(
        "failure").text
    assert "over the notebook budget of 0.3 GiB" in message, message
    peaks = [int(p.get("value")) for c in cases.values() for p in c.iter("property")
             if p.get("name") == "memory_peak_mib"]
    assert len(peaks) == 3 and max(peaks) >= 400, peaks
    passed = 4 if shared else 3  # light.ipynb passed, and shared.ipynb within the budget as PSS
    assert f"1 failed, {passed} passed" in result.stdout, result.stdout[-2000:]
    if shared:
        shared_peaks = [int(p.get("value")) for c in ET.parse(junit).getroot().iter("testcase")
                        if c.get("classname", "").endswith("shared.ipynb")
                        for p in c.iter("property") if p.get("name") == "memory_peak_mib"]
        assert shared_peaks and shared_peaks[0] > 0.3 * 1024, f"RSS sum {shared_peaks} MiB"
