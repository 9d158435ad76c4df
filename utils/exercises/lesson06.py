"""Checks for lesson 06 (fine-tuning with Trainer / Keras). The PyTorch and TensorFlow notebooks
share these exercises, so no check imports a framework: answers are functions, numbers and
classes (06.3's callback is replayed the way the lesson's framework calls it)."""

import math
import numbers

import numpy as np

from utils.checks import (
    Wrong,
    as_int,
    call_answer,
    exercise,
    expect_function,
    lesson_framework,
    other_input,
    quiz,
    type_name,
)
from utils.exercises.lesson02 import softmax, to_numpy

LABELS = ["NEGATIVE", "POSITIVE"]


LOGITS_SEED = 6  # the notebook's check; the grader's hidden tests use other seeds


def exercise_logits(seed: int = LOGITS_SEED):
    """Logits and labels for 06.1. The notebook's (seed 6): 20 examples, 12 NEGATIVE and 8
    POSITIVE, chosen so that accuracy, both recalls, the POSITIVE F1 and the macro F1 all differ;
    any other seed: 31 examples, 13 NEGATIVE and 18 POSITIVE."""
    rng = np.random.default_rng(seed)
    size, negatives = (20, 12) if seed == LOGITS_SEED else (31, 13)
    logits = np.round(rng.normal(size=(size, 2)), 3).astype(np.float32)
    labels = np.array([0] * negatives + [1] * (size - negatives))
    rng.shuffle(labels)
    return logits, labels


def _reference_metrics(logits, labels):
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    predictions = np.argmax(logits, axis=-1)
    recalls = recall_score(labels, predictions, average=None, labels=[0, 1])
    return {"accuracy": float(accuracy_score(labels, predictions)),
            "f1_macro": float(f1_score(labels, predictions, average="macro")),
            "recall_NEGATIVE": float(recalls[0]), "recall_POSITIVE": float(recalls[1])}


@exercise("06.1", "per-label metrics",
           section={"pt": "3. Metrics: `compute_metrics`",
                    "tf": "4. Metrics"},
           more=("`np.argmax(logits, axis=-1)` gives the predictions; `recall_score(labels, "
                 "predictions, average=None, labels=[0, 1])` gives one recall per label, and "
                 "`f1_score(..., average=\"macro\")` the macro F1. Return plain floats."))
def _check_06_1(answer, seed: int = LOGITS_SEED):
    logits, labels = exercise_logits(seed)
    other = None if seed == LOGITS_SEED else f"other logits ({len(labels)} examples, seed {seed})"
    with other_input(other):
        return _per_label_metrics(answer, logits, labels)


def _per_label_metrics(answer, logits, labels):
    from sklearn.metrics import f1_score
    from transformers import EvalPrediction

    expect_function(answer, "define `def per_label_metrics(eval_pred): ...` and pass the "
                            "function itself, without calling it: "
                            "check('06.1', per_label_metrics).")
    result = call_answer(answer, (EvalPrediction(predictions=logits.copy(),
                                                 label_ids=labels.copy()),),
                         "per_label_metrics(eval_pred)",
                         "it receives what compute_metrics receives: unpack it with "
                         "`logits, labels = eval_pred` (NumPy arrays).")
    if not isinstance(result, dict):
        raise Wrong(f"your function returned {type_name(result)}, not a dict.",
                    "return a dict of named numbers, like compute_metrics does.")
    expected = _reference_metrics(logits, labels)
    missing = [key for key in expected if key not in result]
    if missing:
        raise Wrong(f"the dict has no {', '.join(repr(k) for k in missing)} "
                    f"(it has {sorted(result)}).",
                    f"use exactly these keys: {', '.join(expected)}.")
    for key in expected:
        value = result[key]
        if (isinstance(value, (bool, np.bool_))
                or not isinstance(value, (numbers.Real, np.floating))):
            raise Wrong(f"{key!r} is {type_name(value)} ({value!r:.60}), not a number.",
                        "sklearn's functions return numbers; wrap them in float(...).")
    predictions = np.argmax(logits, axis=-1)
    binary_f1 = float(f1_score(labels, predictions))
    if math.isclose(result["f1_macro"], binary_f1, abs_tol=1e-6) and not math.isclose(
            binary_f1, expected["f1_macro"], abs_tol=1e-6):
        raise Wrong(f"f1_macro is {result['f1_macro']:.4f}, the F1 of POSITIVE alone.",
                    "f1_score(labels, predictions, average='macro') averages the F1 of both "
                    "labels.")
    if (math.isclose(result["recall_NEGATIVE"], expected["recall_POSITIVE"], abs_tol=1e-6)
            and math.isclose(result["recall_POSITIVE"], expected["recall_NEGATIVE"], abs_tol=1e-6)):
        raise Wrong("the two recalls are swapped.",
                    "recall_NEGATIVE is the share of NEGATIVE (label 0) sentences predicted as 0: "
                    "recall_score(labels, predictions, pos_label=0), or average=None for both.")
    for key, value in expected.items():
        if not math.isclose(float(result[key]), value, abs_tol=1e-6):
            raise Wrong(f"{key} is {float(result[key]):.4f}, which is not right for these logits.",
                        "predictions are np.argmax(logits, axis=-1): one label per example, taken "
                        "over the last axis (the two labels).")
    return (f"on the check's logits: accuracy {expected['accuracy']:.2f}, recall NEGATIVE "
            f"{expected['recall_NEGATIVE']:.2f} vs POSITIVE {expected['recall_POSITIVE']:.2f}: "
            "the recalls show which label the model misses.")


WRONG_SEED = 8  # the notebook's check for 06.2; the grader's hidden tests use other seeds


def mistake_logits(seed: int = WRONG_SEED):
    """Logits and labels for 06.2. The notebook's (seed 8): 24 examples; any other seed: 40.
    Logits have different scales per row, so ranking by the largest logit and ranking by the
    predicted probability disagree (tests/test_lesson06_checks.py checks that the traps exist)."""
    rng = np.random.default_rng(seed)
    size = 24 if seed == WRONG_SEED else 40
    logits = rng.normal(size=(size, 2)) * rng.uniform(0.5, 3.0, size=(size, 1))
    logits += rng.normal(scale=2.0, size=(size, 1))  # the same shift for both: probabilities keep
    labels = rng.integers(0, 2, size=size)
    return np.round(logits, 3).astype(np.float32), labels


def most_confident_mistakes(logits, labels, k: int) -> list[int]:
    probabilities = softmax(np.asarray(logits, dtype=np.float64))
    wrong = np.flatnonzero(probabilities.argmax(axis=-1) != np.asarray(labels))
    order = np.argsort(-probabilities.max(axis=-1)[wrong], kind="stable")
    return [int(i) for i in wrong[order][:k]]


@exercise("06.2", "the most confident mistakes",
           section="`evaluate()` and `predict()`",
           more=("Softmax each row of logits (subtract the row maximum, `np.exp`, divide by "
                 "the row sum); the prediction is the argmax, its probability the row maximum. "
                 "Keep the rows whose prediction differs from the label (`np.flatnonzero`), sort "
                 "them by that probability, highest first (`np.argsort(-p)`), and return the "
                 "first `k`."))
def _check_06_2(answer, seed: int = WRONG_SEED, k: int = 3):
    expect_function(answer, "define `def confidently_wrong(logits, labels, k): ...` and pass the "
                            "function itself (no parentheses) to check.")
    logits, labels = mistake_logits(seed)
    probabilities = softmax(logits.astype(np.float64))
    predicted = probabilities.argmax(axis=-1)
    other = None if seed == WRONG_SEED else (
        f"other logits ({len(labels)} examples, {int((predicted != labels).sum())} of them "
        f"mistakes, k={k}; seed {seed})")
    with other_input(other):
        result = call_answer(answer, (logits.copy(), labels.copy(), k),
                             f"confidently_wrong(logits, labels, {k})",
                             "logits is a NumPy array of shape (examples, 2), labels one of shape "
                             "(examples,); return a list or array of row indices.")
        if result is None:
            raise Wrong("the function returned None.", "end it with `return ...`.")
        array = to_numpy(result).ravel()
        if array.dtype == bool:
            raise Wrong(f"the function returned a mask of {len(array)} booleans, not row indices.",
                        "turn a mask into indices with np.flatnonzero(mask), then sort and keep k.")
        if array.dtype.kind not in "iu" and not (array.dtype.kind == "f" and
                                                 np.all(array == np.round(array))):
            raise Wrong(f"the function returned {array.dtype} values, not row indices.",
                        "return the indices of the rows (whole numbers), not probabilities.")
        indices = [int(i) for i in array]
        expected = most_confident_mistakes(logits, labels, k)
        if indices == expected:
            rows = ", ".join(f"{i} ({LABELS[predicted[i]]} at {probabilities[i].max():.2f}, "
                             f"label {LABELS[labels[i]]})" for i in expected)
            return f"rows {rows}: the mistakes to read first."
        if len(indices) != k:
            raise Wrong(f"{len(indices)} indices for k={k}.", "return exactly the first k.")
        right = [i for i in indices if 0 <= i < len(labels) and predicted[i] == labels[i]]
        if right:
            raise Wrong(f"row {right[0]} was predicted right ({LABELS[predicted[right[0]]]}, the "
                        "label).", "keep only the rows whose argmax differs from the label.")
        if indices == most_confident_mistakes(logits, labels, len(labels))[-k:][::-1]:
            raise Wrong("these are the least confident mistakes.",
                        "sort by probability from high to low: np.argsort(-p).")
        wrong = np.flatnonzero(predicted != labels)
        by_logit = [int(i) for i in wrong[np.argsort(-logits[wrong].max(axis=-1),
                                                     kind="stable")][:k]]
        if indices == by_logit:
            raise Wrong("these rows have the largest logits, not the highest probabilities.",
                        "a logit alone means little: softmax compares the logits of a row. Rank "
                        "by softmax(logits).max(axis=-1).")
        if sorted(indices) == sorted(expected):
            raise Wrong("the right rows in the wrong order.",
                        "sort them by probability, the most confident first.")
        raise Wrong(f"rows {indices} are not the {k} mistakes with the highest probability.",
                    "softmax the logits, keep the rows where argmax != label, sort by the "
                    "predicted probability, highest first, and take k.")


EVAL_EVERY = 16  # steps between two evaluations in the replays (as in section 7's run)
PATIENCE_CASES = [  # (patience, validation accuracy at each evaluation)
    (1, [0.74, 0.78, 0.7825, 0.7775, 0.775]),
    (2, [0.70, 0.75, 0.75, 0.74, 0.76]),  # a tie is no improvement
    (2, [0.70, 0.69, 0.72, 0.71, 0.73, 0.70, 0.69, 0.74]),  # an improvement resets the count
    (3, [0.60, 0.65, 0.70, 0.72]),  # never stops
    (2, [0.70, 0.80, 0.75, 0.78, 0.76]),  # 0.78 beats the evaluation before it, not the best
]
PATIENCE_SEED = None  # the notebook's check uses PATIENCE_CASES; hidden tests draw other replays


def patience_cases(seed=PATIENCE_SEED):
    """The replays of a check: the notebook's PATIENCE_CASES, or for a seed five random ones
    (accuracies on a grid of 0.0025, so ties happen; patience 1 to 3)."""
    if seed is None:
        return [(p, list(a)) for p, a in PATIENCE_CASES]
    rng = np.random.default_rng(seed)
    cases = []
    for _ in range(5):
        steps = rng.integers(-4, 6, size=int(rng.integers(5, 11)))
        accuracies = [round(0.6 + 0.0025 * int(s), 4) for s in np.cumsum(steps)]
        cases.append((int(rng.integers(1, 4)), accuracies))
    return cases


def early_stopping(patience, accuracies, *, tie_improves=False, reset=True, late=False,
                   previous=False):
    """What early stopping decides on these evaluations: (the evaluation after which it stops,
    counted from 1, or None; the index of the best evaluation). The rule of both libraries'
    callbacks (tests/test_lesson06_checks.py replays them): a strictly higher accuracy is an
    improvement and resets the count; after ``patience`` evaluations in a row without one,
    training stops. The keyword arguments give the usual mistakes (``previous``: comparing with
    the evaluation before instead of the best)."""
    best, best_index, waited, last = None, None, 0, None
    for i, accuracy in enumerate(accuracies):
        reference, last = (last, accuracy) if previous else (best, last)
        if reference is None or accuracy > reference or (tie_improves and accuracy == reference):
            best, best_index = accuracy, i
            if reset:
                waited = 0
        else:
            waited += 1
            if (waited > patience) if late else (waited >= patience):
                return i + 1, best_index
    return None, best_index


# What 06.3's messages name in each framework: the base class, the event method and when the loop
# calls it, where the learner keeps the best evaluation and its unit, the stop flag, and the
# library callback that the answer must decide like.
CALLBACK_API = {
    "pt": dict(base="TrainerCallback", method="on_evaluate", event="after every evaluation",
               where="best_step", unit="step", flag="control.should_training_stop = True",
               library="EarlyStoppingCallback"),
    "tf": dict(base="tf.keras.callbacks.Callback", method="on_epoch_end",
               event="after every epoch", where="best_epoch", unit="epoch",
               flag="self.model.stop_training = True", library="EarlyStopping"),
}


def _training_accuracies(accuracies):
    """Training accuracies for the Keras replays' logs: rising every epoch and above the
    validation ones, so a callback that reads logs["accuracy"] never stops."""
    return [round(min(0.99, 0.8 + 0.03 * i), 4) for i in range(len(accuracies))]


def _replay(answer, patience, accuracies, framework):
    """Feed one run's evaluations to a new ``answer(patience)`` the way the Trainer (on_evaluate)
    or Keras (on_epoch_end) does. Returns (stopped after evaluation n or None, best, where,
    where the stop flag went when it went elsewhere)."""
    from types import SimpleNamespace

    callback = call_answer(lambda: answer(patience=patience), (),
                           f"PatienceStop(patience={patience})",
                           "the class takes one argument, named patience: "
                           "`def __init__(self, patience): ...`.")
    where_name, unit = CALLBACK_API[framework]["where"], CALLBACK_API[framework]["unit"]
    stopped, misplaced = None, None
    if framework == "pt":
        from transformers.trainer_callback import TrainerControl, TrainerState

        args = SimpleNamespace(eval_steps=EVAL_EVERY, metric_for_best_model="accuracy",
                               greater_is_better=True)
        state, control = TrainerState(), TrainerControl()
        # what the Trainer's CallbackHandler passes to every event besides args, state, control
        extra = dict(model=None, processing_class=None, optimizer=None, lr_scheduler=None,
                     train_dataloader=None, eval_dataloader=None)
        call_answer(lambda: callback.on_train_begin(args, state, control, **extra), (),
                    "on_train_begin(args, state, control, model=..., ...)",
                    "keep **kwargs in the signature: the Trainer passes model=, optimizer= and "
                    "more as keywords.")
        for i, accuracy in enumerate(accuracies):
            state.global_step = EVAL_EVERY * (i + 1)
            state.epoch = round(0.25 * (i + 1), 2)
            metrics = {"eval_loss": round(1.2 - accuracy, 4), "eval_accuracy": accuracy,
                       "eval_runtime": 1.0, "epoch": state.epoch}
            # evaluate() logs the metrics before it calls on_evaluate, as the Trainer does
            state.log_history.append({**metrics, "step": state.global_step})
            result = call_answer(
                lambda c, m: callback.on_evaluate(args, state, c, metrics=m, **extra),
                (control, metrics), f"on_evaluate(args, state, control, metrics={metrics}, "
                "model=..., ...)",
                "the Trainer passes the metrics and more (model=, optimizer=, ...) as keywords: "
                "keep **kwargs in the signature. The accuracy is metrics['eval_accuracy'] (the "
                "Trainer adds eval_ to every name).")
            if isinstance(result, TrainerControl):
                control = result  # the Trainer uses a returned control object
            if control.should_training_stop:
                stopped = i + 1
                break
            if getattr(state, "should_training_stop", False) or getattr(
                    callback, "should_training_stop", False):
                misplaced = "pt"
    else:
        model = SimpleNamespace(stop_training=False)
        if callable(getattr(callback, "set_model", None)):
            callback.set_model(model)
        else:
            callback.model = model
        call_answer(callback.on_train_begin, ({},), "on_train_begin(logs)",
                    "the replay calls on_train_begin first, as fit does.")
        training = _training_accuracies(accuracies)
        for i, accuracy in enumerate(accuracies):
            logs = {"loss": round(0.9 - 0.03 * i, 4), "accuracy": training[i],
                    "val_loss": round(1.2 - accuracy, 4), "val_accuracy": accuracy}
            call_answer(callback.on_epoch_end, (i, dict(logs)),
                        f"on_epoch_end({i}, logs={logs})",
                        "logs is a dict; the validation accuracy is logs['val_accuracy'].")
            if model.stop_training:
                stopped = i + 1
                break
            if getattr(callback, "stop_training", False):
                misplaced = "tf"
    for name in ("best", where_name):
        if not hasattr(callback, name):
            raise Wrong(f"after a replay, PatienceStop({patience}) has no attribute {name}.",
                        f"store the best accuracy in self.best and where it was reached in "
                        f"self.{where_name}.")
    best, where = callback.best, getattr(callback, where_name)
    try:
        best = None if best is None else float(best)
    except (TypeError, ValueError):
        raise Wrong(f"best holds {type_name(best)} ({best!r:.60}), not a number.",
                    "store the accuracy itself: self.best = accuracy.") from None
    if where is not None:
        where = as_int(where, f"{where_name} (a step number)" if unit == "step" else
                       f"{where_name} (an epoch number)")
    return stopped, best, where, misplaced


def _library_callback(kind) -> bool:
    """Is ``kind`` the callback base class of transformers or Keras (tf_keras, keras)?"""
    module = getattr(kind, "__module__", "") or ""
    return kind.__name__ in ("TrainerCallback", "Callback") and module.split(".")[0] in (
        "transformers", "tf_keras", "keras", "tensorflow")


def _expect_callback_class(answer, framework):
    """The answer must be a callback class the training loop can use: derived from the library's
    base class (whose empty methods stand in for the events it does not handle), with the event
    method itself written, not only inherited (a misspelt name is never called)."""
    api = CALLBACK_API[framework]
    base, method, event = api["base"], api["method"], api["event"]
    if not any(_library_callback(kind) for kind in answer.__mro__):
        raise Wrong(f"{answer.__name__} does not inherit from {base}.",
                    f"write class {answer.__name__}({base}): the training loop calls every event "
                    "method of a callback, and the base class gives it the ones you do not write.")
    owner = next((kind for kind in answer.__mro__ if method in vars(kind)), None)
    if owner is None or _library_callback(owner):
        written = sorted(name for kind in answer.__mro__ if not _library_callback(kind)
                         and kind is not object for name in vars(kind)
                         if name.startswith("on_"))
        raise Wrong(f"{answer.__name__} does not define {method}"
                    + (f" (it defines {', '.join(written)})" if written else "") + ".",
                    f"the loop calls {method} {event}; a method with another name is never "
                    "called.")


def _describe(stop):
    return "never stops" if stop is None else f"stops after evaluation {stop}"


@exercise("06.3", "your own early stopping",
           section={"pt": "7. Checkpoints on disk, and reloading the best one",
                    "tf": "8. Checkpoints on disk, and reloading the best model"},
           more=("Keep three things between calls: the best accuracy so far, where it was "
                 "reached, and how many evaluations in a row have not beaten it. An accuracy "
                 "strictly above the best replaces it and sets the count to 0; anything else "
                 "adds 1, and when the count reaches the patience, raise the stop flag."))
def _check_06_3(answer, seed=PATIENCE_SEED):
    if not isinstance(answer, type):
        raise Wrong(f"expected the class PatienceStop, got {type_name(answer)} ({answer!r:.60}).",
                    "pass the class itself, check('06.3', PatienceStop): the check makes a new "
                    "callback for every replay.")
    framework = lesson_framework()
    _expect_callback_class(answer, framework)
    api = CALLBACK_API[framework]
    unit, where_name, flag = api["unit"], api["where"], api["flag"]
    cases = patience_cases(seed)
    other = None if seed == PATIENCE_SEED else f"other evaluations (seed {seed})"
    with other_input(other):
        got, expected = [], []
        for patience, accuracies in cases:
            # the replay first: while the learner's code runs, no expected decision of this
            # replay exists yet in any frame it could inspect
            got.append(_replay(answer, patience, accuracies, framework))
            stop, best_index = early_stopping(patience, accuracies)
            where = EVAL_EVERY * (best_index + 1) if framework == "pt" else best_index
            expected.append((stop, accuracies[best_index], where))

        def same(g, e):
            return g[0] == e[0] and g[1] is not None and abs(g[1] - e[1]) < 1e-9 and g[2] == e[2]

        first = next((i for i, (g, e) in enumerate(zip(got, expected)) if not same(g, e)), None)
        if first is None:
            stopped = [e[0] for e in expected if e[0] is not None]
            runs = len(expected) - len(stopped)
            return (f"{len(cases)} replays: stopped after evaluations "
                    f"{', '.join(map(str, stopped))}"
                    + (f" and ran {runs} to the end" if runs else "")
                    + f"; best at {unit}s {', '.join(str(e[2]) for e in expected)}: the decisions "
                    f"{api['library']} makes.")
        stops = [g[0] for g in got]
        if other is None and framework == "tf" and all(
                g[0] is None and g[2] == len(a) - 1 for g, (_, a) in zip(got, cases)):
            raise Wrong("your callback follows the training accuracy, which rises every epoch.",
                        "early stopping watches the validation set: logs['val_accuracy'], not "
                        "logs['accuracy'].")
        if all(s is None for s in stops) and any(e[0] is not None for e in expected):
            misplaced = next((g[3] for g in got if g[3]), None)
            raise Wrong("training never stopped"
                        + (": you set the flag on the callback or the state, which the Trainer "
                           "never reads." if misplaced == "pt" else
                           ": you set stop_training on the callback, which fit never reads."
                           if misplaced == "tf" else "."),
                        f"raise the flag that the training loop reads: {flag}.")
        if other is None:
            mistakes = [
                (dict(tie_improves=True), "an accuracy equal to the best counts as an "
                 "improvement in your callback.",
                 "only a strictly higher accuracy is an improvement (>, not >=): a tie adds "
                 "one to the count."),
                (dict(reset=False), "the count of evaluations without improvement never goes "
                 "back to 0.",
                 "a new best accuracy sets the count back to 0: patience counts evaluations in "
                 "a row."),
                (dict(late=True), "your callback stops one evaluation late.",
                 "stop when the count reaches the patience (>=), not when it passes it."),
                (dict(previous=True), "your callback compares each accuracy with the evaluation "
                 "before it, not with the best so far.",
                 "keep the best accuracy in self.best and compare with that: 0.78 after 0.75 "
                 "is no improvement when the best is 0.80."),
            ]
            for variant, problem, hint in mistakes:
                if stops == [early_stopping(p, a, **variant)[0] for p, a in cases]:
                    raise Wrong(problem, hint)
            if stops == [early_stopping(p, [-x for x in a])[0] for p, a in cases]:
                raise Wrong("your callback treats a lower accuracy as better (or a higher loss).",
                            "early stopping here watches the validation accuracy, and higher is "
                            "better: improvement means accuracy > best.")
        (patience, accuracies), g, e = cases[first], got[first], expected[first]
        if g[0] != e[0]:
            raise Wrong(f"with patience {patience} and validation accuracies {accuracies}, "
                        f"your callback {_describe(g[0])}; early stopping {_describe(e[0])}.",
                        "count the evaluations in a row that do not beat the best (a tie does "
                        "not), and stop when the count reaches the patience.")
        if g[1] is None or abs(g[1] - e[1]) > 1e-9:
            raise Wrong(f"with validation accuracies {accuracies}, best is {g[1]}, not {e[1]}.",
                        "store the highest validation accuracy seen so far in self.best.")
        if framework == "pt" and g[2] == e[2] // EVAL_EVERY:
            hint = "store the training step, state.global_step, not the number of the evaluation."
        elif framework == "tf" and g[2] == e[2] + 1:
            hint = "Keras counts epochs from 0, like EarlyStopping.best_epoch."
        else:
            hint = f"store where the best accuracy was reached in self.{where_name}."
        raise Wrong(f"with validation accuracies {accuracies}, {where_name} is {g[2]}, not "
                    f"{e[2]}.", hint)


quiz("06.4", "which weights you get at the end", correct="d",
     section={"pt": "7. Checkpoints on disk, and reloading the best one",
              "tf": "8. Checkpoints on disk, and reloading the best model"},
     more=("With `load_best_model_at_end` / `restore_best_weights`, what decides which weights "
           "come back: the last step, or the metric you named?"),
     explanations={
    "a": "No: that is what you get without load_best_model_at_end (or without "
         "restore_best_weights in Keras).",
    "b": "No: the test set must not choose anything, or its accuracy is no longer an honest "
         "estimate; the choice is made on the validation set.",
    "c": "No: the training loss is not what metric_for_best_model / monitor names, and a low "
         "training loss can mean overfitting.",
    "d": "Yes: the best of the evaluated checkpoints by the validation metric you named is "
         "reloaded at the end; weights between evaluations are never candidates.",
})
