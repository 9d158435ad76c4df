"""Checks for lesson 03 (models), shared by 03_models_pt and 03_models_tf.

Expected values are computed from the course checkpoints with the notebook's framework (see
``utils.exercises.lesson02``): the PyTorch notebook never imports TensorFlow. Answers may be
Python values, NumPy values, or PyTorch / TensorFlow tensors and shapes.
"""

from __future__ import annotations

import numpy as np

from utils.checks import Wrong, as_int, as_shape, exercise, quiz
from utils.exercises.lesson02 import framework, load, run, softmax, to_numpy

THREE = ("Good morning!", "Where is the nearest subway station?", "Thanks a lot.")
PAIR = ("What a wonderful, warm and clever film.", "Boring.")


def _parameter_counts(model) -> tuple[int, int]:
    """(number of parameters, number of weight tensors) of a PyTorch or TensorFlow model."""
    if framework() == "pt":
        tensors = list(model.parameters())
        return sum(t.numel() for t in tensors), len(tensors)
    return int(model.count_params()), len(model.weights)


@exercise("03.1", "count the parameters of the base model",
           section="2. What is inside a model",
           more={"pt": ("`model.parameters()` yields every weight tensor; each tensor's "
                        "`numel()` is its number of values. Add them up for `model`, the base "
                        "model."),
                 "tf": ("`model.count_params()` counts every value of every weight of a built "
                        "model; call it on `model`, the base model.")})
def _check_03_1(answer):
    answer = as_int(answer, "the number of parameters")
    _, model = load("encoder", "base")
    total, tensors = _parameter_counts(model)
    _, classifier = load("sentiment")
    with_head, _ = _parameter_counts(classifier)
    embeddings = (model.embeddings if framework() == "pt" else model.bert.embeddings)
    embedding_count = (sum(t.numel() for t in embeddings.parameters()) if framework() == "pt"
                       else int(embeddings.count_params()))
    if answer == tensors:
        raise Wrong(f"{answer} is the number of weight *tensors*, not of parameters.",
                    "each tensor holds many numbers: add up `p.numel()` over "
                    "`model.parameters()` (PyTorch) or use `model.count_params()` (TensorFlow).")
    if answer == with_head:
        raise Wrong(f"{answer:,} counts the sentiment model, with its classification head.",
                    "count the encoder's base model, `model`, loaded with AutoModel / TFAutoModel.")
    if answer == total - embedding_count:
        raise Wrong(f"{answer:,} leaves out the embeddings.",
                    "count every parameter of the model: embeddings, encoder and pooler.")
    if answer != total:
        raise Wrong(f"{answer:,} is not the number of parameters of the base model.",
                    "add up the number of elements of every weight tensor of `model`.")
    return (f"{total:,} parameters, {embedding_count:,} of them in the embeddings: "
            f"{total * 4 / 1e6:.0f} MB as 32-bit floats.")


@exercise("03.2", "the shape of the pooler output",
           section="3. The base model's outputs",
           more=("Tokenize the three sentences in one call with `padding=True`, run the base "
                 "model, and take `tuple(...)` of the output's `pooler_output.shape`: (batch, "
                 "hidden size)."))
def _check_03_2(answer, sentences=THREE):
    shape = as_shape(answer, "tuple(outputs.pooler_output.shape)")
    _, model = load("encoder", "base")
    hidden = model.config.hidden_size
    expected = (len(sentences), hidden)
    if len(shape) == 3:
        raise Wrong(f"{shape} has three axes, like `last_hidden_state` (batch, tokens, hidden).",
                    "`pooler_output` has one vector per sentence: (batch, hidden).")
    if len(shape) == 1:
        raise Wrong(f"{shape} has one axis; the batch axis is missing.",
                    "the pooler output has one row per sentence of the batch.")
    if shape != expected and shape[-1] == hidden:
        raise Wrong(f"{shape} has the right hidden size but not one row per sentence.",
                    f"run the model on all {len(sentences)} sentences as one batch.")
    if shape != expected:
        raise Wrong(f"{shape} is not the shape of this model's pooler output.",
                    "run the encoder's base model on the batch and look at "
                    "`outputs.pooler_output.shape`; its last axis is `model.config.hidden_size`.")
    return f"one {hidden}-number vector per sentence; {hidden} is model.config.hidden_size."


@exercise("03.3", "the attention mask from the ids",
           section="Padding and the attention mask",
           more=("The mask is 1 where the id is not `tokenizer.pad_token_id` and 0 where it is: "
                 "compare `padded_ids` with the pad id, turn the booleans into integers, and pass "
                 "the result as `attention_mask=` next to `input_ids=`."))
def _check_03_3(answer, sentences=PAIR):
    if hasattr(answer, "logits"):
        raise Wrong("that is the model's whole output object, not its logits.",
                    "take the `.logits` attribute of the output.")
    if isinstance(answer, (str, bytes, dict, bool)) or answer is None:
        raise Wrong(f"expected the logits as a tensor or array, got {type(answer).__name__} "
                    f"({answer!r:.60}).",
                    "store `model(**batch).logits` (PyTorch or TensorFlow tensor, or NumPy).")
    try:
        logits = to_numpy(answer)
    except (TypeError, ValueError):
        logits = np.asarray([])
    if logits.dtype.kind not in "fiu":
        raise Wrong(f"expected the logits as a tensor or array of numbers, got "
                    f"{type(answer).__name__} ({answer!r:.60}).",
                    "store `model(**batch).logits`.")
    expected = np.concatenate([run("sentiment", [s]) for s in sentences])
    if logits.shape != expected.shape:
        raise Wrong(f"the logits have shape {logits.shape}, not {expected.shape} "
                    "(one row per sentence, one column per label).",
                    "run the sentiment model once on the whole batch: input_ids=padded_ids "
                    "and its attention mask.")
    if np.abs(logits - expected).max() <= 1e-3:
        return ("each row equals the logits of its sentence alone, because the attention mask "
                "hides the padding.")
    if np.abs(logits - softmax(expected)).max() <= 1e-3:
        raise Wrong("these are probabilities (each row adds up to 1), not logits.",
                    "store the model's `.logits`, before softmax.")
    if np.abs(logits - run("sentiment", sentences, mask=False)).max() <= 1e-3:
        raise Wrong("these are the logits of the padded batch WITHOUT the attention mask: the "
                    "short sentence's row differs from the sentence alone.",
                    "build the mask from the ids (1 for a real token, 0 for "
                    "tokenizer.pad_token_id) and pass it as attention_mask=.")
    raise Wrong("the logits do not match the sentences run alone.",
                "call the sentiment model with input_ids=padded_ids and the attention mask you "
                "built from them (1 for a real token, 0 for padding).")


quiz("03.4", "newly initialized weights", correct="c",
     section="4. Task heads",
     more=("The warning lists only `classifier.bias` and `classifier.weight`: ask which part of "
           "the model those are, and where the rest came from."),
     explanations={
    "a": "No: only the weights the message lists (the head) are new; the encoder's trained "
         "weights were loaded.",
    "b": "No: the model runs at once and returns logits of shape (batch, tokens, 5), as section 4 "
         "shows; they only mean nothing until the new head is trained.",
    "c": "Yes: the checkpoint has no token-classification head, so that layer starts random. "
         "Fine-tune the model before you trust its predictions.",
    "d": "No: the other way round. The listed weights (the head) are the new, random ones; "
         "everything else, the whole encoder, was loaded from the checkpoint.",
})
