"""Checks for lesson 07 (custom losses and training loops). The PyTorch and TensorFlow notebooks
share these exercises. 07.1 and 07.3 import no framework; 07.2 imports only the framework it is
asked to check (``framework="pt"`` never imports TensorFlow)."""

import copy
import math

import numpy as np

from utils.checks import (
    Wrong,
    call_answer,
    exercise,
    expect_function,
    other_input,
    quiz,
    type_name,
)

# ------------------------------------------------------------------ 07.1: class weights by name
# The notebook's labels: Korean review labels, 부정 (negative) 50, 중립 (neutral) 150, 긍정
# (positive) 300, shuffled. The ids follow label_names, which is neither the sorted order of the
# names (긍정 < 부정 < 중립) nor the order in which they first appear (긍정 first).
KOREAN_NAMES = ["부정", "중립", "긍정"]
KOREAN_COUNTS = (50, 150, 300)
# The grader's label sets (hidden tests): other names, another number of labels, a rare label in
# the middle of the id order.
OTHER_CASES = {
    "topics": (["sports", "world", "business", "science"], (120, 30, 60, 90)),
    "two labels": (["POSITIVE", "NEGATIVE"], (768, 256)),
}
LABEL_SEED = 7


def labels_for(names, counts, seed=LABEL_SEED):
    """One label name per example, ``counts[i]`` of ``names[i]``, in a shuffled order."""
    labels = [name for name, count in zip(names, counts) for _ in range(count)]
    order = np.random.default_rng(seed).permutation(len(labels))
    return [labels[i] for i in order]


def korean_review_labels():
    """The labels of exercise 07.1: 50 부정, 150 중립 and 300 긍정, shuffled."""
    return labels_for(KOREAN_NAMES, KOREAN_COUNTS)


def _weights_from(values, names):
    if (isinstance(values, (str, bytes, dict, set))
            or not (hasattr(values, "__len__") or hasattr(values, "shape"))):
        raise Wrong(f"balanced_weights returned {type_name(values)} ({values!r:.60}).",
                    "return one float per name of label_names, in that order: a list or a NumPy "
                    "array.")
    try:
        array = np.asarray(values, dtype=np.float64)
    except Exception:  # a tensor that requires grad, a list of strings
        raise Wrong(f"could not read what balanced_weights returned ({values!r:.60}) as numbers.",
                    "return plain numbers: a list of floats or a NumPy array (call .detach() on "
                    "a tensor that requires gradients).") from None
    if array.shape != (len(names),):
        raise Wrong(f"expected {len(names)} weights, one per name of label_names, got shape "
                    f"{array.shape}.",
                    "count each name of label_names in labels and compute one weight per count.")
    return array


@exercise("07.1", "class weights for any label set",
           section={"pt": "3. A class-weighted loss: subclassing `Trainer`",
                    "tf": "3. Class weights in `fit`"},
           more=("count each name of label_names in labels (`labels.count(name)`, or "
                 "`collections.Counter(labels)[name]`), in the order of label_names; the weight "
                 "of a label is len(labels) / (len(label_names) × its count)."))
def _check_07_1(answer, case=None):
    expect_function(answer, "define `def balanced_weights(labels, label_names):` and pass the "
                            "function itself: check('07.1', balanced_weights).")
    if case is None:
        names, counts, description = KOREAN_NAMES, KOREAN_COUNTS, None
    else:
        names, counts = OTHER_CASES[case]
        description = f"the label set {names} with counts {list(counts)}"
    labels = labels_for(names, counts)
    shown = ", ".join(repr(name) for name in labels[:3])
    with other_input(description):
        values = _weights_from(call_answer(answer, (list(labels), list(names)),
                                           f"balanced_weights([{shown}, ...], {names})",
                                           "labels is a list of names, label_names the names "
                                           "in id order."), names)
        counts_ = np.array(counts, dtype=np.float64)
        n, k = len(labels), len(names)
        expected = n / (k * counts_)
        sorted_names = sorted(names)
        first_seen = list(dict.fromkeys(labels))

        def reorder(order):
            return np.array([expected[names.index(name)] for name in order])

        mistakes = [
            (reorder(sorted_names), "the weights follow the sorted order of the names "
             f"({sorted_names}), not label_names.",
             "a label's id is its position in label_names (id2label): compute the weights in "
             "that order, not in the order np.unique or sorted() gives."),
            (reorder(first_seen), "the weights follow the order in which the names first appear "
             f"in labels ({first_seen}), not label_names.",
             "a label's id is its position in label_names: loop over label_names, not over the "
             "names as they come."),
            (1 / counts_, "these are 1 / count: the scale is missing.",
             f"multiply by n / number of labels = {n} / {k}, so that the weights average 1 over "
             "the examples."),
            (counts_ / n, "these are the label frequencies, so frequent labels get the largest "
             "weights.", "rare labels must weigh more: weight = n / (number of labels × count)."),
            (n / counts_, "these are n / count: the division by the number of labels is missing.",
             f"divide by the number of labels too ({k})."),
            (expected / expected.sum(), "these weights are normalised to sum to 1.",
             "use n / (number of labels × count) as it is: the weights then average 1 per "
             "example."),
        ]
        for wrong, problem, hint in mistakes:
            if (np.allclose(values, wrong, rtol=1e-4, atol=1e-6)
                    and not np.allclose(wrong, expected)):
                raise Wrong(problem, hint)
        if not np.allclose(values, expected, rtol=1e-4, atol=1e-6):
            raise Wrong(f"the weights {np.round(values, 4).tolist()} are not right.",
                        "weight of label c = n / (number of labels × count of c), in the order "
                        "of label_names.")
    weights = ", ".join(f"{name} {weight:.3f}" for name, weight in zip(names, expected))
    return (f"{weights}: each label now contributes {expected[0] * counts[0]:g} in total, the "
            "same for all, and the weights follow label_names, the model's id order.")


# ------------------------------------------------------------------ 07.2: one training step

TINY_CONFIG = dict(vocab_size=60, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                   intermediate_size=32, max_position_embeddings=32, hidden_dropout_prob=0.0,
                   attention_probs_dropout_prob=0.0, num_labels=2)
LEARNING_RATE = 0.5


def _batches(rng):
    out = []
    for _ in range(2):
        ids = rng.integers(5, 60, size=(4, 7))
        ids[:, 0], ids[:, -1] = 2, 3
        out.append((ids, np.ones_like(ids), rng.integers(0, 2, size=4)))
    return out


def _call_step(answer, *args):
    return call_answer(answer, args, "training_step(model, batch, optimizer)",
                       "training_step(model, batch, optimizer) must run one step on the batch it "
                       "gets.")


def _as_float(value, hint):
    try:
        if hasattr(value, "numpy") and hasattr(value, "shape") and len(value.shape) > 0:
            raise TypeError
        return float(value.item() if hasattr(value, "item") else value)
    except (TypeError, ValueError, RuntimeError):
        raise Wrong(f"training_step returned {type_name(value)} ({str(value)[:60]}), "
                    "not one number.",
                    hint) from None


def _check_pt(answer, seed):
    import torch
    from transformers import BertConfig, BertForSequenceClassification

    rng = np.random.default_rng(seed)
    batches = [{"input_ids": torch.tensor(i), "attention_mask": torch.tensor(m),
                "labels": torch.tensor(y)}
               for i, m, y in _batches(rng)]
    with torch.random.fork_rng():
        torch.manual_seed(0)
        reference = BertForSequenceClassification(BertConfig(**TINY_CONFIG))
    start = copy.deepcopy(reference.state_dict())
    learner, accumulating = copy.deepcopy(reference), copy.deepcopy(reference)

    ref_optimizer = torch.optim.SGD(reference.parameters(), lr=LEARNING_RATE)
    acc_optimizer = torch.optim.SGD(accumulating.parameters(), lr=LEARNING_RATE)
    ref_losses = []
    for batch in batches:
        reference.train()
        loss = reference(**batch).loss
        loss.backward()
        ref_optimizer.step()
        ref_optimizer.zero_grad()
        ref_losses.append(loss.item())
        accumulating(**batch).loss.backward()  # the same without zero_grad
        acc_optimizer.step()

    learner.eval()
    optimizer = torch.optim.SGD(learner.parameters(), lr=LEARNING_RATE)
    returned = [_call_step(answer, learner, dict(batch), optimizer) for batch in batches]
    losses = [_as_float(value, "return loss.item(), the batch's loss as a Python float.")
              for value in returned]

    def same(state):
        return all(torch.allclose(learner.state_dict()[k], state[k], atol=1e-6) for k in state)

    if same(start):
        raise Wrong("the model's weights did not change.",
                    "after the forward pass call loss.backward(), then optimizer.step().")
    if same(accumulating.state_dict()) and not same(reference.state_dict()):
        raise Wrong("the second step used the gradients of both batches: they accumulate.",
                    "call optimizer.zero_grad() in every step (after optimizer.step(), or before "
                    "backward()).")
    if not same(reference.state_dict()):
        raise Wrong("after two steps the weights differ from the reference steps.",
                    "do exactly: model.train(); loss = model(**batch).loss; loss.backward(); "
                    "optimizer.step(); optimizer.zero_grad() (no clipping, no scheduler).")
    if not all(math.isclose(a, b, abs_tol=1e-5) for a, b in zip(losses, ref_losses)):
        raise Wrong(f"the returned losses {np.round(losses, 4).tolist()} are not the batches' "
                    f"losses {np.round(ref_losses, 4).tolist()}.",
                    "return the loss of the forward pass, as a float.")
    if not learner.training:
        raise Wrong("the weights are right, but the model is still in evaluation mode.",
                    "call model.train() first: in evaluation mode dropout is off (this tiny model "
                    "has none, a real one does).")
    return "forward, backward, step, zero_grad: the four lines inside every PyTorch training loop."


def _check_tf(answer, seed):
    from utils.device import import_tensorflow_quietly

    tf = import_tensorflow_quietly()
    from transformers import BertConfig, TFBertForSequenceClassification

    rng = np.random.default_rng(seed)
    batches = [({"input_ids": tf.constant(i), "attention_mask": tf.constant(m)}, tf.constant(y))
               for i, m, y in _batches(rng)]
    config = BertConfig(**TINY_CONFIG)
    models = [TFBertForSequenceClassification(config) for _ in range(3)]
    for model in models:
        model(batches[0][0])
    start = models[0].get_weights()
    for model in models[1:]:
        model.set_weights(start)
    reference, summed, learner = models
    loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    ref_losses = []
    for model, reduce in ((reference, True), (summed, False)):
        optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)
        for inputs, labels in batches:
            with tf.GradientTape() as tape:
                logits = model(inputs, training=True).logits
                per_example = tf.keras.losses.sparse_categorical_crossentropy(
                    labels, logits, from_logits=True)
                loss = loss_fn(labels, logits) if reduce else tf.reduce_sum(per_example)
            grads = tape.gradient(loss, model.trainable_variables)
            optimizer.apply_gradients(zip(grads, model.trainable_variables))
            if reduce:
                ref_losses.append(float(loss))

    optimizer = tf.keras.optimizers.SGD(learning_rate=LEARNING_RATE)
    returned = [_call_step(answer, learner, (dict(inputs), labels), optimizer)
                for inputs, labels in batches]
    losses = [_as_float(value, "return one number, the mean loss over the batch: float(loss), "
                               "where loss = tf.reduce_mean(...) or a Keras loss object's result.")
              for value in returned]

    def same(weights):
        return all(np.allclose(a, b, atol=1e-6) for a, b in zip(learner.get_weights(), weights))

    if same(start):
        raise Wrong("the model's weights did not change.",
                    "compute grads = tape.gradient(loss, model.trainable_variables), then "
                    "optimizer.apply_gradients(zip(grads, model.trainable_variables)).")
    if same(summed.get_weights()):
        raise Wrong("the steps are as large as for the SUM of the per-sentence losses.",
                    "the model's outputs.loss (or the per-example loss) has one value per "
                    "sentence: take tf.reduce_mean of it, or use "
                    "SparseCategoricalCrossentropy(from_logits=True).")
    if not same(reference.get_weights()):
        raise Wrong("after two steps the weights differ from the reference steps.",
                    "inside tf.GradientTape(): logits = model(inputs, training=True).logits and "
                    "the mean sparse categorical cross-entropy from logits; then tape.gradient and "
                    "optimizer.apply_gradients.")
    if not all(math.isclose(a, b, abs_tol=1e-5) for a, b in zip(losses, ref_losses)):
        raise Wrong(f"the returned losses {np.round(losses, 4).tolist()} are not the batches' "
                    f"mean losses {np.round(ref_losses, 4).tolist()}.",
                    "return float(loss) of the step.")
    return ("forward under GradientTape, gradient, apply_gradients: the core of every TensorFlow "
            "loop.")


BATCH_SEED = 7  # the notebook's check; the grader's hidden tests use other seeds


@exercise("07.2", "one training step",
           section={"pt": "4. Your own training loop",
                    "tf": "4. Your own training loop with `GradientTape`"},
           more={"pt": ("The five steps in order: training mode, the forward pass with the "
                        "labels (the model returns `.loss`), backward, the optimizer step, and "
                        "zeroing the gradients; return the loss as a Python float."),
                 "tf": ("Run the model with `training=True` inside `with tf.GradientTape() as "
                        "tape:`, compute the loss there, then `tape.gradient(loss, "
                        "model.trainable_variables)` and `optimizer.apply_gradients(zip(...))`; "
                        "return `float(loss)`.")})
def _check_07_2(answer, framework="pt", seed: int = BATCH_SEED):
    if framework not in ("pt", "tf"):
        raise ValueError(f"framework must be 'pt' or 'tf', not {framework!r}")
    expect_function(answer, "define `def training_step(model, batch, optimizer): ...` and pass "
                            "the function itself: check('07.2', training_step, ...).")
    other = None if seed == BATCH_SEED else f"two other batches (seed {seed})"
    with other_input(other):
        return _check_pt(answer, seed) if framework == "pt" else _check_tf(answer, seed)


quiz("07.3", "two weighted means", correct="a",
     section={"pt": "3. A class-weighted loss: subclassing `Trainer`",
              "tf": "3. Class weights in `fit`"},
     more=("The lesson computed both weighted means by hand on four sentences: one divides by "
           "the sum of the weights, the other by the number of sentences."),
     explanations={
    "a": "Yes: PyTorch's weight= gives a weighted average (divided by 3.5); Keras's sample weights "
         "are summed and divided by the batch size, 4. They agree only when a batch's weights "
         "average 1.",
    "b": "No: that is Keras's rule only. PyTorch's weighted cross-entropy divides by the weights "
         "of the batch's labels, here 2 + 0.5 + 0.5 + 0.5 = 3.5.",
    "c": "No: 2.5 adds each class weight once, whatever the labels; the denominator depends on "
         "which labels the batch holds.",
    "d": "No: both frameworks return a mean-like number, so the loss does not grow with the batch "
         "size.",
})
