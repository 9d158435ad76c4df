"""Exercise checks: tell the learner what is right, or what is wrong and a hint that teaches.

In a notebook::

    from utils.checks import check
    check("00.1", num_tokens)

A failed check raises :class:`ExerciseFailed`, which Jupyter shows as a short message (no
traceback); a passed check prints a line starting with "✅". Each exercise is declared once,
with :func:`exercise` or :func:`quiz`, in ``utils/exercises/lessonNN.py`` for lesson NN and
keyed by ``"NN.<number>"``; that module is imported the first time one of its checks runs.
"""

from __future__ import annotations

import contextlib
import importlib
import math
import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any


class ExerciseFailed(AssertionError):
    """A learner's answer is not right yet. The message says why and gives a hint."""

    def __init__(self, exercise_id: str, problem: str, hint: str = ""):
        self.exercise_id, self.problem, self.hint = exercise_id, problem, hint
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"❌ Exercise {self.exercise_id}: {self.problem}"
        return text + (f"\n   Hint: {self.hint}" if self.hint else "")

    def _render_traceback_(self):  # IPython shows these lines instead of a traceback
        return self.message.splitlines()


class Wrong(Exception):
    """Raised inside a check function: ``raise Wrong(problem, hint)``."""

    def __init__(self, problem: str, hint: str = ""):
        super().__init__(problem)
        self.problem, self.hint = problem, hint


class Recorded(str):
    """What a check returns when it can only take the answer, not judge it: a quiz in a graded
    release (``python -m utils.release``), whose answers stay with the instructor."""


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    points: int
    check: Callable[..., str | None]


EXERCISES: dict[str, Exercise] = {}


def exercise(exercise_id: str, title: str, points: int = 1):
    """Register a check function. It gets the learner's answer (and any extra arguments),
    raises :class:`Wrong` when it is not right, and may return a line of praise."""
    def register(fn):
        EXERCISES[exercise_id] = Exercise(exercise_id, title, points, fn)
        return fn
    return register


def _load_lesson(exercise_id: str) -> None:
    lesson = exercise_id.split(".")[0]
    if exercise_id not in EXERCISES and lesson.isdigit():
        try:
            importlib.import_module(f"utils.exercises.lesson{lesson}")
        except ModuleNotFoundError as err:
            if err.name != f"utils.exercises.lesson{lesson}":
                raise


def check(exercise_id: str, answer: Any, *args, **kwargs) -> None:
    """Check ``answer`` for exercise ``exercise_id``; prints ✅ or raises ExerciseFailed."""
    _load_lesson(exercise_id)
    if exercise_id not in EXERCISES:
        known = ", ".join(sorted(EXERCISES))
        raise KeyError(f"No exercise {exercise_id!r}. Known exercises: {known}")
    ex = EXERCISES[exercise_id]
    if answer is Ellipsis or answer is NotImplemented:
        raise ExerciseFailed(exercise_id, "no answer yet.",
                             "replace the `...` placeholder with your code.")
    try:
        praise = ex.check(answer, *args, **kwargs)
    except Wrong as wrong:
        raise ExerciseFailed(exercise_id, wrong.problem, wrong.hint) from None
    if isinstance(praise, Recorded):
        print(f"📝 Exercise {exercise_id} ({ex.title}): {praise}")
        return
    print(f"✅ Exercise {exercise_id} ({ex.title}): correct." + (f" {praise}" if praise else ""))


# ---------------------------------------------------------------- building blocks for checks

@contextlib.contextmanager
def other_input(description: str | None):
    """Around a check that a hidden test runs on another input than the notebook's: a wrong
    result then says which input it was (``description``); ``None`` changes nothing."""
    try:
        yield
    except Wrong as wrong:
        if description is None:
            raise
        raise Wrong(f"on {description}: {wrong.problem}", wrong.hint) from None


def lesson_framework() -> str:
    """"tf" in a TensorFlow lesson (``setup("tf")`` records it), otherwise "pt": the framework a
    check computes its expected answer with, so a TensorFlow lesson's checks never load PyTorch
    models and a PyTorch lesson's checks never import TensorFlow."""
    return "tf" if os.environ.get("COURSE_FRAMEWORK") == "tf" else "pt"


def type_name(value: Any) -> str:
    return type(value).__name__


def expect_type(answer: Any, types: type | tuple[type, ...], what: str) -> None:
    """Raise :class:`Wrong` with a clear message when ``answer`` is not of ``types``."""
    if isinstance(types, type):
        types = (types,)
    if isinstance(answer, bool) and bool not in types:
        ok = False  # True/False are ints in Python, but never a count or a score
    else:
        ok = isinstance(answer, types)
    if not ok:
        wanted = " or ".join(t.__name__ for t in types)
        raise Wrong(f"expected {what} as {wanted}, got {type_name(answer)} ({answer!r:.60}).",
                    f"make sure the variable holds {what}, not something else.")


def expect_equal(answer: Any, expected: Any, what: str, hint: str = "") -> None:
    if answer != expected:
        raise Wrong(f"{what} is {answer!r:.80}, which is not right.", hint)


def expect_close(answer: float, expected: float, what: str, tol: float = 1e-4,
                 hint: str = "") -> None:
    if not math.isclose(float(answer), float(expected), rel_tol=tol, abs_tol=tol):
        raise Wrong(f"{what} is {answer:.6g}, not within {tol:g} of the right value.", hint)


def expect_choice(answer: Any, choices: str, what: str = "your choice") -> str:
    """Normalise a multiple-choice answer ("B", " b ") to a lower-case letter in ``choices``."""
    expect_type(answer, str, what)
    letter = answer.strip().lower()
    if len(letter) != 1 or letter not in choices:
        raise Wrong(f"{answer!r} is not one of the options.",
                    f"answer with one letter: {', '.join(repr(c) for c in choices)}.")
    return letter


def quiz(exercise_id: str, title: str, correct: str | None, explanations: dict[str, str],
         points: int = 1) -> None:
    """Declare a multiple-choice question; every option gets an explanation."""
    choices = "".join(sorted(explanations))

    def check_quiz(answer):
        letter = expect_choice(answer, choices)
        if correct is None:  # a graded release: the right letter is not in this copy
            return Recorded(f"your answer ({letter}) is recorded; your instructor's grader "
                            "marks it.")
        if letter != correct:
            raise Wrong(f"({letter}) is not the best answer.", explanations[letter])
        return explanations[letter]

    exercise(exercise_id, title, points)(check_quiz)
