"""Checks for lesson 09 (adding tokens), shared by 09_adding_tokens_pt and 09_adding_tokens_tf.

The expected values need only the encoder's tokenizer and saved weights (read with NumPy), so the
checks import neither PyTorch nor TensorFlow; a model passed in is read through its embedding
matrix (PyTorch parameter or TensorFlow variable, turned into NumPy).
"""

from __future__ import annotations

import numpy as np

from utils.checks import Wrong, as_int, exercise, quiz

WORDS = ("covid", "vaccine", "telehealth", "lockdown")


def _fresh_tokenizer():
    from transformers import AutoTokenizer

    from utils.checkpoints import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint("encoder", verbose=False))


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


MARKER, MARKER_WORD = "[KO]", "korean"


def _original_embeddings():
    """The encoder's word-embedding matrix as saved (NumPy), or None when it is not a local
    folder (``COURSE_ONLINE=1``)."""
    from pathlib import Path

    from utils.checkpoints import checkpoint

    path = Path(checkpoint("encoder", verbose=False)) / "model.safetensors"
    if not path.is_file():
        return None
    from safetensors.numpy import load_file

    return load_file(str(path))["embeddings.word_embeddings.weight"]


@exercise("09.2", "a marker that starts as a word",
           section="5. `resize_token_embeddings`",
           more={"pt": ("`ko_tokenizer.add_special_tokens({\"additional_special_tokens\": "
                        "[\"[KO]\"]})`, `ko_model.resize_token_embeddings(len(ko_tokenizer))`; "
                        "then, with `weight = ko_model.get_input_embeddings().weight`, inside "
                        "`with torch.no_grad():` copy `weight[korean_id]` into `weight[new_id]` "
                        "(the ids from `ko_tokenizer.convert_tokens_to_ids(...)`)."),
                 "tf": ("`ko_tokenizer.add_special_tokens({\"additional_special_tokens\": "
                        "[\"[KO]\"]})`, `ko_model.resize_token_embeddings(len(ko_tokenizer))`; "
                        "then, with `weight = ko_model.get_input_embeddings().weight` (a "
                        "`tf.Variable`), `weight[new_id].assign(weight[korean_id])` (the ids from "
                        "`ko_tokenizer.convert_tokens_to_ids(...)`).")})
def _check_09_2(answer, model=None):
    from utils.exercises.lesson02 import to_numpy

    if not hasattr(answer, "convert_tokens_to_ids") or hasattr(answer, "get_input_embeddings"):
        raise Wrong(f"expected the tokenizer first, got {type(answer).__name__}.",
                    "check(\"09.2\", ko_tokenizer, ko_model): the tokenizer, then the model.")
    if model is None or not hasattr(model, "get_input_embeddings"):
        raise Wrong("expected the model as the second argument"
                    + ("." if model is None else f", got {type(model).__name__}."),
                    "check(\"09.2\", ko_tokenizer, ko_model): the tokenizer, then the model.")
    base = len(_fresh_tokenizer())
    added = answer.get_added_vocab()
    if MARKER not in added and MARKER.lower() not in added:
        raise Wrong(f"the tokenizer has no {MARKER} token.",
                    "add it with ko_tokenizer.add_special_tokens({\"additional_special_tokens\": "
                    "[\"[KO]\"]}).")
    if MARKER not in answer.additional_special_tokens:
        raise Wrong(f"{MARKER} was added as an ordinary token (add_tokens), not as a special "
                    "token.",
                    "markers go in with add_special_tokens({\"additional_special_tokens\": "
                    "[\"[KO]\"]}): never lowercased, never split, and skip_special_tokens=True "
                    "removes them.")
    if len(answer) != base + 1:
        raise Wrong(f"the tokenizer has {len(answer) - base} tokens beyond the encoder's "
                    f"{base:,}; this exercise adds exactly one.",
                    "start from a fresh AutoTokenizer.from_pretrained(encoder), not the lesson's "
                    "tokenizer, and add only [KO].")
    new_id, word_id = answer.convert_tokens_to_ids([MARKER, MARKER_WORD])
    try:
        weights = to_numpy(model.get_input_embeddings().weight)
    except Exception as err:  # noqa: BLE001 - an odd model object becomes a hint
        raise Wrong(f"could not read the model's embedding matrix ({type(err).__name__}).",
                    "pass the model itself, e.g. AutoModel / TFAutoModel.from_pretrained(encoder)"
                    ", resized.") from None
    rows, hidden = weights.shape
    if rows == base:
        raise Wrong(f"the embedding matrix still has {rows:,} rows: the model was not resized, "
                    f"so id {new_id:,} has no row.",
                    "call ko_model.resize_token_embeddings(len(ko_tokenizer)) after adding [KO].")
    if rows != len(answer):
        raise Wrong(f"the embedding matrix has {rows:,} rows, the tokenizer {len(answer):,} "
                    "tokens.",
                    "resize to exactly len(ko_tokenizer) here (no rounding up).")
    original = _original_embeddings()
    if original is not None and original.shape[1] == hidden:
        changed = np.flatnonzero(~np.all(weights[:base] == original, axis=1))
        if len(changed):
            where = ", ".join(f"{i:,}" for i in changed[:3]) + (" ..." if len(changed) > 3 else "")
            raise Wrong(f"{len(changed)} old row(s) changed (id {where}); the new token's row is "
                        f"id {new_id:,}, the last one.",
                        "write into weight[new_id] with new_id = "
                        "ko_tokenizer.convert_tokens_to_ids(\"[KO]\"), and leave the other rows "
                        "alone.")
        reference = original
    else:
        reference = weights
    target = reference[word_id]
    row = weights[new_id]
    if np.allclose(row, target, atol=1e-6):
        mean_norm = float(np.linalg.norm(reference[:base].mean(axis=0)))
        pieces = answer.tokenize(f"{MARKER} Hello")
        return (f"{pieces[0]} is one token (id {new_id:,}) in {pieces}, kept as written; its row "
                f"is now a copy of 'korean' (norm {np.linalg.norm(row):.3f}) instead of what "
                f"resizing gave (the mean embedding, norm {mean_norm:.3f}, in PyTorch; small "
                "random numbers in TensorFlow): before any fine-tuning, the model reads [KO] like "
                "the word 'korean'.")
    if np.allclose(row, reference[:base].mean(axis=0), atol=1e-4):
        raise Wrong(f"row {new_id:,} is still the mean embedding that resize_token_embeddings "
                    "put there.",
                    "copy the row of 'korean' into it: with torch.no_grad(): "
                    "weight[new_id] = weight[korean_id] (a change made outside no_grad, or to a "
                    "copy such as .clone(), does not reach the model).")
    if np.linalg.norm(row) < 0.5 * np.linalg.norm(target) and np.abs(row).max() <= 0.05:
        raise Wrong(f"row {new_id:,} still holds the small random numbers that "
                    "resize_token_embeddings put there.",
                    "change the model's variable itself: weight[new_id].assign(weight[korean_id])"
                    " (TensorFlow); .numpy() gives a copy, and changing the copy changes nothing.")
    for other in ("korea", "[UNK]", MARKER_WORD.capitalize()):
        other_id = answer.convert_tokens_to_ids(other)
        if other_id != answer.unk_token_id or other == "[UNK]":
            if np.allclose(row, reference[other_id], atol=1e-6):
                raise Wrong(f"row {new_id:,} is a copy of the row of {other!r}, not of 'korean'.",
                            "the row to copy is ko_tokenizer.convert_tokens_to_ids(\"korean\").")
    raise Wrong(f"row {new_id:,} is not a copy of the row of 'korean' (id {word_id:,}).",
                "copy weight[korean_id] into weight[new_id], with both ids from "
                "ko_tokenizer.convert_tokens_to_ids(...).")


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
