"""Checks for lesson 11 (scaling out to several processes), shared by the PyTorch and the
TensorFlow notebook: keeping the effective batch, learning-rate scaling, optimizer steps per
epoch."""

import math
import numbers

from utils.checks import (
    Wrong,
    as_int,
    call_answer,
    exercise,
    expect_function,
    expect_type,
    quiz,
)


def _expect_function(answer, signature):
    """The answer of 11.1-11.3 is the learner's function; anything else (a number computed by
    hand or by calling the function) gets the course's message for every coding exercise."""
    expect_function(answer, f"define {signature} with def and pass the function itself (no "
                            "parentheses).")


# The section that 11.1 and 11.2 point at: keeping the effective batch, scaling the learning rate.
SCALING_SECTION = {"pt": "6. What changes when the number of processes changes",
                   "tf": "4. From this CPU to several GPUs and several machines"}


# (effective batch, per-device batch, processes) set-ups for 11.1, and the accumulation that
# keeps the effective batch; None where no whole number of steps does.
ACCUM_CASES = [(32, 16, 1), (32, 16, 2), (512, 16, 8), (512, 32, 4), (64, 8, 2), (32, 16, 4),
               (96, 16, 4), (48, 16, 2)]


def expected_accumulation(effective, per_device, processes):
    per_step = per_device * processes
    return effective // per_step if effective % per_step == 0 else None


@exercise("11.1", "keep the effective batch on other hardware",
           section=SCALING_SECTION,
           more=("effective batch = per-device batch × processes × accumulation, so the "
                 "accumulation is effective // (per_device × processes), and only when that "
                 "division leaves no remainder."))
def _check_11_1(answer, cases=tuple(ACCUM_CASES)):
    _expect_function(answer, "accumulation_for(effective_batch, per_device, processes)")
    signature_hint = ("the function gets three ints: effective_batch, per_device, processes; it "
                      "returns an int, or raises ValueError when no whole number of steps fits.")
    for case in cases:
        effective, per_device, processes = case
        expected = expected_accumulation(*case)
        call = f"accumulation_for{case}"
        if expected is None:
            try:
                got = answer(*case)
            except ValueError:
                continue
            except Exception as err:  # noqa: BLE001 - any other error becomes a hint
                raise Wrong(f"{call} raised {type(err).__name__}, not ValueError.",
                            "when per_device × processes does not divide the effective batch, "
                            "raise ValueError with a message that says so.") from None
            per_step = per_device * processes
            shown = f"{got!r:.40}"
            if isinstance(got, numbers.Real) and not isinstance(got, bool) and got > 0:
                shown += (f", which trains with an effective batch of "
                          f"{per_step * got:g}, not {effective}")
            raise Wrong(f"{call} returned {shown}.",
                        f"{per_device} × {processes} = {per_step} sentences per micro-batch "
                        f"step does not divide {effective}: no whole number of accumulation "
                        "steps keeps the recipe. Raise ValueError instead of changing it "
                        "silently.")
        got = call_answer(answer, case, call, signature_hint)
        if isinstance(got, float):
            raise Wrong(f"{call} returned the float {got!r}.",
                        "a number of accumulation steps is an int: use // on ints.")
        got = as_int(got, "a number of accumulation steps")
        if got != expected:
            if got == effective // per_device and processes > 1:
                problem = "ignores the number of processes"
            elif got == effective // processes and per_device > 1:
                problem = "ignores the per-device batch"
            elif got == per_device * processes // effective or got * effective == per_device:
                problem = "divides the wrong way round"
            else:
                problem = "gives another effective batch"
            raise Wrong(f"{call} returned {got}: your formula {problem}.",
                        f"with {got} steps the effective batch is {per_device} × {processes} × "
                        f"{got} = {per_device * processes * got}, not {effective}.")
    return ("accumulation = effective batch // (per-device batch × processes): more processes, "
            "less accumulation, same recipe; and an error rather than a silent change when it "
            "does not divide.")


# (base lr, base effective batch, per-device batch, processes, accumulation) set-ups for 11.2.
LR_CASES = [(1e-4, 32, 32, 8, 1), (2e-4, 32, 16, 2, 1), (1e-4, 32, 16, 8, 4),
            (3e-5, 256, 8, 4, 2), (5e-5, 64, 16, 1, 1), (1e-4, 32, 32, 2, 3)]


def expected_lr(base_lr, base_batch, per_device, processes, grad_accum):
    return base_lr * per_device * processes * grad_accum / base_batch


@exercise("11.2", "scale the learning rate",
           section=SCALING_SECTION,
           more=("The linear scaling rule multiplies the learning rate by (new effective batch) "
                 "/ (old effective batch); the new effective batch is per-device batch × "
                 "processes × accumulation."))
def _check_11_2(answer, cases=tuple(LR_CASES)):
    _expect_function(answer, "scaled_lr(base_lr, base_batch, per_device, processes, grad_accum)")
    wrong_formulas = {
        "keeps the old learning rate although the effective batch changed":
            lambda lr, b, d, p, a: lr,
        "divides by the ratio: a larger batch needs a larger learning rate, not a smaller one":
            lambda lr, b, d, p, a: lr * b / (d * p * a),
        "follows the square-root rule; this exercise asks for the linear rule":
            lambda lr, b, d, p, a: lr * math.sqrt(d * p * a / b),
        "scales by the number of processes only":
            lambda lr, b, d, p, a: lr * p,
        "leaves out the gradient accumulation, which is part of the effective batch":
            lambda lr, b, d, p, a: lr * d * p / b,
        "leaves out the per-device batch":
            lambda lr, b, d, p, a: lr * p * a / b,
    }
    results = []
    for case in cases:
        call = f"scaled_lr{case}"
        got = call_answer(answer, case, call,
                          "the function gets base_lr (a float) and four ints: base_batch, "
                          "per_device, processes, grad_accum.")
        if isinstance(got, numbers.Integral) and not isinstance(got, bool):
            got = float(got)
        expect_type(got, float, f"what {call} returned")
        results.append(got)
    close = lambda a, b: math.isclose(a, b, rel_tol=1e-6)  # noqa: E731
    wrong = [(case, got) for case, got in zip(cases, results)
             if not close(got, expected_lr(*case))]
    if not wrong:
        return ("lr × new batch / old batch, with the accumulation in the batch; start from it "
                "with a warm-up, and check the loss curve.")
    case, got = wrong[0]
    call = f"scaled_lr{case}"
    # Name a mistake only when the answer follows that formula on every set-up.
    for problem, formula in wrong_formulas.items():
        if all(close(value, formula(*c)) for c, value in zip(cases, results)):
            raise Wrong(f"{call} returned {got:g}: your formula {problem}.",
                        "new lr = base_lr × (per_device × processes × grad_accum) / "
                        "base_batch.")
    raise Wrong(f"{call} returned {got:g}, expected {expected_lr(*case):g}.",
                "new lr = base_lr × (new effective batch) / (old effective batch).")


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
    _expect_function(answer, "optimizer_steps(sentences, per_device, processes, grad_accum)")
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
