"""Checks for lesson 03 (models), shared by 03_models_pt and 03_models_tf.

Expected values are computed from the course checkpoints with the notebook's framework (see
``utils.exercises.lesson02``): the PyTorch notebook never imports TensorFlow. Answers may be
Python values, NumPy values, or PyTorch / TensorFlow tensors and shapes.
"""

from __future__ import annotations

import contextlib

import numpy as np

from utils.checks import Wrong, as_int, call_answer, exercise, expect_function, other_input, quiz
from utils.exercises.lesson02 import framework, load, run, softmax, to_numpy

THREE = ("Good morning!", "Where is the nearest subway station?", "Thanks a lot.")
# The grader's batch for 03.2: other lengths, one Korean sentence.
OTHER_SENTENCES = ("서울은 한국의 수도입니다.", "Yes.",
                   "The film was long, slow and far too loud for me.",
                   "Thank you so much for the lovely dinner last night!")
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
                if got == expected - parts["embeddings"]:
                    raise Wrong(f"{got:,} leaves out the embeddings.",
                                "count the three embedding tables and their LayerNorm too.")
                raise Wrong(f"{got:,} is not the number of parameters of a BertModel built from "
                            f"this config ({expected:,}).",
                            "add up every weight matrix, bias and LayerNorm of the embeddings, of "
                            "each layer and of the pooler.")
        counts.append((got, parts))
    if config is not None:
        return f"{counts[0][0]:,} parameters."
    (total, parts), (multilingual, _) = counts
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


def _pooler_weights(model) -> tuple[np.ndarray, np.ndarray]:
    """The pooler's dense layer as (in, out) matrix and bias, in either framework."""
    if framework() == "pt":
        dense = model.pooler.dense
        return dense.weight.detach().numpy().T, dense.bias.detach().numpy()
    dense = model.bert.pooler.dense
    return dense.kernel.numpy(), dense.bias.numpy()


@exercise("03.2", "the pooler by hand",
           section="3. The base model's outputs",
           more={"pt": ("The pooler reads one vector per sentence, the first token's, then applies "
                        "its dense layer (`model.pooler.dense`) and a tanh. A Linear layer stores "
                        "its weight as (out, in) and computes x @ weight.T + bias."),
                 "tf": ("The pooler reads one vector per sentence, the first token's, then applies "
                        "its dense layer (`model.bert.pooler.dense`) and a tanh. A Dense layer "
                        "stores its kernel as (in, out) and computes x @ kernel + bias.")})
def _check_03_2(answer, sentences=THREE):
    expect_function(answer, "define `def pool(last_hidden_state): ...` that returns the pooled "
                            "vectors, and pass the function itself (no parentheses).")
    tokenizer, model = load("encoder", "base")
    fw = framework()
    inputs = tokenizer(list(sentences), padding=True, return_tensors=fw)
    other = None if tuple(sentences) == THREE else (
        f"other sentences ({len(sentences)}, padded to {inputs['input_ids'].shape[1]} tokens)")
    if fw == "pt":
        import torch

        no_grad = torch.no_grad()
    else:
        no_grad = contextlib.nullcontext()  # TensorFlow records no gradients outside a tape
    with no_grad, other_input(other):
        outputs = model(**inputs)
        result = call_answer(answer, (outputs.last_hidden_state,), "pool(last_hidden_state)",
                             "index the tensor you are given; use the pooler's weights from "
                             "`model`.")
        if isinstance(result, (str, bytes, dict, bool)) or result is None:
            raise Wrong(f"pool returned {type(result).__name__}, not a tensor.",
                        "return the (batch, hidden) tensor of pooled vectors.")
        got = to_numpy(result)
        if got.dtype.kind not in "fiu":
            raise Wrong(f"pool returned {type(result).__name__}, not a tensor of numbers.",
                        "return the (batch, hidden) tensor of pooled vectors.")
        hidden = to_numpy(outputs.last_hidden_state)
        expected = to_numpy(outputs.pooler_output)
        if got.shape != expected.shape:
            raise Wrong(f"pool returned shape {got.shape}, not {expected.shape} "
                        "(one vector per sentence).",
                        "start from the first token of every sentence: last_hidden_state[:, 0].")
        largest = float(np.abs(got - expected).max())
        if largest <= 1e-4:
            within = "below 1e-6" if largest < 1e-6 else f"{largest:.0e}"
            return (f"the same {expected.shape[0]} × {expected.shape[1]} numbers as "
                    f"pooler_output (largest difference {within}): the pooler is one dense layer "
                    "and a tanh on the [CLS] vector.")
        weight, bias = _pooler_weights(model)
        # A symmetric weight would make the transposed candidate the right answer, returned above.
        mistakes = [
            (hidden[:, 0] @ weight + bias, "the tanh is missing.",
             "apply tanh to the dense layer's output."),
            (np.tanh(hidden[:, 0] @ weight.T + bias), "the weight matrix is transposed.",
             "a PyTorch Linear computes x @ weight.T + bias (weight is (out, in)); a Keras Dense "
             "computes x @ kernel + bias (kernel is (in, out))."),
            (np.tanh(hidden.mean(axis=1) @ weight + bias), "that pools the mean of all tokens.",
             "the pooler reads only the first token, [CLS]: last_hidden_state[:, 0]."),
            (np.tanh(hidden[:, -1] @ weight + bias), "that pools the last token.",
             "the pooler reads the first token, [CLS]: last_hidden_state[:, 0]."),
            (hidden[:, 0], "that is the [CLS] vector before the pooler's dense layer and tanh.",
             "multiply by the pooler's weight, add its bias, apply tanh."),
        ]
        for candidate, problem, fix in mistakes:
            if np.abs(got - candidate).max() <= 1e-4:
                raise Wrong(problem, fix)
        raise Wrong(f"the pooled vectors differ from pooler_output by up to {largest:.3g}.",
                    "tanh(first token's vector @ the pooler's dense weight + its bias).")


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
