"""Checks for lesson 05 (configs)."""

import math

from utils.checks import Wrong, as_int, exercise, expect_close, expect_type, quiz

EXERCISE_CONFIG = dict(vocab_size=8000, hidden_size=64, num_hidden_layers=3, num_attention_heads=4,
                       intermediate_size=256, max_position_embeddings=64)
LABELS = ["NEGATIVE", "NEUTRAL", "POSITIVE"]
ARCHITECTURE_FIELDS = ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                       "intermediate_size", "max_position_embeddings", "type_vocab_size",
                       "hidden_act", "layer_norm_eps", "position_embedding_type"]


@exercise("05.1", "count the parameters of a small BERT",
           section="Counting parameters by hand",
           more=("`BertModel(config)` builds a model with random weights from the config; count "
                 "its parameters as in lesson 03, or use the lesson's `bert_parameters` formula."))
def _check_05_1(answer, config_kwargs=None):
    from transformers import BertConfig, BertModel

    answer = as_int(answer, "the number of parameters")
    config = BertConfig(**(config_kwargs or EXERCISE_CONFIG))
    expected = sum(p.numel() for p in BertModel(config).parameters())
    H, V = config.hidden_size, config.vocab_size
    if answer == 0:
        raise Wrong("0 parameters: a TensorFlow model has no weights before it is built.",
                    "build the PyTorch BertModel(exercise_config) and sum p.numel() over its "
                    "parameters(), or call the TF model once before count_params().")
    if answer == expected - (H * H + H):
        raise Wrong(f"{answer:,} is {H * H + H:,} short: the pooler is missing.",
                    "BertModel has a pooler (one H×H layer with bias) unless you pass "
                    "add_pooling_layer=False; count it too.")
    default_vocab = BertConfig().vocab_size
    if answer == expected + (default_vocab - V) * H:
        raise Wrong(f"{answer:,} counts a {default_vocab:,}-token vocabulary.",
                    f"use exercise_config as given: vocab_size={V}.")
    if answer == V * H:
        raise Wrong(f"{answer:,} is only the word-embedding table.",
                    "count all parameters: sum(p.numel() for p in model.parameters()).")
    if answer != expected:
        raise Wrong(f"{answer:,} is not the number of parameters of BertModel(exercise_config).",
                    "sum(p.numel() for p in BertModel(exercise_config).parameters()), or the "
                    "formula bert_parameters(exercise_config).")
    share = V * H / expected
    return f"{expected:,} parameters, {share:.0%} of them in the word embeddings."


@exercise("05.2", "a config with three labels",
           section="4. Two ways to set fields",
           more=("Give `AutoConfig.from_pretrained(encoder, ...)` both `id2label={0: ..., 1: "
                 "..., 2: ...}` (int keys) and `label2id` (the reverse); `num_labels` then "
                 "follows."))
def _check_05_2(answer, labels=tuple(LABELS)):
    from transformers import AutoConfig, PretrainedConfig

    from utils.checkpoints import checkpoint

    if hasattr(answer, "config") and isinstance(answer.config, PretrainedConfig):
        raise Wrong(f"got a model ({type(answer).__name__}), not a config.",
                    "load the config itself with AutoConfig.from_pretrained(...).")
    expect_type(answer, PretrainedConfig, "the config")
    id2label = dict(enumerate(labels))
    label2id = {name: i for i, name in id2label.items()}
    if any(isinstance(key, str) for key in answer.id2label):
        raise Wrong(f"id2label has string keys: {answer.id2label}.",
                    "the keys of id2label are the integer ids 0, 1, 2.")
    if answer.num_labels != len(labels):
        raise Wrong(f"the config has {answer.num_labels} labels, not {len(labels)}.",
                    "pass id2label with the three names (num_labels follows from it).")
    if answer.id2label != id2label:
        raise Wrong(f"id2label is {answer.id2label}.", f"it should map 0, 1, 2 to {list(labels)}.")
    if answer.label2id != label2id:
        raise Wrong(f"label2id is {answer.label2id}, which does not match id2label.",
                    "label2id is a separate field: pass label2id={name: id} as well.")
    reference = AutoConfig.from_pretrained(checkpoint("encoder", verbose=False))
    changed = [field for field in ARCHITECTURE_FIELDS
               if getattr(answer, field, None) != getattr(reference, field)]
    if changed:
        raise Wrong(f"these architecture fields differ from the encoder's: {', '.join(changed)}.",
                    "start from AutoConfig.from_pretrained(encoder) and change only the labels.")
    return "a classifier loaded with this config gets a 3-output head, named in predictions."


@exercise("05.3", "the expected loss of an untrained classifier",
           section="A sanity check without training: the loss of an untrained classifier",
           more=("An untrained classifier gives every label about the same probability, 1/7 "
                 "here; the cross-entropy is minus the log of the right label's probability."))
def _check_05_3(answer, num_labels: int = 7):
    expect_type(answer, float, "the expected loss")
    expected = math.log(num_labels)
    mistakes = {
        1 / num_labels: ("that is the probability of the right label, not the loss.",
                         "cross-entropy is −ln(probability of the right label)."),
        -expected: ("the sign is wrong: a loss is never negative here.",
                    "cross-entropy is −ln(p), and ln(1/n) is negative."),
        math.log10(num_labels): ("that is a base-10 logarithm.",
                                 "cross-entropy uses the natural logarithm: math.log."),
        math.log2(num_labels): ("that is a base-2 logarithm (bits).",
                                "cross-entropy in PyTorch and TensorFlow uses the natural "
                                "logarithm: math.log."),
        math.log(2): ("that is the value for 2 labels.",
                      f"this classifier has {num_labels} labels."),
    }
    for value, (problem, hint) in mistakes.items():
        if math.isclose(answer, value, abs_tol=1e-3):
            raise Wrong(f"{answer:.4f}: {problem}", hint)
    expect_close(answer, expected, "your expected loss", tol=0.02,
                 hint="with near-zero logits every label gets probability 1/n; the loss is "
                      "−ln of that.")
    return f"ln {num_labels} = {expected:.3f}; a first loss far from it means a bug."


quiz("05.4", "the silent change", correct="b",
     section="Silent: a shape stays, the meaning changes",
     more=("Ask of each option: does it change a weight's shape (loading fails), only training "
           "(no effect in evaluation), or how the same weights are used?"),
     explanations={
    "a": "No: hidden_size changes the shape of almost every weight, so loading fails with size "
         "mismatches.",
    "b": "Yes: 6 heads of 64 dimensions use the same weight shapes as 12 heads of 32, so the "
         "weights load silently, but every attention pattern is computed differently.",
    "c": "No: dropout only acts in training; in evaluation mode the outputs are unchanged.",
    "d": "No: the position-embedding table changes shape (1024 rows instead of 512), so loading "
         "fails with a size mismatch.",
})
