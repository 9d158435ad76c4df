"""``python -m utils.grade``: the command line."""

from __future__ import annotations

import argparse
import math
import os
import re
import sys
import time
from pathlib import Path

from utils.grade.declarations import Lesson, LessonError, lesson_problems, load_lesson
from utils.grade.isolation import Baseline
from utils.grade.records import ExerciseStatus, NotebookStatus, SubmissionRecord
from utils.grade.reports import print_record, print_summary, write_reports
from utils.grade.scoring import grade_one, mark_tampered, new_record
from utils.grade.submissions import SOLUTIONS, UsageError, collect
from utils.selfcheck import STUDENT_DIR

DEFAULT_TIMEOUT = 600
DEFAULT_REPORT_DIR = Path("grades")


def safe_name(text: str) -> str:
    """A file or folder name made from a student id or notebook name."""
    name = re.sub(r"[^\w.@+=-]+", "_", text).strip("._") or "_"
    return name[:100]


def executed_paths(records_keys: list[tuple[str, str]], report_dir: Path) -> list[Path]:
    """Where each submission's executed copy goes; two copies of one lesson from one student
    get numbered names instead of overwriting each other."""
    counts: dict[tuple[str, str], int] = {}
    for key in records_keys:
        counts[key] = counts.get(key, 0) + 1
    seen: dict[tuple[str, str], int] = {}
    paths = []
    for student, name in records_keys:
        folder = report_dir / "executed" / safe_name(student)
        if counts[(student, name)] > 1:
            seen[(student, name)] = seen.get((student, name), 0) + 1
            stem = safe_name(Path(name).stem)
            paths.append(folder / f"{stem}.copy{seen[(student, name)]}.ipynb")
        else:
            paths.append(folder / safe_name(name))
    return paths


def main(argv: list[str] | None = None) -> int:
    from utils.grade import __doc__ as doc

    sys.dont_write_bytecode = True  # the grader itself never changes the course's caches
    parser = argparse.ArgumentParser(
        prog="python -m utils.grade", description=doc,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="student notebooks, or folders to search for *.ipynb")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time for running one notebook, and again for its checks "
                             f"(default {DEFAULT_TIMEOUT})")
    parser.add_argument("--report-dir", type=Path, default=DEFAULT_REPORT_DIR, metavar="DIR",
                        help="where grades.csv, grades.json and executed/ go (default grades/)")
    parser.add_argument("--self-check", action="store_true",
                        help="for learners: the notebook's own checks only, no hidden tests")
    args = parser.parse_args(argv)
    try:
        if not args.timeout > 0 or not math.isfinite(args.timeout):
            raise UsageError("--timeout must be a positive number of seconds.")
        solutions = SOLUTIONS
        if not SOLUTIONS.is_dir():  # a graded release: the declarations are in the student copies
            if not args.self_check:
                raise UsageError(f"this copy of the course has no {SOLUTIONS.name}/ folder (a "
                                 "graded release); grade with the instructor's copy of the "
                                 "course, which has the solutions and the hidden tests.")
            solutions = STUDENT_DIR
        submissions, skipped = collect(args.paths, solutions)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    mode = "self-check" if args.self_check else "grade"
    for line in skipped:
        print(f"warning: {line}", file=sys.stderr)

    status = 0
    lessons: dict[Path, Lesson | str] = {}  # all read before any student code runs
    for solution in sorted({sub.solution for sub in submissions}):
        try:
            lessons[solution] = load_lesson(solution)
            problems = lesson_problems(lessons[solution]) if solution.parent == SOLUTIONS else []
            for line in lessons[solution].warnings + problems:
                print(f"warning: {line}", file=sys.stderr)
        except LessonError as err:
            print(f"error: {err}", file=sys.stderr)
            lessons[solution] = str(err)
            status = 1
    baseline = Baseline.take()  # the course and the environment before any student code
    keys = [(sub.student, sub.solution.name) for sub in submissions]
    for key in {k for k in keys if keys.count(k) > 1}:
        paths = [str(s.path) for s in submissions if (s.student, s.solution.name) == key]
        print(f"warning: {key[0]} has {len(paths)} notebooks for {key[1]} ({', '.join(paths)}); "
              "each is graded and kept apart, the best one counts.", file=sys.stderr)
    executed = executed_paths(keys, args.report_dir)
    # Never readable from a kernel: the instructor's solutions and hidden tests, and this
    # process's own files in /proc (its environment may hold the teacher's secrets).
    private_paths = [SOLUTIONS, Path(f"/proc/{os.getpid()}")]
    records: list[SubmissionRecord] = []
    started = time.monotonic()
    write_reports(records, args.report_dir, mode, args.timeout, skipped, finished=False)
    for number, (sub, copy_path) in enumerate(zip(submissions, executed), 1):
        lesson = lessons[sub.solution]
        print(f"[{number}/{len(submissions)}] {sub.student} · {sub.path.name} ...",
              file=sys.stderr, flush=True)
        if isinstance(lesson, str):
            record = new_record(sub, None)
            record.status = NotebookStatus.NOT_GRADED
            record.message = f"the lesson's solution cannot be read: {lesson}"
        else:
            try:
                record = grade_one(sub, lesson, args.timeout, hidden=not args.self_check,
                                   baseline=baseline, private_paths=private_paths,
                                   executed=copy_path)
            except Exception as err:  # a grader bug must not cost the other students
                record = new_record(sub, lesson)
                record.status = NotebookStatus.GRADER_ERROR
                record.message = f"the grader failed on this notebook: {type(err).__name__}: " \
                                 f"{str(err)[:300]}"
                record.zero(ExerciseStatus.NOT_RUN, "could not be graded")
        changes = baseline.check_environment()
        if changes or record.tampered:
            mark_tampered(record, record.tampered + [str(c) for c in changes])
            failed = baseline.restore(changes)
            for line in failed:
                print(f"error: could not undo a change a notebook made: {line}", file=sys.stderr)
                status = 1
        records.append(record)
        print_record(record)
        write_reports(records, args.report_dir, mode, args.timeout, skipped, finished=False)
    print_summary(records)
    csv_path, json_path = write_reports(records, args.report_dir, mode, args.timeout, skipped)
    elapsed = time.monotonic() - started
    print(f"\n{len(records)} notebook(s) of {len({r.student for r in records})} student(s) "
          f"{'self-checked' if args.self_check else 'graded'} in {elapsed:.0f} s; reports: "
          f"{csv_path}, {json_path}")
    if args.self_check and (solutions != SOLUTIONS or any(
            lesson.hidden for lesson in lessons.values() if isinstance(lesson, Lesson))):
        print("Self-check runs the checks of your notebook only; the grader also runs hidden "
              "tests (e.g. your functions on other inputs).")
    return status
