"""Grade student notebooks: each in a fresh kernel and a fresh copy of the course, then the
course's own checks, in a way the notebook's code cannot subvert.

    python -m utils.grade submissions/                      # every notebook under a folder
    python -m utils.grade submissions/*/03_models_pt.ipynb --timeout 300 --report-dir grades
    python -m utils.grade --self-check notebooks/03_models_pt.ipynb      # a learner, on their own

What is graded is declared once, in the solution notebook of the lesson: every top-level
``check("NN.k", <answer>, ...)`` call in ``solutions/<lesson>.ipynb`` names an exercise and the
expression that holds its answer, and ``utils/exercises/lessonNN.py`` gives its title and points.
Cells of the solution tagged ``hidden-tests`` hold extra checks that only the grader runs.

For each submission the grader

1. copies it to a temporary folder and checks that it is a notebook (size, nesting, JSON,
   nbformat 4, a kernel spec); the submitted file is never changed;
2. writes a fresh copy of the course's code (``utils/``, ``scripts/``; never ``solutions/``)
   from the copy it read when the run started, verifies it, and starts a kernel there with an
   allow-listed environment (no tokens, keys or webhooks) and bytecode writing off;
3. before the first cell, sets the kernel up (``kernel.py``): offline guard, private copies of
   the check modules and of what grading needs, an audit hook;
4. runs the notebook top to bottom, going on after errors, within ``--timeout`` seconds;
5. only then hands the kernel the hidden tests, evaluates each declared answer (and the hidden
   tests' inputs) in the notebook's namespace, converts the values to exact types and runs the
   real checks on them (not with ``--self-check``);
6. ends every process the kernel left, compares the course copy, the course itself and the
   environment's start-up hooks with the state before, marks the submission ``tampered`` if
   anything changed, and puts it back;
7. gives each exercise its points when its check and all its hidden tests pass, else 0, and
   rewrites the reports.

The exit status is 0 whatever the grades; 2 for a usage error, 1 when the course itself is
broken (a solution whose declarations cannot be read) or a change could not be undone.
"""

from utils.grade.cli import DEFAULT_REPORT_DIR, DEFAULT_TIMEOUT, main
from utils.grade.declarations import (
                                      Declared,
                                      HiddenStatement,
                                      Lesson,
                                      LessonError,
                                      check_call,
                                      checked_ids,
                                      lesson_problems,
                                      load_lesson,
)
from utils.grade.execution import MAX_OUTPUT_CHARS
from utils.grade.isolation import Baseline, kernel_env
from utils.grade.records import ExerciseResult, ExerciseStatus, NotebookStatus, SubmissionRecord
from utils.grade.reports import CSV_FIELDS, csv_rows, write_reports
from utils.grade.submissions import (
                                      Submission,
                                      UsageError,
                                      collect,
                                      match_solution,
                                      read_submission,
                                      student_id,
)

__all__ = ["main", "load_lesson", "lesson_problems", "collect", "match_solution", "student_id",
           "read_submission", "kernel_env", "Baseline", "Declared", "HiddenStatement", "Lesson",
           "LessonError", "UsageError", "Submission", "SubmissionRecord", "ExerciseResult",
           "ExerciseStatus", "NotebookStatus", "CSV_FIELDS", "csv_rows", "write_reports",
           "check_call", "checked_ids", "DEFAULT_TIMEOUT", "DEFAULT_REPORT_DIR",
           "MAX_OUTPUT_CHARS"]
