"""Checks for lesson 08 (padding and speed), PyTorch and TensorFlow.

The expected values follow from the encoder's tokenizer and the polarity validation sentences;
the checks pad with ``tokenizer.pad`` (what ``DataCollatorWithPadding`` does), so they import
neither PyTorch nor TensorFlow themselves.
"""

from __future__ import annotations

import math

import numpy as np

from utils.checks import (
    Wrong,
    as_int,
    call_answer,
    exercise,
    expect_function,
    for_framework,
    other_input,
    quiz,
    type_name,
)

BATCH_SIZE = 32          # exercise 08.2: batches of 32, in order
MAX_LENGTH = 64


def _tokenizer():
    from transformers import AutoTokenizer

    from utils.checkpoints import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint("encoder", verbose=False))


def _split_lengths(split: str, max_length: int | None = MAX_LENGTH) -> list[int]:
    """Token counts of a polarity split's sentences, truncated to ``max_length`` unless None."""
    from utils.data import load_polarity

    sentences = list(load_polarity()[split]["sentence"])
    kwargs = dict(truncation=True, max_length=max_length) if max_length else {}
    return [len(ids) for ids in _tokenizer()(sentences, **kwargs)["input_ids"]]


def _positions(lengths: list[int], batch_size: int) -> int:
    return sum(len(lengths[i:i + batch_size]) * max(lengths[i:i + batch_size])
               for i in range(0, len(lengths), batch_size))


# Exercise 08.1: (batch size, batches per megabatch, seed) of the check's calls. The first is
# the notebook's; the second leaves a last, smaller batch and megabatch; the third changes the seed.
GROUPING_CALLS = ((32, 25, 42), (30, 8, 42), (32, 25, 7))
# The grader's calls, on the Korean lines' lengths.
OTHER_GROUPING_CALLS = ((16, 10, 0), (24, 6, 0), (16, 10, 1))


def _korean_lengths() -> list[int]:
    """The grader's lengths: the course's Korean lines with the Korean tokenizer (a long tail)."""
    from transformers import AutoTokenizer

    from utils.checkpoints import checkpoint
    from utils.data import korean_lines

    tokenizer = AutoTokenizer.from_pretrained(checkpoint("korean-tokenizer", verbose=False))
    return [len(ids) for ids in tokenizer(korean_lines(), verbose=False)["input_ids"]]


def _batches(got, call: str) -> list[list[int]]:
    """The learner's batches as lists of Python ints, or a Wrong that says what they are."""
    if isinstance(got, (str, bytes)) or not hasattr(got, "__iter__"):
        raise Wrong(f"{call} returned {type_name(got)}, not a list of batches.",
                    "return a list with one list of indices per batch.")
    batches = []
    for batch in got:
        if isinstance(batch, (int, np.integer)):
            raise Wrong(f"{call} returned one flat list of indices, not a list of batches.",
                        "cut each sorted megabatch into lists of batch_size indices.")
        if isinstance(batch, (str, bytes)) or not hasattr(batch, "__iter__"):
            raise Wrong(f"{call} returned batches of {type_name(batch)}, not lists of indices.",
                        "each batch is a list of indices (ints).")
        items = list(batch)
        bad = [i for i in items if isinstance(i, bool) or not isinstance(i, (int, np.integer))]
        if bad:
            raise Wrong(f"{call} returned a batch holding {type_name(bad[0])} ({bad[0]!r:.40}), "
                        "not int indices.", "keep the indices, as int(...), in each batch.")
        batches.append([int(i) for i in items])
    return batches


def _check_grouping(batches, lengths, batch_size, per_mega, call) -> None:
    n = len(lengths)
    flat = [i for batch in batches for i in batch]
    if sorted(flat) != list(range(n)):
        if sorted(flat) == sorted(lengths):
            raise Wrong(f"{call} returned lengths, not indices.",
                        "sort the indices by their length (key=lambda i: lengths[i]) and keep "
                        "the indices.")
        missing = n - len(set(flat) & set(range(n)))
        repeated = len(flat) - len(set(flat))
        raise Wrong(f"{call} does not hold every index from 0 to {n - 1} exactly once "
                    f"({missing} missing, {repeated} repeated, {len(flat)} in all).",
                    "shuffle a permutation of range(len(lengths)) and keep every index; the "
                    "last batch and the last megabatch may be smaller.")
    mega_size = batch_size * per_mega
    expected_sizes = []
    for start in range(0, n, mega_size):
        size = min(mega_size, n - start)
        expected_sizes += [min(batch_size, size - k) for k in range(0, size, batch_size)]
    sizes = [len(batch) for batch in batches]
    if sizes != expected_sizes:
        raise Wrong(f"{call} made {len(sizes)} batches of sizes {sorted(set(sizes))}; "
                    f"megabatches of {per_mega} × {batch_size} indices, cut into batches of "
                    f"{batch_size}, give {len(expected_sizes)}.",
                    "cut each megabatch (batches_per_megabatch × batch_size indices) into "
                    "batches of batch_size; only a megabatch's last batch may be smaller.")
    values = [lengths[i] for i in flat]
    if n > mega_size and all(x >= y for x, y in zip(values, values[1:])):
        raise Wrong(f"{call} sorts all {n:,} sentences as one group: every epoch then gets the "
                    "same batches in the same order, longest first.",
                    "sort within each megabatch of batches_per_megabatch × batch_size shuffled "
                    "indices, not the whole data set.")
    for start in range(0, n, mega_size):
        mega = values[start:start + mega_size]
        if all(x >= y for x, y in zip(mega, mega[1:])):
            continue
        if all(x <= y for x, y in zip(mega, mega[1:])):
            raise Wrong(f"{call} sorts each megabatch shortest first.",
                        "sort longest first (reverse=True), as LengthGroupedSampler does.")
        raise Wrong(f"{call}: the megabatch that starts at position {start} is not sorted by "
                    "length, longest first.",
                    "sort each megabatch's indices by lengths[i], longest first, and leave "
                    "out LengthGroupedSampler's swap of the longest sentence.")


@exercise("08.1", "length-grouped batches by hand",
           section="2. Three ways to build batches",
           more=("`order = np.random.default_rng(seed).permutation(len(lengths))`; for each "
                 "megabatch `order[start:start + batch_size * batches_per_megabatch]`, "
                 "`sorted(mega, key=lambda i: lengths[i], reverse=True)`, then cut it into "
                 "lists of batch_size."))
def _check_08_1(answer, lengths: str = "train"):
    expect_function(answer, "define `def grouped_batches(lengths, batch_size, "
                            "batches_per_megabatch, seed): ...` that returns a list of lists of "
                            "indices, and pass the function itself (no parentheses).")
    if lengths == "train":
        values, other, calls = _split_lengths("train"), None, GROUPING_CALLS
    else:
        values, calls = _korean_lengths(), OTHER_GROUPING_CALLS
        other = f"the {len(values):,} Korean lines' lengths"
    results = []
    with other_input(other):
        for batch_size, per_mega, seed in calls:
            call = f"grouped_batches(lengths, {batch_size}, {per_mega}, seed={seed})"
            got = call_answer(answer, (list(values), batch_size, per_mega, seed), call,
                              "shuffle with np.random.default_rng(seed), sort each megabatch "
                              "longest first, cut it into batches.")
            batches = _batches(got, call)
            _check_grouping(batches, values, batch_size, per_mega, call)
            results.append(batches)
        first = calls[0]
        if _batches(answer(list(values), *first), "the second call") != results[0]:
            raise Wrong("two calls with the same seed gave different batches.",
                        "draw the shuffle from a generator made from seed "
                        "(np.random.default_rng(seed)), not from the global random state.")
        if results[2] == results[0]:
            raise Wrong(f"seeds {first[2]} and {calls[2][2]} gave the same batches: the shuffle "
                        "does not depend on the seed.",
                        "shuffle with np.random.default_rng(seed).permutation(len(lengths)).")
    batch_size, per_mega, seed = first
    grouped = sum(len(b) * max(values[i] for i in b) for b in results[0])
    order = np.random.default_rng(seed).permutation(len(values))
    shuffled = _positions([values[i] for i in order], batch_size)
    real = sum(values)
    return (f"{len(results[0])} batches of {batch_size} in megabatches of {per_mega}, each "
            f"sorted longest first; every index once; another seed, other batches. "
            f"{grouped:,} positions ({1 - real / grouped:.1%} padding) against {shuffled:,} "
            f"({1 - real / shuffled:.1%}) for shuffled batches of {batch_size}.")


@exercise("08.2", "tokens processed in an epoch",
           section="3. Tokens processed and padding",
           more=("A dynamically padded batch processes (rows × its longest row) positions; add "
                 "that up over the 13 batches of the validation set, in order."))
def _check_08_2(answer, batch_size: int = BATCH_SIZE):
    answer = as_int(answer, "the number of positions processed")
    lengths = _split_lengths("validation")
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
    untruncated = _positions(_split_lengths("validation", max_length=None), batch_size)
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
    "d": "No: every row still holds one sentence, and grouping does not make fewer batches "
         "(section 2 counts them); packing several sentences into one row is a different "
         "technique.",
})
