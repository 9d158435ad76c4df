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


def _patience_stop(framework="pt", compare=">", reset=True, late=False, where="step",
                   flag="loop", key="val_accuracy", previous=False):
    """A PatienceStop class for 06.3, right by default; each keyword makes one usual mistake."""
    if framework == "pt":
        from transformers import TrainerCallback as Base
    else:
        import tf_keras

        Base = tf_keras.callbacks.Callback

    class PatienceStop(Base):
        def __init__(self, patience):
            super().__init__()
            self.patience, self.best, self.waited, self.evaluations = patience, None, 0, 0
            setattr(self, "best_step" if framework == "pt" else "best_epoch", None)

        def _seen(self, accuracy, position):
            self.evaluations += 1
            reference = getattr(self, "last", None) if previous else self.best
            self.last = accuracy
            if reference is None or (accuracy > reference if compare == ">"
                                     else accuracy >= reference):
                self.best = accuracy
                setattr(self, "best_step" if framework == "pt" else "best_epoch", position)
                if reset:
                    self.waited = 0
                return False
            self.waited += 1
            return self.waited > self.patience if late else self.waited >= self.patience

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            position = state.global_step if where == "step" else self.evaluations + 1
            if self._seen(metrics["eval_accuracy"], position):
                if flag == "loop":
                    control.should_training_stop = True
                else:
                    self.should_training_stop = True

        def on_epoch_end(self, epoch, logs=None):
            if framework == "pt":
                return
            if self._seen(logs[key], epoch if where == "step" else epoch + 1):
                if flag == "loop":
                    self.model.stop_training = True
                else:
                    self.stop_training = True
    return PatienceStop


def test_06_3_pytorch_callback(monkeypatch):
    monkeypatch.setenv("COURSE_FRAMEWORK", "pt")
    check("06.3", _patience_stop())
    for seed in (1, 2):
        check("06.3", _patience_stop(), seed=seed)
    with pytest.raises(ExerciseFailed, match="equal to the best counts as an improvement"):
        check("06.3", _patience_stop(compare=">="))
    with pytest.raises(ExerciseFailed, match="never goes back to 0"):
        check("06.3", _patience_stop(reset=False))
    with pytest.raises(ExerciseFailed, match="stops one evaluation late"):
        check("06.3", _patience_stop(late=True))
    with pytest.raises(ExerciseFailed, match="(?s)best_step is 3, not 48.*state.global_step"):
        check("06.3", _patience_stop(where="count"))
    with pytest.raises(ExerciseFailed, match="(?s)never stopped: you set the flag on the callback.*"
                                             "control.should_training_stop"):
        check("06.3", _patience_stop(flag="callback"))
    with pytest.raises(ExerciseFailed, match="expected the class PatienceStop, got PatienceStop"):
        check("06.3", _patience_stop()(1))
    with pytest.raises(ExerciseFailed, match="does not inherit from TrainerCallback"):
        check("06.3", type("PatienceStop", (), {}))
    with pytest.raises(ExerciseFailed, match="with the evaluation before it, not with the best"):
        check("06.3", _patience_stop(previous=True))
    with pytest.raises(ExerciseFailed, match=r"on other evaluations \(seed 3\)"):
        check("06.3", _patience_stop(late=True), seed=3)


def test_06_3_pytorch_callback_works_in_a_trainer(monkeypatch):
    """What passes must be usable by a Trainer: the base class, the event method itself, a
    signature that takes the Trainer's keywords, and the argument named patience."""
    from transformers import TrainerCallback

    monkeypatch.setenv("COURSE_FRAMEWORK", "pt")
    right = _patience_stop()
    plain = type("PatienceStop", (), {k: v for k, v in vars(right).items()
                                      if k in ("__init__", "_seen", "on_evaluate")})
    with pytest.raises(ExerciseFailed, match="does not inherit from TrainerCallback"):
        check("06.3", plain)
    class Misspelt(TrainerCallback):
        def __init__(self, patience):
            self.best, self.best_step = None, None

        def on_evaluation(self, args, state, control, metrics=None, **kwargs):
            control.should_training_stop = True
    with pytest.raises(ExerciseFailed, match=r"does not define on_evaluate \(it defines "
                                             r"on_evaluation\)"):
        check("06.3", Misspelt)

    class NoKwargs(TrainerCallback):
        def __init__(self, patience):
            self.best, self.best_step = None, None

        def on_evaluate(self, args, state, control, metrics):
            pass
    with pytest.raises(ExerciseFailed, match="(?s)unexpected keyword argument.*keep \\*\\*kwargs"):
        check("06.3", NoKwargs)

    class OtherName(right):
        def __init__(self, n):
            super().__init__(n)
    with pytest.raises(ExerciseFailed, match="one argument, named patience"):
        check("06.3", OtherName)


def test_06_3_keras_callback(monkeypatch):
    pytest.importorskip("tf_keras")
    monkeypatch.setenv("COURSE_FRAMEWORK", "tf")
    check("06.3", _patience_stop("tf"))
    check("06.3", _patience_stop("tf"), seed=1)
    with pytest.raises(ExerciseFailed, match="equal to the best counts as an improvement"):
        check("06.3", _patience_stop("tf", compare=">="))
    with pytest.raises(ExerciseFailed, match="(?s)best_epoch is 3, not 2.*counts epochs from 0"):
        check("06.3", _patience_stop("tf", where="count"))
    with pytest.raises(ExerciseFailed, match="(?s)stop_training on the callback.*"
                                             "self.model.stop_training"):
        check("06.3", _patience_stop("tf", flag="callback"))
    with pytest.raises(ExerciseFailed, match="follows the training accuracy"):
        check("06.3", _patience_stop("tf", key="accuracy"))
    with pytest.raises(ExerciseFailed, match="does not inherit from tf.keras.callbacks.Callback"):
        check("06.3", type("PatienceStop", (), {"__init__": lambda self, patience: None}))


def _cases():
    from utils.exercises.lesson06 import patience_cases

    return [case for seed in (None, 1, 2, 3, 4) for case in patience_cases(seed)]


def test_06_3_rule_is_the_one_of_transformers_early_stopping_callback():
    """The check's rule (early_stopping) decides like transformers' EarlyStoppingCallback,
    replayed as the Trainer calls it: on_evaluate, then the Trainer updates best_metric."""
    from types import SimpleNamespace

    from transformers import EarlyStoppingCallback, TrainerControl, TrainerState

    from utils.exercises.lesson06 import early_stopping

    args = SimpleNamespace(metric_for_best_model="accuracy", greater_is_better=True)
    for patience, accuracies in _cases():
        callback = EarlyStoppingCallback(early_stopping_patience=patience)
        state, control, stopped = TrainerState(), TrainerControl(), None
        for i, accuracy in enumerate(accuracies):
            callback.on_evaluate(args, state, control, metrics={"eval_accuracy": accuracy})
            if state.best_metric is None or accuracy > state.best_metric:
                state.best_metric = accuracy
            if control.should_training_stop:
                stopped = i + 1
                break
        assert stopped == early_stopping(patience, accuracies)[0], (patience, accuracies)


def test_06_3_rule_is_the_one_of_keras_early_stopping():
    tf_keras = pytest.importorskip("tf_keras")
    from types import SimpleNamespace

    from utils.exercises.lesson06 import early_stopping

    for patience, accuracies in _cases():
        callback = tf_keras.callbacks.EarlyStopping(monitor="val_accuracy", mode="max",
                                                    patience=patience)
        model = SimpleNamespace(stop_training=False)
        callback.set_model(model)
        callback.on_train_begin()
        stopped = None
        for epoch, accuracy in enumerate(accuracies):
            callback.on_epoch_end(epoch, {"val_accuracy": accuracy})
            if model.stop_training:
                stopped = epoch + 1
                break
        expected_stop, best_index = early_stopping(patience, accuracies)
        assert stopped == expected_stop, (patience, accuracies)
        assert callback.best_epoch == best_index


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
        "from tests.test_lesson06_checks import _patience_stop\n"
        "check('06.1', _per_label()); check('06.2', _mistakes()); check('06.4', 'd')\n"
        "check('06.3', _patience_stop())\n"
    )
