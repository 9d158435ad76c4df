"""Checks for lesson 06 (fine-tuning with Trainer / Keras). The PyTorch and TensorFlow notebooks
share these exercises, so no check imports a framework: answers are functions, numbers and
datasets."""

import math
import numbers

import numpy as np

from utils.checks import (
    Wrong,
    call_answer,
    exercise,
    expect_function,
    expect_type,
    other_input,
    quiz,
    type_name,
)
from utils.exercises.lesson02 import softmax, to_numpy

LABELS = ["NEGATIVE", "POSITIVE"]
LANG_LABELS = ["ENGLISH", "KOREAN"]


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


def _has_hangul(text: str) -> bool:
    return any("\uac00" <= ch <= "\ud7a3" or "\u1100" <= ch <= "\u11ff"
               or "\u3130" <= ch <= "\u318f" for ch in text)


def expected_language_sentences():
    """The sentences exercise 06.3 asks for: (english, korean)."""
    from utils.data import korean_lines, load_polarity

    english = list(load_polarity()["train"]["sentence"][:200])
    korean = [line for line in korean_lines() if len(line) >= 20][:200]
    return english, korean


@exercise("06.3", "a language-identification task",
           section="1. The data",
           more=("Build the two lists, then one `Dataset.from_dict({\"sentence\": ..., \"label\": "
                 "...})` with `Features` whose `label` is `ClassLabel(names=[...])`, and "
                 "`train_test_split(test_size=..., seed=..., stratify_by_column=\"label\")`."))
def _check_06_3(answer, accuracy=None):
    from datasets import ClassLabel, Dataset, DatasetDict

    if isinstance(answer, Dataset):
        raise Wrong("lang_data is a single Dataset, not train and test splits.",
                    "split it: both.train_test_split(test_size=0.25, seed=42, "
                    "stratify_by_column='label').")
    expect_type(answer, DatasetDict, "lang_data (a DatasetDict with 'train' and 'test')")
    if set(answer) != {"train", "test"}:
        raise Wrong(f"lang_data has the splits {sorted(answer)}.", "it needs 'train' and 'test'.")
    for name, split in answer.items():
        if "sentence" not in split.column_names or "label" not in split.column_names:
            raise Wrong(f"the {name!r} split has the columns {split.column_names}.",
                        "pass lang_data itself, with its 'sentence' and 'label' columns, not the "
                        "tokenized copy.")
    feature = answer["train"].features["label"]
    if not isinstance(feature, ClassLabel) or feature.names != LANG_LABELS:
        raise Wrong(f"the label column is {feature!r:.80}.",
                    "build the dataset with features=Features({'sentence': Value('string'), "
                    "'label': ClassLabel(names=['ENGLISH', 'KOREAN'])}).")
    english, korean = expected_language_sentences()
    rows = [(s, label) for split in answer.values()
            for s, label in zip(split["sentence"], split["label"])]
    if rows and all(_has_hangul(s) == (label == 0) for s, label in rows):
        raise Wrong("every Korean sentence has label 0 and every English one label 1.",
                    "label 0 is ENGLISH and label 1 is KOREAN.")
    wrong_labels = sum(_has_hangul(s) != (label == 1) for s, label in rows)
    if wrong_labels:
        raise Wrong(f"{wrong_labels} sentences have the wrong language label.",
                    "English sentences get 0, Korean lines get 1.")
    if sorted(s for s, _ in rows) != sorted(english + korean):
        raise Wrong(f"lang_data holds {len(rows)} sentences, not the 400 asked for.",
                    "the first 200 sentences of raw['train'] and the first 200 lines of "
                    "korean_lines() with len(line) >= 20.")
    test_labels = answer["test"]["label"]
    if len(answer["test"]) != 100 or sum(test_labels) != 50:
        raise Wrong(f"the test split has {len(answer['test'])} rows, {sum(test_labels)} of them "
                    "Korean.",
                    "train_test_split(test_size=0.25, seed=42, stratify_by_column='label') gives "
                    "100 test rows, 50 of each language.")
    features = answer["train"].features
    both = Dataset.from_dict({"sentence": english + korean, "label": [0] * 200 + [1] * 200},
                             features=features)
    reference = both.train_test_split(test_size=0.25, seed=42, stratify_by_column="label")
    if sorted(answer["test"]["sentence"]) != sorted(reference["test"]["sentence"]):
        raise Wrong("the test split holds other sentences than the stated split gives.",
                    "concatenate English first, then Korean, and split with seed=42.")
    if accuracy is None:
        raise Wrong("the check also needs your test accuracy.",
                    "call check('06.3', lang_data, lang_accuracy).")
    if isinstance(accuracy, np.floating):
        accuracy = float(accuracy)
    expect_type(accuracy, float, "lang_accuracy (the test accuracy)")
    if not 0.0 <= accuracy <= 1.0:
        raise Wrong(f"an accuracy of {accuracy} is outside 0 to 1.",
                    "store the fraction of right answers (0.97), not a percentage.")
    if accuracy < 0.9:
        raise Wrong(f"a test accuracy of {accuracy:.3f} is low for this easy task.",
                    "fine-tune a fresh classifier from checkpoint('encoder') on the tokenized "
                    "lang_data['train'] (labels included) for one epoch at learning rate 1e-4, "
                    "then evaluate on lang_data['test'].")
    return (f"test accuracy {accuracy:.3f}: the English tokenizer breaks Hangul into jamo pieces "
            "(lesson 00), which the model tells apart from English words almost at once.")


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
