"""Benchmark 4: peak memory (maximum resident set size) of each solution notebook's kernel,
measured by running the notebook in a fresh kernel and asking the kernel at the end.

    python benchmarks/notebook_memory.py [--save] [NOTEBOOK ...]

With --save, each executed notebook is written back with its outputs (as
`python -m utils.generate --execute` does), so one pass refreshes and measures.
"""

import argparse
import sys
import time
from pathlib import Path

import common
import nbformat

from utils.generate import run_notebook

ROOT = Path(__file__).resolve().parent.parent
PEAK = ("import resource, sys\n"
        "_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss\n"
        "print(_kb / 1024 if sys.platform != 'darwin' else _kb / 1024**2)")


def measure(path: Path, save: bool = False) -> tuple[float, float]:
    nb = nbformat.read(str(path), as_version=4)
    nb.cells.append(nbformat.v4.new_code_cell(PEAK))
    start = time.perf_counter()
    run_notebook(nb, path.parent)  # as `python -m utils.generate --execute` runs it
    seconds = time.perf_counter() - start
    peak = float(nb.cells.pop().outputs[0]["text"])
    if save:
        nbformat.write(nb, str(path))
    return peak, seconds


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--save", action="store_true",
                        help="write each executed notebook back with its outputs")
    args = parser.parse_args()
    paths = args.notebooks or sorted((ROOT / "solutions").glob("*.ipynb"))
    print(f"machine: {common.machine()}\n", flush=True)
    rows = []
    for path in paths:
        mib, seconds = measure(path, args.save)
        rows.append([path.name, f"{mib:,.0f} MiB", f"{seconds:.0f} s"])
        print(f"{path.name:<34} {mib:8,.0f} MiB {seconds:6.0f} s", flush=True)
    print()
    print(common.table(["notebook", "peak kernel memory", "run time"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
