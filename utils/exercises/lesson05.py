"""Checks for lesson 05 (configs)."""

import math

from utils.checks import Wrong, exercise, expect_close, expect_type, quiz

LABELS = ["NEGATIVE", "NEUTRAL", "POSITIVE"]
ARCHITECTURE_FIELDS = ["vocab_size", "hidden_size", "num_hidden_layers", "num_attention_heads",
                       "intermediate_size", "max_position_embeddings", "type_vocab_size",
                       "hidden_act", "layer_norm_eps", "position_embedding_type"]


def _korean_vocabulary_size() -> int:
    from transformers import AutoTokenizer

    from utils.checkpoints import checkpoint

    return len(AutoTokenizer.from_pretrained(checkpoint("korean-tokenizer", verbose=False)))


def _bert_parameters(config) -> int:
    from transformers import BertModel

    return sum(p.numel() for p in BertModel(config).parameters())


@exercise("05.1", "a Korean model of the encoder's shape",
           section="3. Fields that may change",
           more=("Load the encoder's config with `AutoConfig.from_pretrained(encoder, ...)` and "
                 "override only `vocab_size`, with the number of tokens of the Korean tokenizer "
                 "(`len(korean_tokenizer)`); every other architecture field stays the encoder's."))
def _check_05_1(answer):
    from transformers import AutoConfig, PretrainedConfig

    from utils.checkpoints import checkpoint

    if hasattr(answer, "config") and hasattr(answer, "num_parameters"):
        raise Wrong(f"expected the config, got a model ({type(answer).__name__}).",
                    "store the config itself: korean_config = AutoConfig.from_pretrained(...).")
    if not isinstance(answer, PretrainedConfig):
        raise Wrong(f"expected a config, got {type(answer).__name__} ({answer!r:.60}).",
                    "build it with AutoConfig.from_pretrained(encoder, vocab_size=...).")
    encoder = AutoConfig.from_pretrained(checkpoint("encoder", verbose=False))
    korean = _korean_vocabulary_size()
    if answer.vocab_size == encoder.vocab_size:
        raise Wrong(f"vocab_size {answer.vocab_size:,} is the English vocabulary's size.",
                    f"the Korean tokenizer has {korean:,} tokens: len(korean_tokenizer).")
    if answer.vocab_size != korean:
        raise Wrong(f"vocab_size {answer.vocab_size:,}, but the Korean tokenizer has {korean:,} "
                    "tokens.", "use len(korean_tokenizer): one embedding row per token.")
    for field in ARCHITECTURE_FIELDS:
        if field == "vocab_size":
            continue
        mine, theirs = getattr(answer, field, None), getattr(encoder, field, None)
        if mine != theirs:
            default = getattr(type(answer)(), field, None)
            where = (f", {type(answer).__name__}'s default" if mine == default else "")
            raise Wrong(f"{field} is {mine!r}{where}; the encoder's is {theirs!r}.",
                        "start from the encoder's config, AutoConfig.from_pretrained(encoder, "
                        "vocab_size=...), so that only the vocabulary changes.")
    mine, theirs = _bert_parameters(answer), _bert_parameters(encoder)
    hidden = encoder.hidden_size
    return (f"{mine:,} parameters instead of the encoder's {theirs:,} ({1 - mine / theirs:.0%} "
            f"fewer): the word embeddings shrink from {encoder.vocab_size * hidden:,} to "
            f"{korean * hidden:,} numbers, the layers stay the same. Its weights would have to be "
            f"trained from scratch: no pretrained weights fit a {korean:,}-row table (section 2).")


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
