"""Checks for lesson 11 (scaling out to several processes), shared by the PyTorch and the
TensorFlow notebook: effective batch size, learning-rate scaling, optimizer steps per epoch."""

import math
import numbers

from utils.checks import Wrong, as_int, call_answer, exercise, expect_close, expect_type, quiz

# The set-up of exercises 11.1 and 11.2, as the notebooks state it.
PER_DEVICE_BATCH, PROCESSES, GRAD_ACCUM = 16, 8, 4
BASE_LR, BASE_BATCH, NEW_PROCESSES, NEW_PER_DEVICE = 1e-4, 32, 8, 32


@exercise("11.1", "the effective batch size",
           section={"pt": "6. What changes when the number of processes changes",
                    "tf": "3. Global and per-replica batch sizes, and the loss"},
           more=("Each optimizer step averages the gradients of every device's batch, for every "
                 "accumulation step: multiply the three numbers."))
def _check_11_1(answer, per_device=PER_DEVICE_BATCH, processes=PROCESSES, grad_accum=GRAD_ACCUM):
    answer = as_int(answer, "the effective batch size")
    expected = per_device * processes * grad_accum
    mistakes = {
        per_device: ("that is the batch of ONE process for one forward pass.",
                     "every process handles that many sentences, and each optimizer step adds up "
                     "several passes."),
        per_device * processes: ("the gradient-accumulation steps are missing.",
                                 f"each optimizer step sums {grad_accum} forward/backward passes "
                                 "per process."),
        per_device * grad_accum: ("the number of processes is missing.",
                                  f"{processes} processes each contribute their own batches to "
                                  "every step."),
        processes * grad_accum: ("the per-device batch size is missing.",
                                 "multiply by the number of sentences in each process's batch."),
    }
    if answer != expected and answer in mistakes:
        problem, hint = mistakes[answer]
        raise Wrong(f"{answer}: {problem}", hint)
    if answer != expected:
        raise Wrong(f"{answer} is not the number of sentences behind one optimizer step.",
                    "effective batch = per-device batch × processes × gradient-accumulation steps.")
    return (f"{per_device} × {processes} × {grad_accum} = {expected} sentences per optimizer "
            "step; keep this number when you change the hardware, or change the learning rate.")


@exercise("11.2", "scale the learning rate",
           section={"pt": "6. What changes when the number of processes changes",
                    "tf": "3. Global and per-replica batch sizes, and the loss"},
           more=("The linear scaling rule multiplies the learning rate by (new effective batch) "
                 "/ (old effective batch); the new effective batch is per-device batch × "
                 "devices."))
def _check_11_2(answer, base_lr=BASE_LR, base_batch=BASE_BATCH, processes=NEW_PROCESSES,
                per_device=NEW_PER_DEVICE):
    if isinstance(answer, numbers.Integral) and not isinstance(answer, bool):
        answer = float(answer)
    expect_type(answer, float, "the new learning rate")
    new_batch = per_device * processes
    factor = new_batch / base_batch
    expected = base_lr * factor
    close = lambda value: math.isclose(answer, value, rel_tol=1e-3)  # noqa: E731
    if close(base_lr) and factor != 1:
        raise Wrong(f"{answer:g} is the old learning rate, but the effective batch changed from "
                    f"{base_batch} to {new_batch}.",
                    "with a k times larger batch there are k times fewer steps; the linear rule "
                    "makes each step k times larger.")
    if close(base_lr / factor):
        raise Wrong(f"{answer:g}: the learning rate went down, but the batch went up.",
                    "the linear scaling rule multiplies the learning rate by new batch / old "
                    "batch.")
    if close(base_lr * math.sqrt(factor)) and factor != 1:
        raise Wrong(f"{answer:g} follows the square-root rule.",
                    "the square-root rule is a reasonable alternative for Adam, but this exercise "
                    "asks for the linear rule: lr × (new batch / old batch).")
    if close(base_lr * processes) and processes != factor:
        raise Wrong(f"{answer:g} scales by the number of processes only.",
                    "scale by the ratio of EFFECTIVE batch sizes; the per-device batch changed "
                    "too.")
    expect_close(answer, expected, "your learning rate", tol=expected * 1e-3,
                 hint="new effective batch = per-device batch × processes; multiply the old "
                      "learning rate by new batch / old batch.")
    return (f"{base_lr:g} × {new_batch}/{base_batch} = {expected:g}; start from it with a "
            "warm-up, and check the loss curve.")


# (sentences, per-device batch, processes, grad-accum) cases for 11.3, chosen so that the usual
# mistakes give different numbers.
STEP_CASES = [(800, 16, 1, 2), (800, 16, 2, 1), (3200, 16, 2, 4), (1000, 16, 2, 1),
              (100, 8, 3, 2), (10, 4, 4, 4), (3200, 32, 8, 1), (1601, 16, 1, 1)]


def expected_steps(sentences, per_device, processes, grad_accum):
    """Optimizer steps of one epoch when the last, smaller batch and a last, partial
    accumulation still count (PyTorch's DataLoader and Accelerate)."""
    batches = math.ceil(sentences / per_device)  # batches of the whole epoch
    per_process = math.ceil(batches / processes)  # Accelerate evens them out
    return math.ceil(per_process / grad_accum)


@exercise("11.3", "optimizer steps per epoch",
           section={"pt": "6. What changes when the number of processes changes",
                    "tf": "3. Global and per-replica batch sizes, and the loss"},
           more=("One step consumes per_device × processes × grad_accum sentences; a last, "
                 "partial step still counts, so round **up** (`math.ceil`)."))
def _check_11_3(answer, cases=tuple(STEP_CASES)):
    if isinstance(answer, numbers.Number):
        raise Wrong(f"got a number ({answer!r}), not a function.",
                    "define optimizer_steps(sentences, per_device, processes, grad_accum) with "
                    "def and pass the function itself (no parentheses).")
    if not callable(answer):
        expect_type(answer, type(_check_11_3), "the function optimizer_steps")
    wrong_formulas = {
        "rounds down: the last, smaller batch (or accumulation) is lost":
            lambda n, b, p, a: n // (b * p * a),
        "ignores the number of processes":
            lambda n, b, p, a: math.ceil(n / (b * a)),
        "ignores gradient accumulation: that counts forward/backward passes per process":
            lambda n, b, p, a: math.ceil(n / (b * p)),
        "counts the batches of the whole epoch":
            lambda n, b, p, a: math.ceil(n / b),
    }
    for case in cases:
        expected = expected_steps(*case)
        got = call_answer(answer, case, f"optimizer_steps{case}",
                          "the function gets four ints: sentences, per_device, processes, "
                          "grad_accum.")
        if isinstance(got, float) and got.is_integer():
            raise Wrong(f"optimizer_steps{case} returned the float {got!r}.",
                        "a number of steps is an int: use math.ceil(...) or // on ints.")
        got = as_int(got, "a number of steps")
        if got != expected:
            for problem, formula in wrong_formulas.items():
                if got == formula(*case) != expected:
                    raise Wrong(f"optimizer_steps{case} returned {got}: your formula {problem}.",
                                "steps = ceil(sentences / (per_device × processes × "
                                "grad_accum)).")
            raise Wrong(f"optimizer_steps{case} returned {got}, expected another number.",
                        "one optimizer step consumes one effective batch; a last partial one "
                        "still makes a step (round up).")
    return "one step per effective batch, rounded up: more processes, fewer steps per epoch."


quiz("11.4", "why evaluation gathers", correct="b",
     section={"pt": "3. A training script with 🤗 Accelerate",
              "tf": "2. Two replicas, in a fresh process"},
     more="In data parallelism, which sentences does each process see: all of them, or a shard?",
     explanations={
    "a": "No: all processes hold identical weights (their gradients are averaged at every "
         "step), so there is nothing to repair.",
    "b": "Yes: each process (or worker) scores only its shard of the evaluation set; alone, its "
         "accuracy describes a fraction of the sentences and differs from one process to the "
         "next. Gathering (and dropping any sentences repeated to even out the shards) gives the "
         "accuracy on the whole set.",
    "c": "No: the evaluation loader is sharded like the training loader, so each process (or "
         "worker) scores only its share of the sentences; its accuracy alone is not the model's.",
    "d": "No: evaluation computes no gradients; only training all-reduces them.",
})
