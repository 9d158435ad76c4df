"""Benchmark 4: peak memory of each solution notebook, the kernel together with the processes it
starts (lesson 11 launches `accelerate`/`torchrun` workers), measured by running the notebook in
a fresh kernel.

    python benchmarks/notebook_memory.py [--save] [--budget 3] [--proportional] [NOTEBOOK ...]

Two figures per notebook: the kernel's own peak resident set size (``ru_maxrss``, asked from the
kernel at the end: exact, but blind to child processes), and the peak of the summed resident
memory of the kernel and all its descendants, sampled every 0.25 s from outside (what the test
suite's memory budget samples, tests/memory_budget.py). The sum counts pages that processes
share once per process, so it errs on the high side; ``--proportional`` also samples the summed
proportional set size (PSS), which counts each shared page once, all the time. Exit status 1 if a
notebook is over the budget, checked as the test suite checks it: on the RSS sum, and where that
is over the budget, on the PSS sum (Linux).

With --save, each executed notebook is written back with its outputs (as
`python -m utils.generate --execute` does), so one pass refreshes and measures; the run time and
kernel peak of each solution notebook then go into `benchmarks/notebook_times.json`, and the
README's run-time tables are rewritten from it (`benchmarks/timings.py`).
"""

import argparse
import os
import sys
import time
from pathlib import Path

import common
import nbformat
import timings

from utils.generate import coalesce_streams, run_notebook

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # the sampler is the test suite's own (tests/memory_budget.py)
from tests.memory_budget import DEFAULT_BUDGET_GIB, PSS_READABLE, TreePeak  # noqa: E402

MIB = 2**20
PSS_INTERVAL_S = 0.5  # reading PSS costs more than RSS
PEAK = ("import resource, sys\n"
        "_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(_kb / 1024 if sys.platform != 'darwin' else _kb / 1024**2)")


def measure(path: Path, save: bool = False, proportional: bool = False,
            budget_gib: float = DEFAULT_BUDGET_GIB
            ) -> tuple[float, float, float, float, float | None, float, bool]:
    """(kernel peak MiB, kernel + children peak MiB, seconds, sampler CPU seconds, with
    ``proportional`` the peak of the kernel's and children's summed PSS in MiB (else None), the
    peak the budget counts in MiB: the RSS sum, or the PSS sum where that is over it, and whether
    a PSS sum was read for it)."""
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK))
    samplers = [TreePeak(include_root=False)]  # this process's descendants: the kernel's tree
    if proportional:
        samplers.append(TreePeak(PSS_INTERVAL_S, include_root=False, proportional=True))
    samplers[0].watch(os.getpid(), pss_above=int(budget_gib * 2**30))
    for sampler in samplers[1:]:
        sampler.watch(os.getpid())
    start = time.perf_counter()
    try:
        run_notebook(nb, path.parent)  # as `python -m utils.generate --execute` runs it
    finally:
        seconds = time.perf_counter() - start
        for sampler in samplers:
            sampler.stop()
    kernel = float(nb.cells.pop().outputs[0]["text"])
    if save:
        coalesce_streams(nb)  # as `python -m utils.generate --execute` saves it
        nbformat.write(nb, str(path))
    pss = samplers[1].peak / MIB if proportional else None
    return (kernel, max(samplers[0].peak / MIB, kernel), seconds,
            sum(sampler.cpu_seconds for sampler in samplers), pss,
            max(samplers[0].budget_peak / MIB, kernel), samplers[0].pss_samples > 0)


def main():
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--save", action="store_true",
                        help="write each executed notebook back with its outputs")
    parser.add_argument("--budget", type=float, default=DEFAULT_BUDGET_GIB, metavar="GIB",
                        help=f"memory budget per notebook (default {DEFAULT_BUDGET_GIB:g} GiB)")
    parser.add_argument("--proportional", action="store_true",
                        help="also sample the summed proportional set size (PSS, Linux), which "
                             "counts a page that processes share once (every 0.5 s)")
    args = parser.parse_args()
    if args.proportional and not PSS_READABLE:
        parser.error("--proportional reads the proportional set size, which psutil offers on "
                     "Linux only")
    if args.proportional and args.save:
        parser.error("--proportional slows the run it measures (its sampler reads every "
                     "process's mappings): measure it without --save")
    paths = args.notebooks or sorted((ROOT / "solutions").glob("*.ipynb"))
    missing = [str(p) for p in paths if not p.is_file()]
    if missing:
        parser.error(f"no such notebook: {', '.join(missing)}")
    print(f"machine: {common.machine()}\n", flush=True)
    rows, over = [], []
    for path in paths:
        kernel, tree, seconds, cpu, pss, counted, read_pss = measure(
            path, args.save, args.proportional, args.budget)
        verdict = "over" if counted > args.budget * 1024 else "ok"
        if verdict == "over":
            over.append(path.name)
        shared = [f"{pss:,.0f} MiB"] if args.proportional else []
        if read_pss:  # the RSS sum was over the budget: the verdict is the PSS sum's
            verdict += (f" (PSS {counted:,.0f} MiB)" if verdict == "over"
                        else " (as PSS; the RSS sum is over)")
        rows.append([path.name, f"{kernel:,.0f} MiB", f"{tree:,.0f} MiB", *shared,
                     f"{tree / kernel:.2f}×", f"{seconds:.0f} s", f"{cpu / seconds:.2%}", verdict])
        if args.save and path.resolve().parent == ROOT / "solutions":
            timings.record(path.name, seconds, kernel)
        print(f"{path.name:<34} kernel {kernel:7,.0f} MiB  with children {tree:7,.0f} MiB "
              + (f"(PSS {pss:,.0f} MiB) " if args.proportional else "")
              + f"{seconds:6.0f} s  sampler CPU {cpu:.2f} s", flush=True)
    print()
    print(common.table(["notebook", "peak kernel memory", "peak with child processes",
                        *(["peak PSS with child processes"] if args.proportional else []),
                        "× kernel", "run time", "sampler CPU / run time",
                        f"budget {args.budget:g} GiB"], rows))
    if args.save:
        timings.main([])
    if over:
        print(f"\nover the budget of {args.budget:g} GiB: {', '.join(over)}")
    return 1 if over else 0


if __name__ == "__main__":
    sys.exit(main())
