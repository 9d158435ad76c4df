"""Checks for lesson 09 (adding tokens), shared by 09_adding_tokens_pt and 09_adding_tokens_tf.

The expected values need only the encoder's tokenizer and config, so the checks import neither
PyTorch nor TensorFlow. Answers may be Python ints, NumPy integers, tuples, lists, a
``torch.Size`` or a TensorFlow ``TensorShape``.
"""

from __future__ import annotations

import math

from utils.checks import Wrong, as_int, as_shape, exercise, quiz

WORDS = ("covid", "vaccine", "telehealth", "lockdown")
MORE_WORDS = ("covid", "omicron", "remdesivir", "telehealth", "pandemic", "quarantine", "vaccine",
              "lockdown")
MULTIPLE = 64


def _fresh_tokenizer():
    from transformers import AutoTokenizer

    from utils.checkpoints import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint("encoder", verbose=False))


def _hidden_size() -> int:
    from transformers import AutoConfig

    from utils.checkpoints import checkpoint

    return AutoConfig.from_pretrained(checkpoint("encoder", verbose=False)).hidden_size


@exercise("09.1", "the length of the extended tokenizer",
           section="2. `add_tokens`: new words",
           more=("Start from a fresh `AutoTokenizer.from_pretrained(encoder)`; "
                 "`add_tokens(words)` skips words the vocabulary already has, and "
                 "`len(tokenizer)` afterwards is the answer."))
def _check_09_1(answer, words=WORDS):
    answer = as_int(answer, "the number of tokens (len(tokenizer))")
    tokenizer = _fresh_tokenizer()
    base = len(tokenizer)
    returned = tokenizer.add_tokens(list(words))
    expected = len(tokenizer)
    new = expected - base
    if answer == tokenizer.vocab_size and expected != tokenizer.vocab_size:
        raise Wrong(f"{answer:,} is tokenizer.vocab_size, the base vocabulary only.",
                    "vocab_size does not count added tokens; len(tokenizer) does.")
    if answer == base + returned and returned != new:
        raise Wrong(f"{answer:,} trusts the return value of add_tokens ({returned}).",
                    "add_tokens also counts words the vocabulary already had; check which words "
                    "are really new, or simply use len(tokenizer) after adding.")
    if answer == base + len(words) and len(words) != new:
        raise Wrong(f"{answer:,} counts every word as new.",
                    "some of the words are already in the vocabulary (try tokenizer.tokenize on "
                    "each); use len(tokenizer) after add_tokens.")
    if answer == expected - 1:
        raise Wrong(f"{answer:,} is the largest id, one less than the number of tokens.",
                    "ids start at 0: the embedding matrix needs largest id + 1 rows, "
                    "len(tokenizer).")
    if answer != expected:
        raise Wrong(f"{answer:,} is not the length of the extended tokenizer.",
                    "load a fresh tokenizer from the encoder, add_tokens(words), then "
                    "len(tokenizer).")
    return f"{new} of the {len(words)} words were new: ids {base:,} to {expected - 1:,}."


@exercise("09.2", "the shape of the resized embedding matrix",
           section="5. `resize_token_embeddings`",
           more={"pt": ("`model.resize_token_embeddings(len(tokenizer), pad_to_multiple_of=64)`, "
                        "then `tuple(model.get_input_embeddings().weight.shape)`."),
                 "tf": ("TensorFlow's `resize_token_embeddings` has no `pad_to_multiple_of`: "
                        "round `len(tokenizer)` up to a multiple of 64 yourself (`math.ceil`), "
                        "resize to that, then take the shape of `get_input_embeddings().weight`.")})
def _check_09_2(answer, words=MORE_WORDS, multiple: int = MULTIPLE):
    shape = as_shape(answer, "tuple(model.get_input_embeddings().weight.shape)")
    tokenizer = _fresh_tokenizer()
    base = len(tokenizer)
    tokenizer.add_tokens(list(words))
    length = len(tokenizer)
    rows = math.ceil(length / multiple) * multiple
    hidden = _hidden_size()
    if len(shape) != 2:
        raise Wrong(f"{shape} has {len(shape)} axes; an embedding matrix has two.",
                    "(number of rows, hidden size).")
    if shape == (hidden, rows):
        raise Wrong(f"{shape} is transposed.", "the rows (one per token) come first.")
    if shape[1] != hidden:
        raise Wrong(f"{shape[1]} columns: every row is a vector of the model's hidden size.",
                    "the second number is config.hidden_size.")
    if shape[0] == base:
        raise Wrong(f"{shape[0]:,} rows is the original matrix: it was not resized.",
                    "call model.resize_token_embeddings(...) after adding the words.")
    if shape[0] == length and length != rows:
        raise Wrong(f"{shape[0]:,} rows is len(tokenizer), not rounded up to a multiple of "
                    f"{multiple}.",
                    "PyTorch: resize_token_embeddings(len(tokenizer), "
                    f"pad_to_multiple_of={multiple}); "
                    f"TensorFlow: round up yourself, math.ceil(len(tokenizer) / {multiple}) * "
                    f"{multiple}.")
    if shape[0] % multiple == 0 and shape[0] != rows:
        raise Wrong(f"{shape[0]:,} is a multiple of {multiple}, but not the smallest one that "
                    "holds every token of the extended tokenizer.",
                    "round len(tokenizer) up, not down, and add each word once to a fresh "
                    "tokenizer (words already in the vocabulary add nothing).")
    if shape != (rows, hidden):
        raise Wrong(f"{shape} is not the shape of the resized embedding matrix.",
                    "add more_words to a fresh tokenizer, then resize the model to len(tokenizer) "
                    f"rounded up to a multiple of {multiple}.")
    return (f"{length:,} tokens need {length:,} rows; rounding up gives {rows:,}, "
            f"{rows - length} of them never used by the tokenizer.")


quiz("09.3", "forgetting to resize", correct="d",
     section="4. The model does not know the new ids",
     more=("The lesson ran the unresized model on a sentence with a new token: which sentences "
           "worked, and which failed?"),
     explanations={
    "a": "No: the tokenizer does produce the new ids (that is the point of adding them); nothing "
         "maps them back to [UNK].",
    "b": "No: only resize_token_embeddings changes the matrix; the forward pass never does.",
    "c": "No: the config only describes the embedding matrix; setting the field by hand adds no "
         "rows, so the new ids still fail. resize_token_embeddings adds the rows and updates "
         "config.vocab_size itself.",
    "d": "Yes: the embedding matrix has no row for the new ids, so the lookup fails, but only "
         "for inputs that contain a new token, which is why the bug can hide.",
})
