"""One submission, start to finish: read it, run it in its own workspace, turn what the kernel
reported into points, and check that it changed nothing it must not change.

The rules: an exercise earns its points when the real check passes on the student's answer and
all its hidden tests pass, else 0. A notebook that changed the course's code (its own copy or
the course itself) or the environment's start-up hooks is ``tampered`` and gets 0; what it
changed is listed and put back before the next submission.
"""

from __future__ import annotations

import shutil
import tempfile
import time
from pathlib import Path

import nbformat

from utils.grade.declarations import Lesson
from utils.grade.execution import _first_line, execute_and_grade
from utils.grade.isolation import Baseline
from utils.grade.records import (
    ExerciseResult,
    ExerciseStatus,
    NotebookStatus,
    SubmissionRecord,
    cap,
)
from utils.grade.submissions import Submission, read_submission

S = ExerciseStatus


def cell_errors(nb) -> tuple[list[str], set[str]]:
    """Errors the notebook raised ("code cell 3 raised ..."), and the ids of exercises whose
    stub still raises NotImplementedError. Failed checks are feedback, not listed."""
    errors, stubs, number = [], set(), 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            name, value = str(out.get("ename", "")), str(out.get("evalue", ""))
            if name == "NotImplementedError" and value.startswith("Exercise "):
                stubs.add(value.split()[1].rstrip(":"))
            elif name not in ("ExerciseFailed", "KeyboardInterrupt"):  # interrupts: timeouts
                text = " ".join(value.split())[:120]
                errors.append(f"code cell {number} (`{_first_line(cell.source)}`) raised "
                              f"{name[:80]}" + (f": {text}" if text else ""))
    return errors[:50], stubs


def new_record(sub: Submission, lesson: Lesson | None) -> SubmissionRecord:
    record = SubmissionRecord(sub.student, sub.solution.name if sub.solution else "",
                              str(sub.path), message=sub.note)
    if lesson is not None:
        record.max_points = lesson.max_points
        record.exercises = [ExerciseResult(ex.id, ex.title, 0, ex.points, S.NOT_RUN, "")
                            for ex in lesson.exercises]
    return record


def grade_one(sub: Submission, lesson: Lesson, timeout: float, hidden: bool,
              baseline: Baseline, private_paths: list[Path],
              executed: Path | None = None) -> SubmissionRecord:
    """Grade one submission; never raises for anything the submission contains."""
    started = time.monotonic()
    record = new_record(sub, lesson)
    if sub.refused:
        record.status, record.message = NotebookStatus.REFUSED, sub.refused
        record.zero(S.NOT_RUN, "not graded")
        return record
    tmp = Path(tempfile.mkdtemp(prefix="grade-"))
    try:
        copy = tmp / "submission.ipynb"
        shutil.copyfile(sub.path, copy)
        nb, problem = read_submission(copy)
        if problem:
            record.status, record.message = NotebookStatus.INVALID, problem
            record.zero(S.NOT_RUN, "the notebook could not be read")
            return record
        try:
            run, workspace = execute_and_grade(nb, lesson, timeout, hidden, tmp, baseline,
                                               private_paths)
        except Exception as err:  # the kernel could not start, ...
            record.status = NotebookStatus.GRADER_ERROR
            record.message = cap(f"could not run the notebook: {type(err).__name__}: {err}", 500)
            record.zero(S.NOT_RUN, "the notebook could not be run")
            return record
        changed = [str(c) for c in baseline.check_workspace(workspace)]
        if executed is not None:
            executed.parent.mkdir(parents=True, exist_ok=True)
            nbformat.write(nb, str(executed))
            record.executed = str(executed)
        score(record, nb, run, lesson, timeout, hidden)
        record.tampered = changed  # the caller adds what changed outside, then marks it
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
        record.seconds = round(time.monotonic() - started, 1)
    return record


def mark_tampered(record: SubmissionRecord, changed: list[str]) -> None:
    record.tampered = sorted(set(record.tampered) | set(changed))
    record.status = NotebookStatus.TAMPERED
    shown = ", ".join(record.tampered[:5]) + (f" and {len(record.tampered) - 5} more"
                                              if len(record.tampered) > 5 else "")
    record.message = cap("; ".join(filter(None, [
        f"the notebook changed what grading relies on ({shown}); graded 0, and the change was "
        "undone before the next submission", record.message])))
    record.zero(S.NOT_RUN, "not graded: the notebook changed the course's code or environment")


def score(record: SubmissionRecord, nb, run, lesson: Lesson, timeout: float,
          hidden: bool) -> None:
    errors, stubs = cell_errors(nb)
    record.errors = [cap(e, 300) for e in errors]
    record.run_seconds = round(run.seconds, 1)
    notes = [record.message] if record.message else []
    stopped = ""
    if run.timed_out_cell:
        number, line = run.timed_out_cell
        stopped = f"the notebook timed out in code cell {number} (`{line}`)"
        record.status = NotebookStatus.TIMEOUT
        notes.append(f"timed out after {timeout:g} s in code cell {number} (`{line}`); "
                     "the cells after it were not run")
    if run.dead_cell:
        number, line = run.dead_cell
        record.status = NotebookStatus.KERNEL_DIED
        log = f" (its last message: {run.kernel_log})" if run.kernel_log else ""
        notes.append(f"the kernel died while running code cell {number} (`{line}`){log}; "
                     "nothing could be graded")
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        notes.append(errors[0] + more)
    if run.processes_ended:
        notes.append(f"the grader ended {run.processes_ended} process(es) the notebook "
                     "left running")
    result = run.result
    if run.dead_cell or result is None or result.get("error"):
        if not run.dead_cell:
            why = {"timeout": f"the checks did not finish within {timeout:g} s",
                   "stuck": "the notebook's code did not stop when interrupted, so nothing "
                            "could be graded",
                   "dead": "the kernel died while the checks ran",
                   "no bootstrap": run.kernel_log or "the grader could not set up the kernel",
                   }.get(run.grading)
            why = why or run.result_problem or (
                f"the checks could not run: {result['error']}" if result
                else "the checks could not run in this notebook's kernel (did it replace "
                     "sys.audit or end the kernel?)")
            if record.status == NotebookStatus.GRADED:
                record.status = NotebookStatus.GRADER_ERROR
            notes.append(why)
        record.zero(S.NOT_RUN, "could not be graded")
    else:
        for ex, row in zip(lesson.exercises, record.exercises):
            got = result["exercises"].get(ex.id, {"status": "error", "feedback": "not graded"})
            status, feedback = S(got["status"]), str(got["feedback"])
            if status == S.NOT_ANSWERED:
                if ex.id in stubs:
                    feedback = ("the exercise cell still raises NotImplementedError: replace "
                                "that line with your code.")
                elif stopped:
                    status, feedback = S.NOT_RUN, f"{stopped} before this answer was made."
            tests = result["hidden"].get(ex.id) if hidden and lesson.hidden else None
            hidden_state = None
            if tests is not None and status == S.PASSED:  # hidden tests count after the check
                hidden_state = "failed" if tests["failed"] else "passed"
                if tests["failed"]:
                    status = S.FAILED
                    feedback = f"passes the notebook's check, fails a grader test: " \
                               f"{tests['failed']}"
            elif not hidden and lesson.has_hidden(ex.id):
                hidden_state = "not run"
            row.status, row.feedback, row.hidden_tests = status, cap(feedback), hidden_state
            row.points = ex.points if status == S.PASSED else 0
        record.points = sum(e.points for e in record.exercises)
    record.message = cap("; ".join(n for n in notes if n))
