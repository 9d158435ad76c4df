"""Lesson 07 (custom losses and training loops): every check accepts the right answer, and rejects
a typical wrong answer and a wrong type with a message that explains. The PyTorch and TensorFlow
notebooks share the exercises, so answers from either framework must pass; the PyTorch checks never
import TensorFlow."""

import numpy as np
import pytest

from tests.helpers import assert_runs_without_tensorflow
from utils.checks import ExerciseFailed, check


def test_07_1_class_weights():
    import torch

    from utils.exercises.lesson07 import exercise_labels

    labels = exercise_labels()
    counts = np.bincount(labels)
    right = len(labels) / (3 * counts)
    check("07.1", right)
    check("07.1", right.tolist())
    check("07.1", torch.tensor(right, dtype=torch.float32))
    with pytest.raises(ExerciseFailed, match="1 / count"):
        check("07.1", 1 / counts)
    with pytest.raises(ExerciseFailed, match="label frequencies"):
        check("07.1", counts / len(labels))
    with pytest.raises(ExerciseFailed, match="normalised to sum to 1"):
        check("07.1", right / right.sum())
    with pytest.raises(ExerciseFailed, match="reverse label order"):
        check("07.1", right[::-1].copy())
    with pytest.raises(ExerciseFailed, match=r"expected 3 weights"):
        check("07.1", right[:2])
    with pytest.raises(ExerciseFailed, match="got dict"):
        check("07.1", dict(enumerate(right)))
    with pytest.raises(ExerciseFailed, match="requires gradients"):
        check("07.1", torch.tensor(right, requires_grad=True))


def test_07_1_tensorflow_tensor():
    from utils.device import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    from utils.exercises.lesson07 import exercise_labels

    labels = exercise_labels()
    check("07.1", tf.constant(len(labels) / (3 * np.bincount(labels)), dtype=tf.float32))


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
        "import numpy as np\n"
        "from utils.checks import check\n"
        "from tests.test_lesson07_checks import _pt_step\n"
        "from utils.exercises.lesson07 import exercise_labels\n"
        "l = exercise_labels(); check('07.1', len(l) / (3 * np.bincount(l)))\n"
        "check('07.2', _pt_step(), framework='pt'); check('07.3', 'a')\n"
    )
