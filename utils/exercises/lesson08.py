"""Checks for lesson 08 (padding and speed), PyTorch and TensorFlow.

The expected values follow from the encoder's tokenizer and the polarity validation sentences;
the checks pad with ``tokenizer.pad`` (what ``DataCollatorWithPadding`` does), so they import
neither PyTorch nor TensorFlow themselves.
"""

from __future__ import annotations

import math

from utils.checks import Wrong, as_int, exercise, expect_type, for_framework, quiz

BATCH_SENTENCES = 8      # exercise 08.1: the first 8 validation sentences, one batch
BATCH_SIZE = 32          # exercise 08.2: batches of 32, in order
MAX_LENGTH = 64


def _tokenizer():
    from transformers import AutoTokenizer

    from utils.checkpoints import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint("encoder", verbose=False))


def _validation_lengths(max_length: int | None = MAX_LENGTH) -> list[int]:
    from utils.data import load_polarity

    sentences = list(load_polarity()["validation"]["sentence"])
    kwargs = dict(truncation=True, max_length=max_length) if max_length else {}
    return [len(ids) for ids in _tokenizer()(sentences, **kwargs)["input_ids"]]


def _as_number(value):
    """Python and NumPy numbers, and 0-d arrays or tensors, as plain Python numbers."""
    import numpy as np

    if isinstance(value, (np.integer, np.floating)):
        return value.item()
    if hasattr(value, "shape") and hasattr(value, "dtype") and not isinstance(value, (int, float)):
        array = np.asarray(value)
        if array.shape == ():
            return array.item()
    return value


def _positions(lengths: list[int], batch_size: int) -> int:
    return sum(len(lengths[i:i + batch_size]) * max(lengths[i:i + batch_size])
               for i in range(0, len(lengths), batch_size))


@exercise("08.1", "the padding fraction of a batch",
           section="3. Tokens processed and padding",
           more=("The `attention_mask` is 1 for a real token and 0 for padding: padding fraction "
                 "= 1 − (sum of the mask) / (number of positions in the mask)."))
def _check_08_1(answer, n: int = BATCH_SENTENCES):
    answer = _as_number(answer)
    expect_type(answer, (float, int), "the padding fraction")
    lengths = _validation_lengths(max_length=None)[:n]
    positions = n * max(lengths)
    expected = 1 - sum(lengths) / positions
    if math.isclose(answer, 1 - expected, abs_tol=1e-6):
        raise Wrong(f"{answer:.4f} is the share of real tokens.",
                    "the padding fraction is 1 − real tokens / positions; the attention mask "
                    "has 1 for real tokens and 0 for padding.")
    if math.isclose(answer, 100 * expected, abs_tol=1e-4):
        raise Wrong(f"{answer:.2f} is a percentage.", "give a fraction between 0 and 1.")
    if not 0 <= answer <= 1:
        raise Wrong(f"{answer!r} is not between 0 and 1.",
                    "padding positions / all positions of the batch.")
    static = 1 - sum(lengths) / (n * MAX_LENGTH)
    if math.isclose(answer, static, abs_tol=1e-6):
        raise Wrong(f"{answer:.4f} assumes every row is {MAX_LENGTH} wide.",
                    "the collator pads to the longest sentence of this batch: use "
                    "exercise_batch['attention_mask'] as it is.")
    if not math.isclose(answer, expected, abs_tol=1e-6):
        raise Wrong(f"{answer:.4f} is not the padding fraction of exercise_batch.",
                    for_framework({
                        "pt": "1 − attention_mask.sum() / attention_mask.numel().",
                        "tf": "1 − tf.reduce_sum(attention_mask) / tf.size(attention_mask)."}))
    return (f"{positions - sum(lengths)} of the {positions} positions ({n} × {max(lengths)}) are "
            "padding.")


@exercise("08.2", "tokens processed in an epoch",
           section="3. Tokens processed and padding",
           more=("A dynamically padded batch processes (rows × its longest row) positions; add "
                 "that up over the 13 batches of the validation set, in order."))
def _check_08_2(answer, batch_size: int = BATCH_SIZE):
    answer = as_int(answer, "the number of positions processed")
    lengths = _validation_lengths()
    expected = _positions(lengths, batch_size)
    real = sum(lengths)
    batches = math.ceil(len(lengths) / batch_size)
    if answer == real:
        raise Wrong(f"{answer:,} counts only the real tokens.",
                    "the model also computes on the padding: count "
                    + for_framework({"pt": "attention_mask.numel()",
                                     "tf": "tf.size(attention_mask)"})
                    + " for each batch.")
    if answer == len(lengths) * MAX_LENGTH or answer == batches * batch_size * MAX_LENGTH:
        raise Wrong(f"{answer:,} is what static padding to {MAX_LENGTH} would process.",
                    "with dynamic padding each batch is only as wide as its longest sentence.")
    untruncated = _positions(_validation_lengths(max_length=None), batch_size)
    if answer == untruncated and untruncated != expected:
        raise Wrong(f"{answer:,}: the sentences were not truncated to {MAX_LENGTH} tokens.",
                    f"tokenize with truncation=True, max_length={MAX_LENGTH}.")
    if answer == batches * batch_size * max(lengths):
        raise Wrong(f"{answer:,} pads every batch to the longest sentence of the whole split.",
                    "dynamic padding pads each batch to the longest sentence of that batch.")
    if answer != expected:
        raise Wrong(f"{answer:,} is not the number of positions processed.",
                    for_framework({"pt": "go through the batches in order (no sampler) and add up "
                                         "batch['attention_mask'].numel().",
                                   "tf": "go through the batches in order (no shuffle) and add up "
                                         "tf.size(features['attention_mask'])."}))
    return (f"{expected:,} positions for {real:,} real tokens: "
            f"{1 - real / expected:.1%} padding, in {batches} batches.")


quiz("08.3", "why grouping is faster", correct="b",
     section="5. Timing a short training epoch",
     more=("Compare the tokens processed per strategy in section 3 with the times in section 5; "
           "then ask what grouping does to the order of the batches."),
     explanations={
    "a": "No: it shuffles first and sorts only within megabatches (TensorFlow: shuffle, then "
         "buckets), so the batches change every epoch and some padding remains (section 3).",
    "b": "Yes: similar lengths in a batch mean little padding, so fewer positions to compute; "
         "batches are less random (short ones, then long ones), which shuffling before "
         "grouping softens.",
    "c": "No: the mask stops real tokens from attending to padding, but every padded position is "
         "still computed: section 4 gives the same logits, section 5's times follow the positions.",
    "d": "No: batches still run one after the other; they are just narrower.",
})
