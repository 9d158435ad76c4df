"""The reports: a table on screen, ``grades.csv`` (safe to open in a spreadsheet) and
``grades.json``, rewritten after every submission so that an interrupted run keeps what it
graded."""

from __future__ import annotations

import csv
import json
import os
import sys
from pathlib import Path

from utils.grade.records import ExerciseStatus, SubmissionRecord

CSV_FIELDS = ["student", "notebook", "exercise", "title", "points", "max_points", "status",
              "feedback", "submission"]
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value) -> str | int | float:
    """A CSV cell a spreadsheet shows as text: one that starts like a formula (``=``, ``+``,
    ``-``, ``@``, tab, carriage return) gets a leading apostrophe."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return value
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA_START) else text


def student_totals(records: list[SubmissionRecord]) -> dict[str, dict]:
    """Points per student; of two copies of one lesson, the one with more points counts."""
    best: dict[tuple[str, str], SubmissionRecord] = {}
    for rec in records:
        key = (rec.student, rec.notebook)
        if key not in best or rec.points > best[key].points:
            best[key] = rec
    for rec in records:
        rec.counted = best[(rec.student, rec.notebook)] is rec
    totals: dict[str, dict] = {}
    for (student, _), rec in best.items():
        total = totals.setdefault(student, {"points": 0, "max_points": 0, "notebooks": 0})
        total["points"] += rec.points
        total["max_points"] += rec.max_points
        total["notebooks"] += 1
    return totals


def csv_rows(records: list[SubmissionRecord]) -> list[dict]:
    totals = student_totals(records)
    rows = []
    for rec in records:
        for ex in rec.exercises:
            rows.append({"student": rec.student, "notebook": rec.notebook, "exercise": ex.id,
                         "title": ex.title, "points": ex.points, "max_points": ex.max_points,
                         "status": str(ex.status), "feedback": ex.feedback,
                         "submission": rec.path})
        note = "" if rec.counted else "not counted: another copy of this lesson scored higher"
        rows.append({"student": rec.student, "notebook": rec.notebook, "exercise": "TOTAL",
                     "title": "", "points": rec.points, "max_points": rec.max_points,
                     "status": str(rec.status),
                     "feedback": "; ".join(filter(None, [rec.message, note])),
                     "submission": rec.path})
    for student, total in totals.items():
        rows.append({"student": student, "notebook": "ALL", "exercise": "TOTAL", "title": "",
                     "points": total["points"], "max_points": total["max_points"],
                     "status": "", "feedback": f"{total['notebooks']} notebook(s)",
                     "submission": ""})
    return [{k: cell(v) for k, v in row.items()} for row in rows]


def _replace(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` in one step (a reader never sees half a file)."""
    tmp = path.with_name(path.name + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


def write_reports(records: list[SubmissionRecord], report_dir: Path, mode: str, timeout: float,
                  skipped: list[str], finished: bool = True) -> tuple[Path, Path]:
    import io

    report_dir.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = report_dir / "grades.csv", report_dir / "grades.json"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=CSV_FIELDS)
    writer.writeheader()
    writer.writerows(csv_rows(records))
    _replace(csv_path, buffer.getvalue())
    document = {"mode": mode, "timeout_s": timeout, "finished": finished,
                "submissions": [r.to_dict() for r in records],
                "students": student_totals(records), "skipped": skipped}
    _replace(json_path, json.dumps(document, ensure_ascii=False, indent=1) + "\n")
    return csv_path, json_path


MARKS = {ExerciseStatus.PASSED: "✅", ExerciseStatus.FAILED: "❌", ExerciseStatus.NOT_ANSWERED: "·",
         ExerciseStatus.ERROR: "❌", ExerciseStatus.NOT_RUN: "·",
         ExerciseStatus.RECORDED: "📝"}


def _clip(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def print_record(rec: SubmissionRecord, out=None) -> None:
    out = out or sys.stdout
    print(f"\n{rec.student} · {rec.notebook}  {rec.points}/{rec.max_points} points  "
          f"({rec.status}, {rec.seconds:.1f} s)", file=out)
    if rec.message:
        print(f"  ! {_clip(rec.message, 200)}", file=out)
    for ex in rec.exercises:
        hidden = f" [hidden tests {ex.hidden_tests}]" if ex.hidden_tests else ""
        print(f"  {MARKS.get(ex.status, '?')} {ex.id:<6} {_clip(ex.title, 38):<38} "
              f"{ex.points}/{ex.max_points}  {ex.status}{hidden}: "
              f"{_clip(ex.feedback, 150)}", file=out)


def print_summary(records: list[SubmissionRecord], out=None) -> None:
    out = out or sys.stdout
    if not records:
        return
    width = max(7, *(len(r.student) for r in records))
    nb_width = max(8, *(len(r.notebook) for r in records))
    print(f"\n{'student':<{width}}  {'notebook':<{nb_width}}  {'points':>9}  status", file=out)
    for rec in records:
        score = f"{rec.points}/{rec.max_points}"
        print(f"{rec.student:<{width}}  {rec.notebook:<{nb_width}}  {score:>9}  {rec.status}",
              file=out)
