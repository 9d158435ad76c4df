"""One rule for whole-number answers, tiered hints, and the progress record across lessons."""

import json
import re
from pathlib import Path

import numpy as np
import pytest

from tests.helpers import markdown_cells
from utils import checks, progress
from utils.checks import ExerciseFailed, Wrong, as_int, check, exercise

SOLUTIONS = Path(__file__).resolve().parent.parent / "solutions"


@exercise("test.tiers", "a tiered exercise", section="2. Somewhere",
          more="a more specific hint")
def _tiers(answer):
    if as_int(answer, "the answer") != 7:
        raise Wrong(f"{answer} is not 7.", "the first hint.")


@pytest.fixture
def progress_file(tmp_path, monkeypatch):
    path = tmp_path / "progress.json"
    monkeypatch.setenv(checks.PROGRESS_ENV, str(path))
    monkeypatch.delenv("COURSE_GRADER_RUN", raising=False)
    checks.ATTEMPTS.clear()
    return path


# ---------------------------------------------------------------- as_int


def test_as_int_accepts_every_kind_of_integer():
    import tensorflow as tf
    import torch

    for value in [7, np.int64(7), np.int32(7), np.array(7), np.array([7]), torch.tensor(7),
                  torch.tensor([7]), tf.constant(7), tf.constant([7], dtype=tf.int64)]:
        assert as_int(value, "x") == 7 and type(as_int(value, "x")) is int, value


@pytest.mark.parametrize("value", [True, 7.5, "7", [7], None, np.array([7, 8]),
                                   np.array(7.0)])
def test_as_int_rejects_with_an_int_hint(value):
    with pytest.raises(Wrong) as info:
        as_int(value, "the count")
    assert "int(...)" in info.value.hint


def test_as_int_names_a_whole_float():
    with pytest.raises(Wrong, match="got the float 7.0: the count is a whole number"):
        as_int(7.0, "the count")


def test_every_lesson_uses_the_one_int_rule():
    """No lesson module checks whole numbers its own way any more."""
    lessons = Path(checks.__file__).parent / "exercises"
    for path in lessons.glob("lesson*.py"):
        text = path.read_text(encoding="utf-8")
        assert not re.search(r"expect_type\(\w+, int,", text), path.name
        assert "def _plain_int" not in text and "def _as_int" not in text, path.name


# ---------------------------------------------------------------- tiered hints


def test_hints_get_more_specific_then_point_at_the_section(progress_file):
    messages = []
    for _ in range(3):
        with pytest.raises(ExerciseFailed) as info:
            check("test.tiers", 5)
        messages.append(info.value.message)
    first, second, third = messages
    assert "Hint: the first hint." in first and "More:" not in first and "Re-read" not in first
    assert "More: a more specific hint" in second and "Re-read" not in second
    assert 'Re-read: section "2. Somewhere"' in third


def test_a_right_answer_starts_the_tiers_again(progress_file, capsys):
    for answer in (5, 5, 7):
        try:
            check("test.tiers", answer)
        except ExerciseFailed:
            pass
    with pytest.raises(ExerciseFailed) as info:
        check("test.tiers", 5)
    assert "More:" not in info.value.message


def test_no_answer_yet_is_not_an_attempt(progress_file):
    for _ in range(2):
        with pytest.raises(ExerciseFailed, match="no answer yet"):
            check("test.tiers", ...)
    assert checks.ATTEMPTS.get("test.tiers") is None


def test_every_course_exercise_has_tiers_and_a_real_section():
    """Each exercise's section is a heading of its lesson's notebook (of that framework), so
    "Re-read" never points at a section that does not exist."""
    headings = {path.stem: {re.sub(r"^#{2,3} ", "", line) for text, _ in markdown_cells(path)
                            for line in text.splitlines() if re.match(r"#{2,3} ", line)}
                for path in SOLUTIONS.glob("*.ipynb")}
    count = 0
    for lesson, exercises in progress.catalogue().items():
        notebooks = [stem for stem in headings if stem.startswith(lesson)]
        assert notebooks, lesson
        for ex in exercises:
            count += 1
            for stem in notebooks:
                framework = "tf" if stem.endswith("_tf") else "pt"
                section, more = (value.get(framework) if isinstance(value, dict) else value
                                 for value in (ex.section, ex.more))
                assert section and more, f"{ex.id} has no section or no more-hint for {stem}"
                assert section in headings[stem], f"{ex.id}: no section {section!r} in {stem}"
    assert count >= 40


# ---------------------------------------------------------------- progress


def test_checks_are_recorded_and_reported(progress_file, capsys):
    with pytest.raises(ExerciseFailed):
        check("11.4", "a")
    check("11.4", " B ")
    with pytest.raises(ExerciseFailed):
        check("11.2", 1.0)
    recorded = json.loads(progress_file.read_text(encoding="utf-8"))
    assert recorded["11.4"]["passed"] is True and recorded["11.4"]["attempts"] == 2
    assert recorded["11.2"]["passed"] is False
    table = progress.report()
    assert "✅ 11.4 why evaluation gathers  (2 checks)" in table
    assert re.search(r"❌ 11\.2 scale the learning rate  \(not yet: 1 check, last ", table)
    assert "·  00.1 count the tokens of a sentence" in table
    total = sum(len(exercises) for exercises in progress.catalogue().values())
    assert table.endswith(f"1 of {total} exercises passed · 1 not yet (❌) · "
                          f"{total - 2} not tried (·)")


def test_nothing_is_recorded_in_a_grading_kernel(progress_file, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_GRADER_RUN", "1")
    check("11.4", "b")
    assert not progress_file.exists()


def test_an_unwritable_record_costs_nothing(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("")
    monkeypatch.setenv(checks.PROGRESS_ENV, str(blocker / "progress.json"))
    monkeypatch.delenv("COURSE_GRADER_RUN", raising=False)
    check("11.4", "b")
    assert "✅ Exercise 11.4" in capsys.readouterr().out


@pytest.mark.parametrize("damaged", ["{not json", "[1, 2]", '{"11.4": [1]}',
                                     '{"11.4": {"attempts": "x"}}'])
def test_a_damaged_record_is_started_again(progress_file, capsys, damaged):
    progress_file.write_text(damaged, encoding="utf-8")
    progress.report()  # the table copes too
    check("11.4", "b")
    assert json.loads(progress_file.read_text(encoding="utf-8"))["11.4"]["passed"] is True


def test_the_command_and_reset(progress_file, capsys):
    assert progress.main([]) == 0
    assert "Nothing recorded yet" in capsys.readouterr().out
    check("11.4", "b")
    assert progress.main(["--reset"]) == 0 and not progress_file.exists()
