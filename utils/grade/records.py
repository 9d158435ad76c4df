"""Typed records of one grading run: statuses, one exercise's result, one submission's result."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from enum import Enum


class ExerciseStatus(str, Enum):
    PASSED = "passed"
    FAILED = "failed"
    ERROR = "error"               # the answer expression or the check raised
    NOT_ANSWERED = "not answered"
    NOT_RUN = "not run"           # the notebook could not be read or run, or timed out first
    RECORDED = "recorded"         # a quiz answer in a graded release: the instructor grades it

    def __str__(self) -> str:
        return self.value


class NotebookStatus(str, Enum):
    GRADED = "graded"
    INVALID = "invalid"           # not a usable notebook
    TIMEOUT = "timeout"
    KERNEL_DIED = "kernel died"
    GRADER_ERROR = "grader error"
    TAMPERED = "tampered"         # it changed the course's check code or the environment
    REFUSED = "refused"           # e.g. a symlink that points outside the submissions folder
    NOT_GRADED = "not graded"     # the lesson's solution cannot be read

    def __str__(self) -> str:
        return self.value


MAX_TEXT = 2000  # characters of one feedback or message in the reports


def cap(text: str, limit: int = MAX_TEXT) -> str:
    """``text`` cut to ``limit`` characters, saying how much was left out."""
    text = str(text)
    if len(text) <= limit:
        return text
    return text[:limit] + f" … [cut by the grader: {len(text) - limit:,} more characters]"


@dataclass
class ExerciseResult:
    id: str
    title: str
    points: int
    max_points: int
    status: ExerciseStatus
    feedback: str
    hidden_tests: str | None = None   # "passed", "failed", "not run" or None (there are none)

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = str(self.status)
        return data


@dataclass
class SubmissionRecord:
    student: str
    notebook: str
    path: str
    status: NotebookStatus = NotebookStatus.GRADED
    message: str = ""
    errors: list[str] = field(default_factory=list)
    points: int = 0
    max_points: int = 0
    seconds: float = 0.0
    run_seconds: float = 0.0
    exercises: list[ExerciseResult] = field(default_factory=list)
    tampered: list[str] = field(default_factory=list)   # what the submission changed
    executed: str = ""                                   # where its executed copy was written
    counted: bool = True                                 # False: a second copy, not in totals

    def to_dict(self) -> dict:
        data = asdict(self)
        data["status"] = str(self.status)
        data["exercises"] = [ex.to_dict() for ex in self.exercises]
        return data

    def zero(self, status: ExerciseStatus, feedback: str) -> None:
        """Every exercise gets 0 points with the same status and feedback."""
        self.points = 0
        for ex in self.exercises:
            ex.points, ex.status, ex.feedback, ex.hidden_tests = 0, status, feedback, None
