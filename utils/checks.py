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
import json
import math
import numbers
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any


class ExerciseFailed(AssertionError):
    """A learner's answer is not right yet. The message says why and gives a hint; from the
    second attempt on a more specific one (``more``), from the third the section to re-read."""

    def __init__(self, exercise_id: str, problem: str, hint: str = "", more: str = "",
                 section: str = ""):
        self.exercise_id, self.problem, self.hint = exercise_id, problem, hint
        self.more, self.section = more, section
        super().__init__(self.message)

    @property
    def message(self) -> str:
        text = f"❌ Exercise {self.exercise_id}: {self.problem}"
        text += f"\n   Hint: {self.hint}" if self.hint else ""
        text += f"\n   More: {self.more}" if self.more else ""
        return text + (f"\n   Re-read: section \"{self.section}\"" if self.section else "")

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


Text = str | dict[str, str]  # one text, or {"pt": ..., "tf": ...} where the two lessons differ


@dataclass(frozen=True)
class Exercise:
    id: str
    title: str
    points: int
    check: Callable[..., str | None]
    section: Text = ""  # the heading of the lesson section to re-read (third wrong attempt)
    more: Text = ""  # a more specific hint (second wrong attempt); never the solution


EXERCISES: dict[str, Exercise] = {}
# Wrong attempts per exercise in this kernel since its last correct answer: the second gets a
# more specific hint, the third also the section to re-read.
ATTEMPTS: dict[str, int] = {}


def exercise(exercise_id: str, title: str, points: int = 1, *, section: Text = "",
             more: Text = ""):
    """Register a check function. It gets the learner's answer (and any extra arguments),
    raises :class:`Wrong` when it is not right, and may return a line of praise. ``more`` is
    the hint for a second wrong attempt, ``section`` the lesson heading to re-read after a
    third."""
    def register(fn):
        EXERCISES[exercise_id] = Exercise(exercise_id, title, points, fn, section, more)
        return fn
    return register


def for_framework(text: Text) -> str:
    """The text for this lesson's framework (see :func:`lesson_framework`)."""
    return text.get(lesson_framework(), "") if isinstance(text, dict) else text


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
        attempt = ATTEMPTS[exercise_id] = ATTEMPTS.get(exercise_id, 0) + 1
        record_progress(exercise_id, passed=False)
        raise ExerciseFailed(exercise_id, wrong.problem, wrong.hint,
                             for_framework(ex.more) if attempt >= 2 else "",
                             for_framework(ex.section) if attempt >= 3 else "") from None
    ATTEMPTS.pop(exercise_id, None)
    if isinstance(praise, Recorded):
        print(f"📝 Exercise {exercise_id} ({ex.title}): {praise}")
        return
    record_progress(exercise_id, passed=True)
    print(f"✅ Exercise {exercise_id} ({ex.title}): correct." + (f" {praise}" if praise else ""))


# ---------------------------------------------------------------- progress across lessons

PROGRESS_ENV = "COURSE_PROGRESS_FILE"


def progress_file() -> Path:
    """Where check() records results: ``$COURSE_PROGRESS_FILE``, else
    ``<course>/runs/progress.json``."""
    default = Path(__file__).resolve().parent.parent / "runs" / "progress.json"
    return Path(os.environ.get(PROGRESS_ENV) or default).expanduser()


def read_progress(path: Path | None = None) -> dict[str, dict]:
    """{exercise id: {"passed": bool, "attempts": int, "time": str}}; {} when nothing is recorded
    yet or the file is unreadable."""
    try:
        data = json.loads((path or progress_file()).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def record_progress(exercise_id: str, passed: bool) -> None:
    """Note a check's result for ``python -m utils.progress``. Never in a grading kernel, and a
    file that cannot be written costs the learner nothing (the check's own output stands)."""
    from utils.selfcheck import RUN_MARK  # standard library only

    if os.environ.get(RUN_MARK):
        return
    path = progress_file()
    try:
        results = read_progress(path)
        entry = results.get(exercise_id)
        before = entry.get("attempts", 0) if isinstance(entry, dict) else 0
        results[exercise_id] = {"passed": passed,
                                "attempts": (before if isinstance(before, int) else 0) + 1,
                                "time": time.strftime("%Y-%m-%d %H:%M")}
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        temporary.write_text(json.dumps(results, indent=1, sort_keys=True), encoding="utf-8")
        os.replace(temporary, path)
    except (OSError, ValueError, TypeError, AttributeError):  # unwritable, or a damaged record
        pass


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


INT_HINT = ("`int(...)` turns a NumPy integer or a one-element tensor into a Python int, e.g. "
            "`int(scores.argmax())`.")


def as_int(answer: Any, what: str, hint: str = "") -> int:
    """The one rule for whole-number answers, in every lesson: a Python int, a NumPy integer or
    a one-element integer array or tensor (PyTorch, TensorFlow, NumPy) is accepted and returned
    as an int; anything else (floats, ``True``/``False``, strings, lists) gets a :class:`Wrong`
    whose hint says ``int(...)`` (or ``hint``)."""
    if isinstance(answer, numbers.Integral) and not isinstance(answer, bool):
        return int(answer)  # NumPy integers are Integral too
    if hasattr(answer, "shape") and hasattr(answer, "dtype"):
        import numpy as np

        try:
            array = np.asarray(answer)
        except Exception:  # noqa: BLE001 - e.g. a tensor on a GPU: report its type below
            array = None
        if array is not None and array.size == 1 and array.dtype.kind in "iu":
            return int(array.reshape(-1)[0])
    if isinstance(answer, float) and answer.is_integer():
        raise Wrong(f"got the float {answer!r}: {what} is a whole number.",
                    hint or "use integer arithmetic (`*`, `//`, `math.ceil`), or wrap the "
                    "result in `int(...)`.")
    raise Wrong(f"expected {what} as an int, got {type_name(answer)} ({answer!r:.60}).",
                hint or INT_HINT)


def expect_function(answer: Any, hint: str) -> None:
    """A coding exercise's answer is the learner's function itself; ``hint`` shows how to
    define it and pass it without calling it."""
    if not callable(answer):
        raise Wrong(f"expected a function, got {type_name(answer)} ({answer!r:.60}).", hint)


def call_answer(function: Callable, args: tuple, call: str, hint: str) -> Any:
    """Call the learner's function with ``args``. An exception inside it becomes one Wrong:
    ``call`` (how the check called it), the exception's class and the first line of its
    message, and ``hint``."""
    try:
        return function(*args)
    except Exception as err:  # noqa: BLE001 - any error in the learner's code becomes a hint
        first_line = (str(err).strip().splitlines() or [""])[0][:160]
        raise Wrong(f"{call} raised {type(err).__name__}: {first_line}", hint) from None


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
         points: int = 1, *, section: Text = "", more: Text = "") -> None:
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

    exercise(exercise_id, title, points, section=section, more=more)(check_quiz)
