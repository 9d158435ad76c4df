"""Lesson 06 (Trainer / Keras fine-tuning): every check accepts the right answer, and rejects a
typical wrong answer and a wrong type with a message that explains. The PyTorch and TensorFlow
notebooks share the exercises, so answers from either framework must pass."""

import numpy as np
import pytest

from tests.helpers import assert_runs_without_tensorflow
from utils.checks import ExerciseFailed, check

# ------------------------------------------------------------------ lesson 06

def _per_label(average="macro", swap=False, axis=-1):
    from sklearn.metrics import accuracy_score, f1_score, recall_score

    def metrics(eval_pred):
        logits, labels = eval_pred
        predictions = np.argmax(logits, axis=axis)
        recalls = recall_score(labels, predictions, average=None, labels=[0, 1])
        if swap:
            recalls = recalls[::-1]
        return {"accuracy": accuracy_score(labels, predictions),
                "f1_macro": f1_score(labels, predictions, average=average),
                "recall_NEGATIVE": recalls[0], "recall_POSITIVE": recalls[1]}
    return metrics


def test_06_1_per_label_metrics():
    check("06.1", _per_label())  # NumPy floats from scikit-learn are numbers too

    def attribute_style(eval_pred):  # EvalPrediction's attributes work as well as unpacking
        return _per_label()((eval_pred.predictions, eval_pred.label_ids))
    check("06.1", attribute_style)
    with pytest.raises(ExerciseFailed, match="F1 of POSITIVE alone"):
        check("06.1", _per_label(average="binary"))
    with pytest.raises(ExerciseFailed, match="recalls are swapped"):
        check("06.1", _per_label(swap=True))
    with pytest.raises(ExerciseFailed, match="raised|not right"):
        check("06.1", _per_label(axis=0))
    with pytest.raises(ExerciseFailed,
                       match=r"per_label_metrics\(eval_pred\) raised ZeroDivisionError"):
        check("06.1", lambda eval_pred: 1 / 0)
    with pytest.raises(ExerciseFailed, match="no 'f1_macro'"):
        check("06.1", lambda p: {"accuracy": 0.5})
    with pytest.raises(ExerciseFailed, match="returned list"):
        check("06.1", lambda p: [0.5])
    with pytest.raises(ExerciseFailed, match="expected a function, got dict"):
        check("06.1", {"accuracy": 0.45})


def _mistakes(by="probability", order=-1, only_wrong=True, kind=list):
    """A confidently_wrong function: ranks by the predicted probability (or the largest logit),
    highest first (order -1) or last, over the mistakes only or over every row."""
    def confidently_wrong(logits, labels, k):
        shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
        probabilities = shifted / shifted.sum(axis=-1, keepdims=True)
        score = probabilities.max(axis=-1) if by == "probability" else logits.max(axis=-1)
        rows = (np.flatnonzero(probabilities.argmax(axis=-1) != labels) if only_wrong
                else np.arange(len(labels)))
        chosen = rows[np.argsort(order * score[rows], kind="stable")][:k]
        return kind(chosen)
    return confidently_wrong


def test_06_2_most_confident_mistakes(capsys):
    import torch

    from utils.exercises.lesson06 import mistake_logits, most_confident_mistakes

    logits, labels = mistake_logits()
    assert most_confident_mistakes(logits, labels, 3) == [18, 7, 20]  # the traps below differ
    check("06.2", _mistakes())
    assert "rows 18 (" in capsys.readouterr().out
    check("06.2", _mistakes(kind=np.array))
    check("06.2", _mistakes(kind=torch.tensor))
    with pytest.raises(ExerciseFailed, match="largest logits, not the highest probabilities"):
        check("06.2", _mistakes(by="logit"))
    with pytest.raises(ExerciseFailed, match="was predicted right"):
        check("06.2", _mistakes(only_wrong=False))
    with pytest.raises(ExerciseFailed, match="least confident mistakes"):
        check("06.2", _mistakes(order=1))
    with pytest.raises(ExerciseFailed, match="right rows in the wrong order"):
        check("06.2", lambda logits, labels, k: sorted(most_confident_mistakes(logits, labels, k)))
    with pytest.raises(ExerciseFailed, match="4 indices for k=3"):
        check("06.2", lambda logits, labels, k: most_confident_mistakes(logits, labels, k + 1))
    with pytest.raises(ExerciseFailed, match="mask of 24 booleans"):
        check("06.2", lambda logits, labels, k: logits.argmax(axis=-1) != labels)
    with pytest.raises(ExerciseFailed, match="float32 values, not row indices"):
        check("06.2", lambda logits, labels, k: logits.max(axis=-1)[:k])
    with pytest.raises(ExerciseFailed, match="raised IndexError"):
        check("06.2", lambda logits, labels, k: logits[100])
    with pytest.raises(ExerciseFailed, match="expected a function"):
        check("06.2", [18, 7, 20])


def test_06_2_fitted_answer_fails_the_hidden_test():
    def fitted(logits, labels, k):
        return [18, 7, 20]

    check("06.2", fitted)
    with pytest.raises(ExerciseFailed, match=r"on other logits \(40 examples, 18 of them "
                                             r"mistakes, k=4; seed 9\)"):
        check("06.2", fitted, seed=9, k=4)


@pytest.fixture(scope="module")
def lang_parts():
    from datasets import ClassLabel, Dataset, Features, Value

    from utils.exercises.lesson06 import expected_language_sentences

    english, korean = expected_language_sentences()
    features = Features({"sentence": Value("string"),
                         "label": ClassLabel(names=["ENGLISH", "KOREAN"])})

    def build(labels=(0, 1), seed=42, **split):
        both = Dataset.from_dict({"sentence": english + korean,
                                  "label": [labels[0]] * 200 + [labels[1]] * 200},
                                 features=features)
        split = split or dict(test_size=0.25, stratify_by_column="label")
        return both.train_test_split(**split, seed=seed)
    return build


def test_06_3_language_data(lang_parts):
    right = lang_parts()
    check("06.3", right, 1.0)
    check("06.3", right, np.float32(0.97))
    with pytest.raises(ExerciseFailed, match="label 0 is ENGLISH"):
        check("06.3", lang_parts(labels=(1, 0)), 1.0)
    with pytest.raises(ExerciseFailed, match="other sentences"):
        check("06.3", lang_parts(seed=0), 1.0)
    with pytest.raises(ExerciseFailed, match="single Dataset"):
        check("06.3", right["train"], 1.0)
    tokenized = right.remove_columns(["sentence"])
    with pytest.raises(ExerciseFailed, match="not the tokenized copy"):
        check("06.3", tokenized, 1.0)
    with pytest.raises(ExerciseFailed, match="low for this easy task"):
        check("06.3", right, 0.62)
    with pytest.raises(ExerciseFailed, match="not a percentage"):
        check("06.3", right, 97.0)
    with pytest.raises(ExerciseFailed, match="also needs your test accuracy"):
        check("06.3", right)
    with pytest.raises(ExerciseFailed, match="got str"):
        check("06.3", right, "1.0")
    with pytest.raises(ExerciseFailed, match="got list"):
        check("06.3", list(right["train"]["sentence"]), 1.0)


def test_06_4_quiz():
    check("06.4", "d")
    with pytest.raises(ExerciseFailed, match="test set must not choose"):
        check("06.4", "b")
    with pytest.raises(ExerciseFailed, match="got int"):
        check("06.4", 2)


def test_pytorch_checks_never_import_tensorflow():
    # The PyTorch notebook runs the shared checks with USE_TF=0; none of them may pull TensorFlow
    # in.
    assert_runs_without_tensorflow(
        "from utils.checks import check\n"
        "from tests.test_lesson06_checks import _mistakes, _per_label\n"
        "check('06.1', _per_label()); check('06.2', _mistakes()); check('06.4', 'd')\n"
    )
