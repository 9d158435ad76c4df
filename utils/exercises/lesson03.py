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


# Configs the check calls the learner's function on: the numbers of
# bert-base-multilingual-cased (its vocabulary covers Korean) in the notebook's check, and a small
# model whose feed-forward size is not 4 × hidden, with one segment type, in the grader's.
MULTILINGUAL = dict(vocab_size=119_547, hidden_size=768, num_hidden_layers=12,
                    num_attention_heads=12, intermediate_size=3072, max_position_embeddings=512,
                    type_vocab_size=2)
OTHER_CONFIG = dict(vocab_size=4000, hidden_size=256, num_hidden_layers=3, num_attention_heads=4,
                    intermediate_size=640, max_position_embeddings=256, type_vocab_size=1)

# What a count without one part of the model leaves out, as the check names it.
OMISSIONS = {
    "biases": ("leaves out the biases",
               "every Linear / Dense layer has a bias of out_features numbers next to its "
               "in_features × out_features weight."),
    "layernorms": ("leaves out the LayerNorms",
                   "each LayerNorm has a scale and a shift of hidden_size numbers: one after the "
                   "embeddings, two in every layer."),
    "positions": ("leaves out the position embeddings",
                  "the embeddings are three tables: vocab_size, max_position_embeddings and "
                  "type_vocab_size rows of hidden_size numbers."),
    "segments": ("leaves out the segment (token type) embeddings",
                 "the embeddings are three tables: vocab_size, max_position_embeddings and "
                 "type_vocab_size rows of hidden_size numbers."),
    "pooler": ("leaves out the pooler",
               "the pooler is one more hidden_size × hidden_size dense layer (with its bias)."),
    "attention_output": ("counts three attention matrices per layer instead of four",
                         "query, key and value, and then the attention's output dense layer."),
    "one_layer": ("counts one layer only",
                  "the encoder has config.num_hidden_layers identical layers."),
    "four_hidden": ("assumes the feed-forward size is 4 × hidden_size",
                    "take config.intermediate_size: it is 4 × hidden_size in many models, not in "
                    "all."),
}


def bert_parameters(config, leave_out: str | None = None) -> dict[str, int]:
    """Parameters of a BertModel (with its pooler) built from ``config``, by part, from the
    config's numbers alone; ``leave_out`` (a key of OMISSIONS) counts the way that mistake does.
    tests/test_lesson02_03_checks.py compares it with models built from configs."""
    h, layers = config.hidden_size, config.num_hidden_layers
    inner = 4 * h if leave_out == "four_hidden" else config.intermediate_size
    bias = 0 if leave_out == "biases" else 1
    norm = 0 if leave_out == "layernorms" else 2 * h
    rows = (config.vocab_size + (0 if leave_out == "positions" else config.max_position_embeddings)
            + (0 if leave_out == "segments" else config.type_vocab_size))
    attention = (3 if leave_out == "attention_output" else 4) * (h * h + bias * h) + norm
    feed_forward = (h * inner + bias * inner) + (inner * h + bias * h) + norm
    return {"embeddings": rows * h + norm,
            "layers": (1 if leave_out == "one_layer" else layers) * (attention + feed_forward),
            "pooler": 0 if leave_out == "pooler" else h * h + bias * h}


def _config(numbers):
    from transformers import BertConfig

    return BertConfig(**numbers)


@exercise("03.1", "the number of parameters from the config",
           section="2. What is inside a model",
           more=("Add up, part by part: the three embedding tables and their LayerNorm; in each of "
                 "`num_hidden_layers` layers, four hidden × hidden matrices with biases "
                 "(query, key, value, attention output), a LayerNorm, the hidden → "
                 "intermediate and intermediate → hidden dense layers with biases, and another "
                 "LayerNorm; the pooler's hidden × hidden dense layer and its bias."))
def _check_03_1(answer, config=None):
    from utils.checks import call_answer, expect_function, other_input

    expect_function(answer, "define `def count_parameters(config): ...` that returns an int, "
                            "and pass the function itself (no parentheses).")
    hint = ("use only the config's numbers (config.hidden_size, config.vocab_size, ...) and "
            "return an int.")
    if config is not None:  # the grader's hidden test: another config
        configs = [(_config(config) if isinstance(config, dict) else config,
                    f"another config ({config['num_hidden_layers']} layers of "
                    f"{config['hidden_size']}, feed-forward {config['intermediate_size']}, "
                    f"{config['type_vocab_size']} segment type)" if isinstance(config, dict)
                    else "another config")]
    else:
        from transformers import AutoConfig

        from utils import checkpoint

        _, model = load("encoder", "base")
        encoder = AutoConfig.from_pretrained(checkpoint("encoder", verbose=False))
        configs = [(encoder, None), (_config(MULTILINGUAL),
                                     "bert-base-multilingual-cased's numbers (vocab 119,547, "
                                     "hidden 768, 12 layers)")]
    counts = []
    for cfg, described in configs:
        with other_input(described):
            got = as_int(call_answer(answer, (cfg,), "count_parameters(config)", hint),
                         "the number of parameters")
            parts = bert_parameters(cfg)
            expected = sum(parts.values())
            if got != expected:
                for name, (problem, fix) in OMISSIONS.items():
                    if got == sum(bert_parameters(cfg, leave_out=name).values()):
                        raise Wrong(f"{got:,} {problem}.", fix)
                if got == sum(bert_parameters(cfg).values()) - parts["embeddings"]:
                    raise Wrong(f"{got:,} leaves out the embeddings.",
                                "count the three embedding tables and their LayerNorm too.")
                raise Wrong(f"{got:,} is not the number of parameters of a BertModel built from "
                            f"this config ({expected:,}).",
                            "add up every weight matrix, bias and LayerNorm of the embeddings, of "
                            "each layer and of the pooler.")
        counts.append((got, parts))
    if config is not None:
        return f"{counts[0][0]:,} parameters."
    (total, parts), (multilingual, mparts) = counts
    built, _ = _parameter_counts(model)
    if built != total:  # the reference formula and the model must agree
        raise RuntimeError(f"the encoder has {built:,} parameters, the formula gives {total:,}")
    words = MULTILINGUAL["vocab_size"] * MULTILINGUAL["hidden_size"]
    return (f"{total:,} parameters, as many as the model of section 2 holds: embeddings "
            f"{parts['embeddings']:,}, {encoder.num_hidden_layers} layers "
            f"{parts['layers']:,}, pooler {parts['pooler']:,}. With "
            f"bert-base-multilingual-cased's numbers (vocab 119,547, Korean included; hidden 768, "
            f"12 layers) it gives {multilingual:,}, {words / multilingual:.0%} of them in the "
            f"word embeddings alone.")


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
