"""Benchmark: where the test suite's time goes. Runs the README's test command (`make test`'s
pytest command, read from the Makefile) with a JUnit report, or reads a report written before,
and prints the time of each notebook and test file (setup included: a notebook's kernel start
is in its first cell), slowest first, with totals and the peak memory of each notebook.

    python benchmarks/suite_time.py                       # the whole suite (as make test)
    python benchmarks/suite_time.py tests/test_checks.py solutions/02_pipeline_pt.ipynb
    python benchmarks/suite_time.py --junit report.xml    # an existing report
    python benchmarks/suite_time.py --keep report.xml ... # keep the report it writes
    python benchmarks/suite_time.py --junit report.xml --write-order tests/suite_order.json
    python benchmarks/suite_time.py --write-order tests/suite_order.json FILE ...  # update FILEs

`--write-order` stores each file's measured seconds; conftest.py starts the slowest files first,
so that two workers finish together instead of one running a long notebook alone at the end.

The times are the ones pytest measured for each test; with 2 workers their sum is larger than
the wall time, and `group` says which files share one worker one after the other.
"""

from __future__ import annotations

import argparse
import importlib.util
import re
import shlex
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_command(makefile: Path = ROOT / "Makefile") -> list[str]:
    """The arguments after `pytest` in the Makefile's `test` recipe."""
    text = makefile.read_text(encoding="utf-8")
    match = re.search(r"^test:.*\n((?:\t.*\n)+)", text, re.MULTILINE)
    recipe = match.group(1) if match else ""
    found = re.search(r"-m pytest\b(.*)", recipe)
    if not found:
        raise SystemExit(f"error: no `python -m pytest ...` line in the `test` recipe of "
                         f"{makefile}; pass --junit with a report instead")
    return shlex.split(found.group(1).replace("$(PYTEST_ARGS)", ""))


def run_suite(paths: list[str], junit: Path) -> tuple[int, float]:
    command = [sys.executable, "-m", "pytest", *test_command(), *paths,
               f"--junitxml={junit}", "-o", "junit_family=xunit1", "-q"]
    print("running:", shlex.join(["python", *command[1:]]), flush=True)
    start = time.perf_counter()
    status = subprocess.run(command, cwd=ROOT, check=False).returncode
    return status, time.perf_counter() - start


def _groups():
    """conftest.py's ``xdist_group(path)``: which files share a worker one after the other."""
    spec = importlib.util.spec_from_file_location("course_conftest", ROOT / "conftest.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.xdist_group


def _file_index() -> dict[str, str]:
    """JUnit class-name prefix -> repository path, for reports without `file` attributes."""
    index = {}
    for path in [*ROOT.glob("tests/**/*.py"), *ROOT.glob("*/*.ipynb")]:
        relative = path.relative_to(ROOT).as_posix()
        index[relative.removesuffix(".py").replace("/", ".")] = relative
    return index


# A student copy's cells that run in its solution's kernel (tests/paired_notebooks.py) are
# test cases of the solution's file named "notebooks Cell N": they count for the student copy.
STUDENT_CELL = re.compile(r"notebooks Cell \d+$")


def file_of(case: ET.Element, index: dict[str, str]) -> str:
    path = case.get("file")
    if not path:
        classname = case.get("classname", "")
        for prefix in sorted(index, key=len, reverse=True):
            if classname == prefix or classname.startswith(prefix + "."):
                path = index[prefix]
                break
        else:
            return classname or case.get("name", "?")
    if STUDENT_CELL.match(case.get("name", "")) and path.startswith("solutions/"):
        return "notebooks/" + path.removeprefix("solutions/")
    return path


def scheduled_file(path: str, files: dict) -> str:
    """The file whose kernel ran ``path``'s tests: a student copy that ran in its solution's
    kernel (its solution is in the same report) is scheduled with that solution."""
    solution = "solutions/" + path.removeprefix("notebooks/")
    return solution if path.startswith("notebooks/") and solution in files else path


def read_report(junit: Path) -> tuple[dict[str, dict], float | None]:
    """Per file: seconds, tests, failures, xdist group, peak memory (MiB); and the wall time."""
    try:
        root = ET.parse(junit).getroot()
    except (OSError, ET.ParseError) as err:
        raise SystemExit(f"error: cannot read the JUnit report {junit}: {err}") from err
    suites = [root] if root.tag == "testsuite" else root.findall("testsuite")
    index, group_of = _file_index(), _groups()
    files: dict[str, dict] = defaultdict(
        lambda: {"seconds": 0.0, "tests": 0, "failed": 0, "group": "", "memory": None})
    wall = sum(float(s.get("time", 0)) for s in suites) if suites else None
    for case in root.iter("testcase"):
        row = files[file_of(case, index)]
        row["seconds"] += float(case.get("time", 0) or 0)
        row["tests"] += 1
        if case.find("failure") is not None or case.find("error") is not None:
            row["failed"] += 1
        for prop in case.iter("property"):
            if prop.get("name") == "memory_peak_mib":
                row["memory"] = max(row["memory"] or 0, int(float(prop.get("value"))))
    for path, row in files.items():
        row["group"] = group_of(ROOT / path)
    return dict(files), wall


def table(files: dict[str, dict], wall: float | None) -> str:
    rows = sorted(files.items(), key=lambda kv: -kv[1]["seconds"])
    total = sum(r["seconds"] for _, r in rows)
    lines = ["| file | group | tests | failed | seconds | share | peak memory |",
             "|---|---|---|---|---|---|---|"]
    for path, r in rows:
        memory = f"{r['memory']:,} MiB" if r["memory"] is not None else ""
        share = f"{r['seconds'] / total:.1%}" if total else ""
        group = r["group"] if r["group"] != path else ""
        lines.append(f"| {path} | {group} | {r['tests']} | {r['failed']} | "
                     f"{r['seconds']:,.1f} | {share} | {memory} |")
    by_group: dict[str, float] = defaultdict(float)
    for path, r in rows:
        if r["group"] != path:
            by_group[r["group"]] += r["seconds"]
    lines.append(f"| **total** ({len(rows)} files) | | {sum(r['tests'] for _, r in rows)} | "
                 f"{sum(r['failed'] for _, r in rows)} | {total:,.1f} | 100% | |")
    summary = [f"sum of test times: {total:,.1f} s"]
    for group, seconds in sorted(by_group.items()):
        summary.append(f"group '{group}' (one after the other on one worker): {seconds:,.1f} s")
    paired = [path for path in files if scheduled_file(path, files) != path]
    if paired:
        summary.append(f"{len(paired)} student copies ran in their solution's kernel from the "
                       f"first cell where the two differ (their rows count those cells only)")
    if wall is not None:
        summary.append(f"wall time (JUnit report): {wall:,.1f} s")
    return "\n".join(lines) + "\n\n" + "\n".join(summary)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", help="run only these tests or notebooks")
    parser.add_argument("--junit", type=Path, help="read this JUnit report instead of running")
    parser.add_argument("--keep", type=Path, help="write the JUnit report of the run here")
    parser.add_argument("--write-order", type=Path, metavar="JSON",
                        help="write each file's seconds here (conftest.py runs the slowest first)")
    args = parser.parse_args(argv)
    if args.junit and args.paths:
        parser.error("give either --junit or paths to run, not both")
    status = 0
    if args.junit:
        junit = args.junit
        if not junit.is_file():
            parser.error(f"no JUnit report at {junit}")
    else:
        junit = args.keep or Path(tempfile.mkdtemp(prefix="suite-time-")) / "junit.xml"
        status, seconds = run_suite(args.paths, junit)
        print(f"\npytest exit status {status}, {seconds:,.1f} s in all (start-up included)\n")
    files, wall = read_report(junit)
    if not files:
        print(f"error: the report {junit} has no test cases", file=sys.stderr)
        return status or 1
    print(table(files, wall))
    if args.write_order:
        write_order(files, args.write_order, junit, merge=bool(args.paths))
    return status


def write_order(files: dict[str, dict], target: Path, junit: Path, merge: bool = False) -> None:
    """Each file's measured seconds, slowest first, as conftest.py reads them. With ``merge`` (a
    run of some files only) the files measured now replace their entries and the others keep
    theirs."""
    import json
    combined: dict[str, float] = defaultdict(float)
    for path, row in files.items():
        combined[scheduled_file(path, files)] += row["seconds"]
    seconds = {path: round(value, 1) for path, value in combined.items() if (ROOT / path).is_file()}
    if merge and target.is_file():
        earlier = json.loads(target.read_text(encoding="utf-8")).get("seconds", {})
        seconds = {**{p: s for p, s in earlier.items() if (ROOT / p).is_file()}, **seconds}
    seconds = dict(sorted(seconds.items(), key=lambda kv: -kv[1]))
    document = {"about": "Seconds per test file or notebook from one run of the suite "
                         "(benchmarks/suite_time.py --write-order); conftest.py starts the "
                         "slowest first. Files not listed run after these, in their usual order.",
                "seconds": seconds}
    target.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote the order of {len(seconds)} files to {target} (from {junit.name})")


if __name__ == "__main__":
    sys.exit(main())
