"""Lesson 07 (custom losses and training loops): every check accepts the right answer, and rejects
a typical wrong answer and a wrong type with a message that explains. The PyTorch and TensorFlow
notebooks share the exercises, so answers from either framework must pass; the PyTorch checks never
import TensorFlow."""

import numpy as np
import pytest

from tests.helpers import assert_runs_without_tensorflow
from utils.checks import ExerciseFailed, check


def _weights(labels, label_names):
    counts = np.array([labels.count(name) for name in label_names])
    return len(labels) / (len(label_names) * counts)


def test_07_1_class_weights():
    from collections import Counter

    from utils.exercises.lesson07 import KOREAN_NAMES, OTHER_CASES, korean_review_labels

    labels = korean_review_labels()
    assert Counter(labels) == {"부정": 50, "중립": 150, "긍정": 300}
    # The notebook's case can tell the id order from the sorted and the first-seen orders.
    assert sorted(KOREAN_NAMES) != KOREAN_NAMES != list(dict.fromkeys(labels))
    check("07.1", _weights)
    for case in OTHER_CASES:
        check("07.1", _weights, case=case)
    check("07.1", lambda labels, names: _weights(labels, names).tolist())
    check("07.1", lambda labels, names: [Counter(labels).total() / (len(names) * Counter(labels)[n])
                                         for n in names])

    def in_order(order):
        return lambda labels, names: _weights(labels, order(labels, names))

    wrong = {
        "sorted order": in_order(lambda labels, names: sorted(names)),
        "first appear": in_order(lambda labels, names: list(dict.fromkeys(labels))),
        "1 / count": lambda labels, names: 1 / np.array([labels.count(n) for n in names]),
        "label frequencies": lambda labels, names: np.array([labels.count(n) for n in names])
        / len(labels),
        "normalised to sum to 1": lambda labels, names: _weights(labels, names)
        / _weights(labels, names).sum(),
        r"expected 3 weights": lambda labels, names: _weights(labels, names)[:2],
        "returned dict": lambda labels, names: dict(zip(names, _weights(labels, names))),
        "raised ZeroDivisionError": lambda labels, names: 1 / 0,
        "expected a function": None,
    }
    for message, answer in wrong.items():
        with pytest.raises(ExerciseFailed, match=message):
            check("07.1", answer if answer is not None else _weights(labels, KOREAN_NAMES))


def test_07_1_a_hard_coded_answer_fails_the_hidden_tests():
    """Weights fitted to the notebook's label set pass there and fail on the grader's sets."""
    from utils.exercises.lesson07 import KOREAN_COUNTS, KOREAN_NAMES, OTHER_CASES

    fixed = 500 / (3 * np.array(KOREAN_COUNTS, dtype=float))
    check("07.1", lambda labels, names: fixed)
    for case in OTHER_CASES:
        with pytest.raises(ExerciseFailed, match="on the label set"):
            check("07.1", lambda labels, names: fixed, case=case)
    # Weights in the order of the Korean names, whatever the names: also caught.
    with pytest.raises(ExerciseFailed, match="on the label set"), np.errstate(divide="ignore"):
        check("07.1", lambda labels, names: _weights(labels, KOREAN_NAMES), case="topics")


def test_07_1_tensorflow_tensor():
    from utils.device import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    check("07.1", lambda labels, names: tf.constant(_weights(labels, names), dtype=tf.float32))


def _pt_step(train=True, step=True, zero=True, as_tensor=False):
    def training_step(model, batch, optimizer):
        if train:
            model.train()
        loss = model(**batch).loss
        loss.backward()
        if step:
            optimizer.step()
        if zero:
            optimizer.zero_grad()
        return loss if as_tensor else loss.item()
    return training_step


def test_07_2_training_step_pytorch():
    check("07.2", _pt_step())
    check("07.2", _pt_step(as_tensor=True), framework="pt")  # a 0-d tensor is one number too
    with pytest.raises(ExerciseFailed, match="they accumulate"):
        check("07.2", _pt_step(zero=False))
    with pytest.raises(ExerciseFailed, match="did not change"):
        check("07.2", _pt_step(step=False))
    with pytest.raises(ExerciseFailed, match="evaluation mode"):
        check("07.2", _pt_step(train=False))
    with pytest.raises(ExerciseFailed,
                       match=r"training_step\(model, batch, optimizer\) raised TypeError"):
        check("07.2", lambda model, batch: None)
    with pytest.raises(ExerciseFailed, match="expected a function, got float"):
        check("07.2", 0.69)


def _tf_step(reduce="mean", apply=True, as_vector=False):
    from utils.device import import_tensorflow_quietly

    tf = import_tensorflow_quietly()

    def training_step(model, batch, optimizer):
        inputs, labels = batch
        with tf.GradientTape() as tape:
            logits = model(inputs, training=True).logits
            per_example = tf.keras.losses.sparse_categorical_crossentropy(labels, logits,
                                                                          from_logits=True)
            loss = tf.reduce_mean(per_example) if reduce == "mean" else tf.reduce_sum(per_example)
        gradients = tape.gradient(loss, model.trainable_variables)
        if apply:
            optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return per_example if as_vector else loss
    return training_step


def test_07_2_training_step_tensorflow():
    check("07.2", _tf_step(), framework="tf")  # a scalar tf tensor is accepted as the loss
    with pytest.raises(ExerciseFailed, match="SUM of the per-sentence losses"):
        check("07.2", _tf_step(reduce="sum"), framework="tf")
    with pytest.raises(ExerciseFailed, match="did not change"):
        check("07.2", _tf_step(apply=False), framework="tf")
    with pytest.raises(ExerciseFailed, match="not one number"):
        check("07.2", _tf_step(as_vector=True), framework="tf")
    with pytest.raises(ExerciseFailed, match="expected a function, got str"):
        check("07.2", "training_step", framework="tf")


def test_07_3_quiz():
    check("07.3", " A")
    with pytest.raises(ExerciseFailed, match="Keras's rule only"):
        check("07.3", "b")
    with pytest.raises(ExerciseFailed, match="not one of the options"):
        check("07.3", "z")
    with pytest.raises(ExerciseFailed, match="got NoneType"):
        check("07.3", None)


def test_pytorch_checks_never_import_tensorflow():
    # The PyTorch notebook runs the shared checks with USE_TF=0; none of them may pull TensorFlow
    # in.
    assert_runs_without_tensorflow(
        "from utils.checks import check\n"
        "from tests.test_lesson07_checks import _pt_step, _weights\n"
        "check('07.1', _weights)\n"
        "check('07.2', _pt_step(), framework='pt'); check('07.3', 'a')\n"
    )
