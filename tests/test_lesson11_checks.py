"""Lesson 11 (scaling out): every check accepts the right answer, and rejects a typical wrong
answer and a wrong type with a message that explains."""

import math

import numpy as np
import pytest

from utils.checks import ExerciseFailed, check


def test_11_1_effective_batch():
    check("11.1", 16 * 8 * 4)
    check("11.1", np.int64(16 * 8 * 4))  # NumPy integers are fine
    check("11.1", 2 * 3 * 5, per_device=2, processes=3, grad_accum=5)
    with pytest.raises(ExerciseFailed, match="gradient-accumulation steps are missing"):
        check("11.1", 16 * 8)
    with pytest.raises(ExerciseFailed, match="number of processes is missing"):
        check("11.1", 16 * 4)
    with pytest.raises(ExerciseFailed, match="not the number of sentences"):
        check("11.1", 500)
    with pytest.raises(ExerciseFailed, match="got str"):
        check("11.1", "512")
    with pytest.raises(ExerciseFailed, match="float"):
        check("11.1", 512.0)


def test_11_2_learning_rate():
    check("11.2", 1e-4 * 256 / 32)
    check("11.2", 3e-4 * 64 / 32, base_lr=3e-4, base_batch=32, processes=2, per_device=32)
    with pytest.raises(ExerciseFailed, match="old learning rate"):
        check("11.2", 1e-4)
    with pytest.raises(ExerciseFailed, match="went down"):
        check("11.2", 1e-4 / 8)
    with pytest.raises(ExerciseFailed, match="square-root rule"):
        check("11.2", 1e-4 * math.sqrt(8))
    with pytest.raises(ExerciseFailed, match="not within"):
        check("11.2", 7e-4)
    with pytest.raises(ExerciseFailed, match="got str"):
        check("11.2", "8e-4")


def test_11_3_optimizer_steps():
    check("11.3", lambda n, b, p, a: math.ceil(n / (b * p * a)))
    check("11.3", lambda n, b, p, a: -(-n // (b * p * a)))
    with pytest.raises(ExerciseFailed, match="rounds down"):
        check("11.3", lambda n, b, p, a: n // (b * p * a))
    with pytest.raises(ExerciseFailed, match="ignores the number of processes"):
        check("11.3", lambda n, b, p, a: math.ceil(n / (b * a)))
    with pytest.raises(ExerciseFailed, match="ignores gradient accumulation"):
        check("11.3", lambda n, b, p, a: math.ceil(n / (b * p)))
    with pytest.raises(ExerciseFailed, match="float"):
        check("11.3", lambda n, b, p, a: n / (b * p * a))
    with pytest.raises(ExerciseFailed,
                       match=r"optimizer_steps\(\d+, \d+, \d+, \d+\) raised ZeroDivisionError"):
        check("11.3", lambda n, b, p, a: n // 0)
    with pytest.raises(ExerciseFailed, match="not a function"):
        check("11.3", 15)
    with pytest.raises(ExerciseFailed, match="got str"):
        check("11.3", "optimizer_steps")


def test_11_4_quiz():
    check("11.4", "b")
    check("11.4", " B ")
    with pytest.raises(ExerciseFailed, match="not the best answer"):
        check("11.4", "a")
    with pytest.raises(ExerciseFailed, match="got int"):
        check("11.4", 2)
    # the misconception that every process evaluates the whole set
    with pytest.raises(ExerciseFailed, match="sharded like the training loader"):
        check("11.4", "c")
