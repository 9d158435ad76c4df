"""The grader: full marks for the solutions, nothing for untouched or cheating copies, the right
partial score, clear report lines for broken notebooks, and submitted files left unchanged.

Notebooks run in real kernels, so the slow part is one batch (lessons 00 and 01, graded once
through the command line) that the tests below share; minimal notebooks stand in for the
cheating cases, because what the grader reads is the final namespace.
"""

import csv
import hashlib
import json
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from utils import generate, grade

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}


def minimal(*sources, kernelspec=True):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    if kernelspec:
        nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def fill(nb, exercise_id, code):
    """Replace the stub of an exercise by ``code``, as a student would."""
    stub = f'raise NotImplementedError("Exercise {exercise_id}: replace this line with your code")'
    for cell in nb.cells:
        if stub in cell.source:
            cell.source = cell.source.replace(stub, code)
            return nb
    raise AssertionError(f"no stub for {exercise_id}")


def save(root, student, nb, name="00_setup.ipynb"):
    path = root / "submissions" / student / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(nb, str):
        path.write_text(nb, encoding="utf-8")
    else:
        nbformat.write(nb, str(path))
    return path


def digests(root):
    return {p: hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted((root / "submissions").rglob("*")) if p.is_file()}


def read(nb_name):
    return nbformat.read(str(ROOT / nb_name), as_version=4)


@pytest.fixture(scope="module")
def batch(tmp_path_factory):
    root = tmp_path_factory.mktemp("grading")
    save(root, "solver", read("solutions/00_setup.ipynb"))
    save(root, "solver", read("solutions/01_nlp_frameworks.ipynb"), "01_nlp_frameworks.ipynb")
    save(root, "idle", read("notebooks/00_setup.ipynb"))
    save(root, "idle", read("notebooks/01_nlp_frameworks.ipynb"), "01_nlp_frameworks.ipynb")
    partial = fill(read("notebooks/01_nlp_frameworks.ipynb"), "01.2",
                   "def class_for(config, auto_class):\n"
                   "    return type(auto_class.from_config(config)).__name__")
    save(root, "partial", fill(partial, "01.3", 'answer = "b"'), "01_nlp_frameworks.ipynb")
    # Deleted / edited check cells, with wrong answers.
    save(root, "edited", minimal(
        "def count_tokens(text):\n    return len(text.split())",
        "num_tokens = count_tokens('Hello, Korea! 안녕하세요')  # its check cell was deleted",
        "answer = 'a'\n# check('00.2', answer)"))
    # A check that always says yes, and a patched registry.
    save(root, "redefined", minimal(
        "from utils import check",
        "def check(exercise_id, answer, *args, **kwargs):\n"
        "    print(f'✅ Exercise {exercise_id}: correct.')",
        "def count_tokens(text):\n    return 3\nnum_tokens = count_tokens('x')\n"
        "check('00.1', num_tokens)",
        "answer = 'a'\ncheck('00.2', answer)"))
    save(root, "patched", minimal(
        "import sys\nimport utils.checks as c\n"
        "c.EXERCISES['00.2'] = c.Exercise('00.2', 'anything', 1, lambda answer: 'yes')\n"
        "c.check = lambda *args, **kwargs: print('✅')\n"
        "sys.modules['utils.exercises.lesson00'] = c",
        "answer = 'a'\nc.check('00.2', answer)"))
    save(root, "printer", minimal(
        "print('✅ Exercise 00.1 (count the tokens of a sentence): correct. 18 ids')\n"
        "print('✅ Exercise 00.2 (where the offline checkpoints come from): correct.')"))
    # Right for the notebook's text only: the hidden tests call count_tokens on other texts.
    save(root, "hardcoded", minimal(
        "from utils import check\ndef count_tokens(text):\n    return 18\n"
        "num_tokens = count_tokens('Hello, Korea! 안녕하세요')\ncheck('00.1', num_tokens)",
        "answer = 'c'"))
    save(root, "top", minimal("raise RuntimeError('my first cell is broken')",
                              "num_tokens = count_tokens(text)", "check('00.1', num_tokens)"))
    save(root, "badjson", '{"cells": [')
    save(root, "notnb", "[1, 2, 3]", "01_nlp_frameworks.ipynb")
    save(root, "nokernel", minimal("answer = 'c'", kernelspec=False))
    save(root, "stray", minimal("x = 1"), "my_notes.ipynb")
    before = digests(root)
    reports = root / "reports"
    proc = subprocess.run(
        [sys.executable, "-m", "utils.grade", str(root / "submissions"), "--report-dir",
         str(reports)], cwd=ROOT, capture_output=True, text=True, timeout=1500)
    document = json.loads((reports / "grades.json").read_text(encoding="utf-8"))
    with (reports / "grades.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    graded = {(s["student"], s["notebook"]): s for s in document["submissions"]}
    yield dict(root=root, proc=proc, document=document, rows=rows, graded=graded,
               before=before, after=digests(root), reports=reports)
    shutil.rmtree(root, ignore_errors=True)  # free the disk for the rest of the suite


def exercises(record):
    return {e["id"]: e for e in record["exercises"]}


# ---------------------------------------------------------------- the batch

def test_command_line_exits_0_and_prints_a_table(batch):
    proc = batch["proc"]
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert "solver · 00_setup.ipynb  2/2 points" in proc.stdout
    assert "my_notes.ipynb: no lesson of this name" in proc.stderr  # skipped, not graded


def test_submitted_files_are_unchanged(batch):
    assert batch["after"] == batch["before"]


def test_solutions_get_full_marks(batch):
    for notebook, total in [("00_setup.ipynb", 2), ("01_nlp_frameworks.ipynb", 3)]:
        record = batch["graded"][("solver", notebook)]
        assert (record["points"], record["max_points"], record["status"]) == \
            (total, total, "graded"), record
        assert all(e["status"] == "passed" for e in record["exercises"])
    assert exercises(batch["graded"][("solver", "00_setup.ipynb")])["00.1"]["hidden_tests"] == \
        "passed"


def test_untouched_student_copies_get_zero(batch):
    for notebook in ["00_setup.ipynb", "01_nlp_frameworks.ipynb"]:
        record = batch["graded"][("idle", notebook)]
        assert record["points"] == 0 and record["status"] == "graded"
        for ex in record["exercises"]:
            assert ex["status"] == "not answered"
            assert "still raises NotImplementedError" in ex["feedback"]


def test_partial_answers_get_partial_score(batch):
    record = batch["graded"][("partial", "01_nlp_frameworks.ipynb")]
    assert (record["points"], record["max_points"]) == (1, 3)
    got = exercises(record)
    assert got["01.1"]["status"] == "not answered"
    assert got["01.2"]["status"] == "passed" and got["01.2"]["points"] == 1
    assert got["01.3"]["status"] == "failed"
    assert "(b) is not the best answer" in got["01.3"]["feedback"]
    assert "transformers 5 has no TensorFlow code left" in got["01.3"]["feedback"]  # the hint


def test_edited_or_deleted_check_cells_are_checked_anyway(batch):
    got = exercises(batch["graded"][("edited", "00_setup.ipynb")])
    assert got["00.1"]["status"] == "failed" and "your count is 3" in got["00.1"]["feedback"]
    assert got["00.2"]["status"] == "failed"
    assert batch["graded"][("edited", "00_setup.ipynb")]["points"] == 0


@pytest.mark.parametrize("student", ["redefined", "patched", "printer"])
def test_cheating_earns_nothing(batch, student):
    record = batch["graded"][(student, "00_setup.ipynb")]
    assert record["points"] == 0 and record["status"] == "graded"
    assert not any(e["status"] == "passed" for e in record["exercises"])


def test_real_checks_give_the_feedback(batch):
    redefined = exercises(batch["graded"][("redefined", "00_setup.ipynb")])
    assert "Hint:" in redefined["00.2"]["feedback"]
    printer = exercises(batch["graded"][("printer", "00_setup.ipynb")])
    assert printer["00.1"]["status"] == "not answered"
    assert printer["00.1"]["feedback"] == "`num_tokens` is not defined."


def test_hidden_tests_catch_a_hard_coded_function(batch):
    record = batch["graded"][("hardcoded", "00_setup.ipynb")]
    got = exercises(record)
    assert got["00.1"]["status"] == "failed" and got["00.1"]["hidden_tests"] == "failed"
    assert got["00.1"]["feedback"].startswith("passes the notebook's check, fails a grader test")
    assert got["00.2"]["status"] == "passed" and record["points"] == 1


def test_a_notebook_that_raises_at_the_top(batch):
    record = batch["graded"][("top", "00_setup.ipynb")]
    assert record["points"] == 0 and record["status"] == "graded"
    assert record["message"].startswith("code cell 1 (`raise RuntimeError('my first cell is "
                                        "broken')`) raised RuntimeError: my first cell is broken")


@pytest.mark.parametrize("student,notebook,message", [
    ("badjson", "00_setup.ipynb", "not a notebook: not valid JSON"),
    ("notnb", "01_nlp_frameworks.ipynb", "not a notebook: valid JSON, but it has no list"),
    ("nokernel", "00_setup.ipynb", "the notebook has no kernel spec"),
])
def test_unreadable_notebooks_get_zero_and_a_clear_line(batch, student, notebook, message):
    record = batch["graded"][(student, notebook)]
    assert record["status"] == "invalid" and record["points"] == 0
    assert record["message"].startswith(message)
    assert record["max_points"] == (2 if notebook == "00_setup.ipynb" else 3)
    assert all(e["status"] == "not run" for e in record["exercises"])
    assert f"  ! {message}" in batch["proc"].stdout


def test_csv_has_a_row_per_exercise_and_totals(batch):
    rows = batch["rows"]
    assert list(rows[0]) == grade.CSV_FIELDS
    solver = [r for r in rows if r["student"] == "solver"]
    nb0, nb1 = "00_setup.ipynb", "01_nlp_frameworks.ipynb"
    assert [(r["notebook"], r["exercise"], r["points"], r["max_points"]) for r in solver] == [
        (nb0, "00.1", "1", "1"), (nb0, "00.2", "1", "1"), (nb0, "TOTAL", "2", "2"),
        (nb1, "01.1", "1", "1"), (nb1, "01.2", "1", "1"), (nb1, "01.3", "1", "1"),
        (nb1, "TOTAL", "3", "3"), ("ALL", "TOTAL", "5", "5")]
    partial = {r["exercise"]: r for r in rows if r["student"] == "partial"}
    assert partial["01.3"]["status"] == "failed" and "Hint:" in partial["01.3"]["feedback"]
    assert partial["TOTAL"]["points"] == "1"
    assert {r["student"] for r in rows} == {s for s, _ in batch["graded"]}


def test_json_report(batch):
    document = batch["document"]
    assert document["mode"] == "grade" and document["timeout_s"] == grade.DEFAULT_TIMEOUT
    assert document["students"]["solver"] == {"points": 5, "max_points": 5, "notebooks": 2}
    assert document["students"]["idle"] == {"points": 0, "max_points": 5, "notebooks": 2}
    assert any("my_notes.ipynb" in line for line in document["skipped"])
    record = batch["graded"][("solver", "01_nlp_frameworks.ipynb")]
    assert set(record) >= {"student", "notebook", "path", "status", "message", "points",
                           "max_points", "seconds", "exercises"}
    assert (batch["reports"] / "executed" / "solver" / "01_nlp_frameworks.ipynb").is_file()


# ---------------------------------------------------------------- runs of their own

def test_a_notebook_that_loops_forever_times_out(tmp_path, capsys):
    path = save(tmp_path, "looper", minimal(
        "while True:\n    pass", "answer = 'c'",
        "def count_tokens(text):\n    return 18\nnum_tokens = 18"))
    before = digests(tmp_path)
    assert grade.main([str(path), "--timeout", "10", "--report-dir", str(tmp_path / "r")]) == 0
    record = json.loads((tmp_path / "r" / "grades.json").read_text())["submissions"][0]
    assert record["status"] == "timeout" and record["points"] == 0
    assert record["message"].startswith("timed out after 10 s in code cell 1 (`while True:`)")
    assert all(e["status"] == "not run" for e in record["exercises"])
    assert "timed out after 10 s" in capsys.readouterr().out
    assert digests(tmp_path) == before


def test_self_check_skips_the_hidden_tests(tmp_path, capsys):
    path = save(tmp_path, "me", minimal(
        "def count_tokens(text):\n    return 18\nnum_tokens = count_tokens('x')", "answer = 'b'"))
    assert grade.main([str(path), "--self-check", "--report-dir", str(tmp_path / "r")]) == 0
    document = json.loads((tmp_path / "r" / "grades.json").read_text())
    got = exercises(document["submissions"][0])
    assert document["mode"] == "self-check"
    assert got["00.1"]["status"] == "passed" and got["00.1"]["hidden_tests"] == "not run"
    assert got["00.2"]["status"] == "failed"
    assert "the grader also runs hidden tests" in capsys.readouterr().out


# ---------------------------------------------------------------- no kernel needed

@pytest.mark.parametrize("args,message", [
    (["nowhere/00_setup.ipynb"], "no such file or folder"),
    (["README.md"], "no solution notebook matches this file name"),
    (["notebooks/00_setup.ipynb", "--timeout", "0"], "--timeout must be a positive number"),
])
def test_usage_errors(args, message, capsys):
    assert grade.main(args) == 2
    assert message in capsys.readouterr().err


def test_exercises_are_read_from_the_solution_and_the_registry():
    lesson = grade.load_lesson(ROOT / "solutions" / "00_setup.ipynb")
    assert [(e.id, e.answer, e.points) for e in lesson.exercises] == \
        [("00.1", "num_tokens", 1), ("00.2", "answer", 1)]
    assert lesson.max_points == 2 and lesson.modules == ["utils.exercises.lesson00"]
    assert [s.ids for cell in lesson.hidden for s in cell] == [["00.1"]]


@pytest.mark.parametrize("path", sorted((ROOT / "solutions").glob("*.ipynb")), ids=lambda p: p.name)
def test_every_lesson_can_be_graded(path):
    lesson = grade.load_lesson(path)
    assert lesson.exercises
    assert grade.lesson_problems(lesson) == []


def test_authoring_mistakes_are_found(tmp_path):
    nb = minimal("answer = 'x'  # the lesson uses the quiz's variable name",
                 "# BEGIN SOLUTION\nanswer = 'c'\n# END SOLUTION\ncheck('00.2', answer)",
                 "# BEGIN SOLUTION\nnum_tokens = 18\n# END SOLUTION\ncheck('00.1', answer)")
    nbformat.write(nb, str(tmp_path / "00_setup.ipynb"))
    problems = grade.lesson_problems(grade.load_lesson(tmp_path / "00_setup.ipynb"))
    assert any("exercises 00.2, 00.1 all keep their answer in `answer`" in p for p in problems)
    assert any("`answer`, the answer of 00.2, is also set outside" in p for p in problems)
    nb.cells.append(nbformat.v4.new_code_cell("check('00.9', 1)", metadata={
        "tags": [generate.HIDDEN_TAG]}))
    nbformat.write(nb, str(tmp_path / "00_setup.ipynb"))
    with pytest.raises(grade.LessonError, match="checks 00.9, which no exercise cell"):
        grade.load_lesson(tmp_path / "00_setup.ipynb")


@pytest.mark.parametrize("path,student", [
    ("submissions/kim/03_models_pt.ipynb", "kim"),
    ("submissions/kim/week3/03_models_pt.ipynb", "kim"),
    ("class/submissions/lee/00_setup.ipynb", "lee"),
    ("notebooks/03_models_pt.ipynb", "03_models_pt"),
    ("03_models_pt.ipynb", "03_models_pt"),
])
def test_student_id(path, student):
    assert grade.student_id(Path(path)) == student


def test_notebooks_are_matched_to_lessons_by_name():
    solutions = ROOT / "solutions"
    assert grade.match_solution(Path("x/00_setup.ipynb")) == (solutions / "00_setup.ipynb", "")
    matched, note = grade.match_solution(Path("Copy of 01_nlp_frameworks (2).ipynb"))
    assert matched == solutions / "01_nlp_frameworks.ipynb" and "by its name" in note
    assert grade.match_solution(Path("homework.ipynb")) == (None, "")
