"""Lesson 11 (scaling out): every check accepts the right answer, and rejects a typical wrong
answer and a wrong type with a message that explains."""

import math

import numpy as np
import pytest

from utils.checks import ExerciseFailed, check


def accumulation_for(effective_batch, per_device, processes):
    per_step = per_device * processes
    if effective_batch % per_step:
        raise ValueError(f"{per_step} does not divide {effective_batch}")
    return effective_batch // per_step


def test_11_1_keep_the_effective_batch():
    check("11.1", accumulation_for)
    check("11.1", lambda e, d, p: int(np.int64(e // (d * p))) if e % (d * p) == 0
          else int("no"))  # int("no") raises ValueError: any ValueError will do
    check("11.1", accumulation_for, cases=((256, 8, 4), (40, 16, 2)))
    with pytest.raises(ExerciseFailed, match=r"returned 1, which trains with an effective batch "
                                             r"of 64, not 32"):
        check("11.1", lambda e, d, p: max(1, e // (d * p)))  # silently changes the recipe
    with pytest.raises(ExerciseFailed, match="ignores the number of processes"):
        check("11.1", lambda e, d, p: e // d)
    with pytest.raises(ExerciseFailed, match="the float 2.0"):
        check("11.1", lambda e, d, p: e / (d * p))
    with pytest.raises(ExerciseFailed, match="raised ZeroDivisionError, not ValueError"):
        check("11.1", lambda e, d, p: e // (d * p) if e % (d * p) == 0 else 1 // 0)
    with pytest.raises(ExerciseFailed, match=r"accumulation_for\(32, 16, 1\) raised TypeError"):
        check("11.1", lambda e, d: e)
    with pytest.raises(ExerciseFailed, match=r"expected a function, got (int|float) \("):
        check("11.1", 512)
    with pytest.raises(ExerciseFailed, match="got str"):
        check("11.1", "accumulation_for")


def test_11_2_learning_rate():
    def scaled_lr(base_lr, base_batch, per_device, processes, grad_accum):
        return base_lr * per_device * processes * grad_accum / base_batch

    check("11.2", scaled_lr)
    check("11.2", scaled_lr, cases=((1e-3, 512, 16, 2, 4), (2e-5, 16, 8, 2, 1)))
    check("11.2", lambda lr, b, d, p, a: np.float64(lr) * d * p * a / b)  # NumPy floats are fine
    for mistake, formula in [
            ("keeps the old learning rate", lambda lr, b, d, p, a: lr),
            ("divides by the ratio", lambda lr, b, d, p, a: lr * b / (d * p * a)),
            ("square-root rule", lambda lr, b, d, p, a: lr * math.sqrt(d * p * a / b)),
            ("number of processes only", lambda lr, b, d, p, a: lr * p),
            ("leaves out the gradient accumulation", lambda lr, b, d, p, a: lr * d * p / b),
            ("leaves out the per-device batch", lambda lr, b, d, p, a: lr * p * a / b)]:
        with pytest.raises(ExerciseFailed, match=mistake):
            check("11.2", formula)
    with pytest.raises(ExerciseFailed, match=r"returned 0.0002, expected 0.0008"):
        check("11.2", lambda lr, b, d, p, a: 2 * lr)
    with pytest.raises(ExerciseFailed, match=r"expected a function, got (int|float) \("):
        check("11.2", 8e-4)
    with pytest.raises(ExerciseFailed, match="got str"):
        check("11.2", lambda lr, b, d, p, a: f"{lr}")


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
    with pytest.raises(ExerciseFailed, match=r"expected a function, got (int|float) \("):
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
