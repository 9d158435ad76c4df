"""Run the output-comparing notebook tests several times and report every cell that failed in any
run.

    python scripts/determinism.py [--runs 3] [--workers 2] [PATH ...]

Each run is the README's nbval command (fresh kernels, committed outputs compared through
`tests/sanitize.cfg`) on PATH (default: `solutions/`, the notebooks whose outputs are committed).
A cell whose output changes between runs, or differs from the committed one in any run, is listed
with the runs it failed in and the first lines of nbval's message. The report is printed and
written to `runs/determinism/report.md`; the JUnit XML of each run sits next to it.

Exit status: 0 when every run passed, 1 when some cell failed in some run (a flaky or stale cell).
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "runs" / "determinism"


def pytest_command(paths: list[str], workers: int, junit: Path) -> list[str]:
    command = [sys.executable, "-m", "pytest", "-q", "--nbval", "--nbval-sanitize-with",
               "tests/sanitize.cfg", f"--junitxml={junit}", *paths]
    if workers > 1:
        command[3:3] = ["-n", str(workers), "--dist", "loadgroup"]  # as make test
    return command


def read_junit(path: Path) -> tuple[int, dict[str, str]]:
    """(number of test cases, {test id: failure message}) of one run's JUnit XML."""
    root = ET.parse(path).getroot()
    cases, failed = 0, {}
    for case in root.iter("testcase"):
        cases += 1
        test_id = f"{case.get('classname') or case.get('file') or '?'}::{case.get('name', '')}"
        for kind in ("failure", "error"):
            element = case.find(kind)
            if element is not None:
                message = (element.get("message") or "") + "\n" + (element.text or "")
                failed[test_id] = message.strip()
    return cases, failed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=["solutions"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--out", type=Path, default=OUT,
                        help="folder for the report and the XML files")
    args = parser.parse_args(argv)
    out = args.out
    if args.runs < 1:
        parser.error("--runs must be at least 1")
    for path in args.paths:
        if not (ROOT / path).exists():
            parser.error(f"{path} does not exist (paths are relative to {ROOT})")
    out.mkdir(parents=True, exist_ok=True)

    failures: dict[str, dict[int, str]] = defaultdict(dict)
    lines = [f"# Determinism report: {args.runs} run(s) of nbval on {' '.join(args.paths)}", "",
             "| run | cells compared | failed | wall time |", "|---|---|---|---|"]
    for run in range(1, args.runs + 1):
        junit = out / f"run-{run}.xml"
        junit.unlink(missing_ok=True)
        command = pytest_command(args.paths, args.workers, junit)
        print(f"run {run}/{args.runs}: {' '.join(command[1:])}", flush=True)
        start = time.perf_counter()
        result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
        seconds = time.perf_counter() - start
        if not junit.exists():
            print(result.stdout[-3000:], result.stderr[-3000:], sep="\n")
            print(f"run {run}: pytest wrote no report (exit status {result.returncode})")
            return 2
        cases, failed = read_junit(junit)
        for test_id, message in failed.items():
            failures[test_id][run] = message
        lines.append(f"| {run} | {cases} | {len(failed)} | {seconds:.0f} s |")
        print(f"run {run}: {cases} cells, {len(failed)} failed, {seconds:.0f} s", flush=True)

    lines.append("")
    if failures:
        lines.append(f"{len(failures)} cell(s) failed in at least one run:")
        lines.append("")
        for test_id in sorted(failures):
            runs = sorted(failures[test_id])
            first = failures[test_id][runs[0]].splitlines()[:6]
            lines.append(f"- `{test_id}` failed in run(s) {', '.join(map(str, runs))}")
            lines.extend(f"    {line}" for line in first)
    else:
        lines.append(f"Clean: every cell matched its committed output in all {args.runs} runs.")
    report = "\n".join(lines) + "\n"
    (out / "report.md").write_text(report, encoding="utf-8")
    print()
    print(report)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
