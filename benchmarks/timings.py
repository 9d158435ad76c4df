"""One table of notebook run times and peak memory, and the README tables made from it.

`benchmarks/notebook_times.json` holds, per solution notebook, the run time and the kernel's
peak memory that `benchmarks/notebook_memory.py` measured (each notebook top to bottom in a
fresh kernel, kernel start included), with the machine and date of the measurement. Both README
tables that quote these figures, the *CPU run time* column of the lesson table and the
*Notebooks* table under Performance, are written from it:

    python benchmarks/timings.py            # rewrite the README tables from the JSON file
    python benchmarks/timings.py --check    # exit 1 if the README differs from the JSON file

`notebook_memory.py` updates the JSON file for the notebooks it measured and then rewrites the
README; `tests/test_timings.py` fails when the README and the file disagree.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TIMES = ROOT / "benchmarks" / "notebook_times.json"
README = ROOT / "README.md"
BEGIN, END = "<!-- notebook-times: begin -->", "<!-- notebook-times: end -->"


def load(path: Path = TIMES) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def save(document: dict, path: Path = TIMES) -> None:
    document["notebooks"] = dict(sorted(document["notebooks"].items()))
    path.write_text(json.dumps(document, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")


def record(name: str, seconds: float, kernel_mib: float, path: Path = TIMES) -> None:
    """Store one measurement (notebook file name, run time, kernel peak)."""
    document = load(path)
    document["notebooks"][name] = {"seconds": round(seconds), "kernel_mib": round(kernel_mib)}
    save(document, path)


def performance_table(document: dict) -> str:
    lines = ["| notebook | peak kernel memory | run time |", "|---|---|---|"]
    for name, row in sorted(document["notebooks"].items()):
        lines.append(f"| {name} | {row['kernel_mib']:,} MiB | {row['seconds']} s |")
    return "\n".join(lines)


def _lesson_rows(text: str):
    """(match, notebook file name) for each row of the README's lesson table."""
    return re.finditer(r"^\| \d\d \| \[(?P<name>[^\]]+)\]\(solutions/[^)]+\) \|.*$", text,
                       re.MULTILINE)


def render(text: str, document: dict) -> str:
    """The README with both tables written from ``document``."""
    if BEGIN not in text or END not in text:
        raise SystemExit(f"error: README.md has no {BEGIN} ... {END} block")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    text = f"{head}{BEGIN}\n{performance_table(document)}\n{END}{tail}"
    out, last = [], 0
    for match in _lesson_rows(text):
        name = match.group("name") + ".ipynb"
        cells = match.group(0).split(" | ")
        row = document["notebooks"].get(name)
        if row is None:
            raise SystemExit(f"error: {name} is in the README's lesson table but not in "
                             f"{TIMES.name}; measure it: "
                             f"python benchmarks/notebook_memory.py --save solutions/{name}")
        cells[4] = f"{row['seconds']} s"  # | # | solution | topics | framework | run time | Colab |
        out.append(text[last:match.start()] + " | ".join(cells))
        last = match.end()
    return "".join(out) + text[last:]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true",
                        help="only say whether the README agrees with the JSON file")
    args = parser.parse_args(argv)
    text = README.read_text(encoding="utf-8")
    new = render(text, load())
    if args.check:
        if new != text:
            print(f"README.md's run-time tables differ from {TIMES.relative_to(ROOT)}; "
                  "run: python benchmarks/timings.py", file=sys.stderr)
            return 1
        print("README.md's run-time tables agree with the measurements")
        return 0
    if new != text:
        README.write_text(new, encoding="utf-8")
        print("README.md: run-time tables rewritten")
    else:
        print("README.md: run-time tables already up to date")
    return 0


if __name__ == "__main__":
    sys.exit(main())
