"""Your exercise results across the whole course, lesson by lesson.

Every ``check(...)`` you run records its result (✅ or ❌, and how many tries) in
``runs/progress.json`` in the course folder (``$COURSE_PROGRESS_FILE`` to keep it elsewhere).
See them all, in a terminal or in a notebook cell::

    python -m utils.progress          # or, in a notebook:  from utils.progress import show; show()
    python -m utils.progress --reset  # forget the recorded results

Nothing is recorded while the grader runs a notebook, and the file is only yours: the grade
comes from running the notebook, never from this file.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from pathlib import Path

from utils import checks

LESSONS = Path(__file__).resolve().parent / "exercises"


def catalogue() -> dict[str, list[checks.Exercise]]:
    """{lesson number: its exercises in order}, from every ``utils/exercises/lessonNN.py``."""
    lessons: dict[str, list[checks.Exercise]] = {}
    for path in sorted(LESSONS.glob("lesson[0-9][0-9].py")):
        importlib.import_module(f"utils.exercises.{path.stem}")
        lessons[path.stem[-2:]] = []
    for exercise_id in sorted(checks.EXERCISES):  # "NN.N": lesson and number, in order
        lesson = exercise_id.split(".")[0]
        if lesson in lessons:  # not the tests' own exercises
            lessons[lesson].append(checks.EXERCISES[exercise_id])
    return lessons


def lesson_title(lesson: str) -> str:
    """"tokenizers" from the docstring "Checks for lesson 04 (tokenizers)."."""
    doc = importlib.import_module(f"utils.exercises.lesson{lesson}").__doc__ or ""
    found = re.search(r"\((.+)\)", doc)
    return found.group(1) if found else ""


def report(results: dict[str, dict] | None = None) -> str:
    results = checks.read_progress() if results is None else results
    lines, counts = [], {"passed": 0, "failed": 0, "untried": 0}
    for lesson, exercises in catalogue().items():
        lines.append(f"{lesson} · {lesson_title(lesson)}")
        for ex in exercises:
            entry = results.get(ex.id)
            if not isinstance(entry, dict) or not entry:
                mark, note, kind = "· ", "", "untried"
            elif entry.get("passed"):
                mark, kind = "✅", "passed"
                note = f"  ({_tries(entry)})"
            else:
                mark, kind = "❌", "failed"
                note = f"  (not yet: {_tries(entry)}, last {entry.get('time', '?')})"
            counts[kind] += 1
            lines.append(f"  {mark} {ex.id} {ex.title}{note}")
    total = sum(counts.values())
    lines.append(f"{counts['passed']} of {total} exercises passed · {counts['failed']} not yet "
                 f"(❌) · {counts['untried']} not tried (·)")
    return "\n".join(lines)


def _tries(entry: dict) -> str:
    n = entry.get("attempts", 1)
    n = n if isinstance(n, int) else 1
    return f"{n} {'check' if n == 1 else 'checks'}"


def show() -> None:
    """Print the table (for a notebook cell)."""
    print(report())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.progress", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--reset", action="store_true", help="forget the recorded results")
    args = parser.parse_args(argv)
    path = checks.progress_file()
    if args.reset:
        path.unlink(missing_ok=True)
        print(f"Forgot the recorded results ({path.name} removed).")
        return 0
    print(report())
    if not path.exists():
        print("Nothing recorded yet: run a lesson's exercise cells (each check(...) is recorded).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
