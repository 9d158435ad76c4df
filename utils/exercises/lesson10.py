"""Checks for lesson 10 (sentence embeddings), shared by 10_sentence_embeddings_pt and _tf.

The checks run in the notebook's framework (:func:`framework`): the PyTorch notebook never imports
TensorFlow. Functions written by the learner are called with that framework's tensors; what they
return may be a PyTorch / TensorFlow tensor, a NumPy array or a list.
"""

from __future__ import annotations

import functools

import numpy as np

from utils.checks import (
    Wrong,
    as_int,
    call_answer,
    exercise,
    expect_function,
    other_input,
    quiz,
)
from utils.exercises.lesson02 import quiet_transformers, to_numpy

QUERY = "My laptop will not turn on."
# The grader's search (exercise 10.2): another query, another corpus, k=2.
OTHER_QUERY = "What should I cook for dinner tonight?"
OTHER_CORPUS = (  # "Dinner." has a longer mean vector: unnormalised dot products rank it first
    "The match is broadcast live on channel 5 this evening.",
    "Dinner.",
    "A simple recipe for baking a loaf of sourdough.",
    "Cooking dinner for my family tonight, with rice and soup and a simple salad on the side.",
    "My laptop will not turn on.",
    "Ten quick pasta dishes for busy weeknights.",
)
CORPUS = (
    "A simple recipe for baking a loaf of sourdough.",
    "The match is broadcast live on channel 5 this evening.",
    "Tips to fix a computer that does not start.",
    "How can I make new friends as an adult?",
    "I bought a new laptop last week.",
)


# ---------------------------------------------------------------- helpers

def framework() -> str:
    """The framework the checks run: TensorFlow in a TensorFlow lesson, PyTorch otherwise."""
    from utils.checks import lesson_framework

    return lesson_framework()


@functools.cache
def load_encoder(fw: str):
    """(tokenizer, base model) of the course encoder in framework ``fw``, loaded once."""
    import transformers

    from utils.checkpoints import checkpoint

    ckpt = checkpoint("encoder", verbose=False)
    model_class = transformers.AutoModel if fw == "pt" else transformers.TFAutoModel
    with quiet_transformers():
        return transformers.AutoTokenizer.from_pretrained(ckpt), model_class.from_pretrained(ckpt)


BATCH_SEED = 10  # the notebook's check; the grader's hidden tests use other seeds


def padded_batch(seed: int = BATCH_SEED) -> tuple[np.ndarray, np.ndarray]:
    """A (hidden states, attention mask) batch. The notebook's (seed 10): 3 sentences of 6, 3 and
    4 real tokens, 8 dimensions; any other seed: 5 sentences of 1 to 9 real tokens (one of 9),
    12 dimensions. Padding vectors are shifted away from the real ones, as in a real model, so
    that forgetting the mask shows."""
    rng = np.random.default_rng(seed)
    if seed == BATCH_SEED:
        hidden = rng.normal(size=(3, 6, 8)).astype(np.float32)
        mask = np.array([[1, 1, 1, 1, 1, 1], [1, 1, 1, 0, 0, 0], [1, 1, 1, 1, 0, 0]],
                        dtype=np.int64)
    else:
        lengths = [9, *rng.integers(1, 9, size=4)]
        hidden = rng.normal(size=(5, 9, 12)).astype(np.float32)
        mask = (np.arange(9)[None, :] < np.array(lengths)[:, None]).astype(np.int64)
    hidden[mask == 0] += 3.0
    return hidden, mask


def as_tensors(hidden: np.ndarray, mask: np.ndarray, tensors: str):
    """The batch as the framework's tensors, with the mask dtype the tokenizer would give."""
    if tensors == "pt":
        import torch

        return torch.tensor(hidden), torch.tensor(mask, dtype=torch.long)
    if tensors == "tf":
        import tensorflow as tf

        return tf.constant(hidden), tf.constant(mask, dtype=tf.int32)
    if tensors == "np":
        return hidden, mask
    raise ValueError(f"tensors must be 'pt', 'tf' or 'np', not {tensors!r}")


def unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=-1, keepdims=True)


def masked_mean(hidden: np.ndarray, mask: np.ndarray) -> np.ndarray:
    weights = mask[..., None].astype(hidden.dtype)
    return (hidden * weights).sum(axis=1) / weights.sum(axis=1)


def call_learner_function(fn, hidden, mask, name: str) -> np.ndarray:
    """Call the learner's function; turn an exception or an odd result into a clear Wrong."""
    result = call_answer(fn, (hidden, mask), f"calling {name}(last_hidden_state, attention_mask)",
                         "check the shapes and dtypes: the mask is an integer tensor of shape "
                         "(batch, tokens); add an axis (unsqueeze(-1) / [..., None]) and cast it "
                         "to the hidden states' dtype (mask.to(hidden.dtype) / tf.cast(mask, "
                         "hidden.dtype)).")
    if result is None:
        raise Wrong(f"{name} returned None.", "end the function with `return ...`.")
    try:
        array = to_numpy(result)
    except Exception:  # noqa: BLE001
        array = np.asarray([], dtype=object)
    if array.dtype.kind not in "fiu":
        raise Wrong(f"{name} returned {type(result).__name__} ({result!r:.60}), not a tensor "
                    "of numbers.", "return a tensor of shape (batch, hidden).")
    return array.astype(np.float64)


def hidden_and_mask(sentences, fw: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """last_hidden_state and attention mask of the encoder for a padded batch, as NumPy."""
    fw = fw or framework()
    tokenizer, model = load_encoder(fw)
    inputs = tokenizer(list(sentences), padding=True, return_tensors=fw)
    if fw == "pt":
        import torch

        with torch.no_grad():
            hidden = model(**inputs).last_hidden_state.numpy()
    else:
        hidden = model(**inputs).last_hidden_state.numpy()
    return hidden.astype(np.float64), np.asarray(inputs["attention_mask"])


# ---------------------------------------------------------------- exercises

@exercise("10.1", "the model's own sentence embedding",
           section="2. Pooling the token vectors, with the attention mask",
           more=("Make the mask float weights with a last axis of size 1, so that it multiplies "
                 "every hidden dimension; sum the weighted token vectors over the token axis and "
                 "divide by the number of real tokens; then divide each vector by its L2 norm."))
def _check_10_1(answer, tensors: str | None = None, seed: int = BATCH_SEED):
    hidden, mask = padded_batch(seed)
    other = None if seed == BATCH_SEED else (
        f"another batch ({mask.shape[0]} sentences of {mask.sum(axis=1).tolist()} real tokens, "
        f"{hidden.shape[-1]} dimensions; seed {seed})")
    with other_input(other):
        return _sentence_embedding(answer, hidden, mask, tensors)


def _sentence_embedding(answer, hidden, mask, tensors):
    expect_function(answer, "define `def sentence_embedding(last_hidden_state, attention_mask): "
                            "...` and pass the function itself (no parentheses) to check.")
    result = call_learner_function(answer, *as_tensors(hidden, mask, tensors or framework()),
                                   getattr(answer, "__name__", "your function"))
    batch, _, size = hidden.shape
    if result.shape != (batch, size):
        if result.shape == (batch, 1, size):
            hint = "sum over the token axis without keepdim / keepdims."
        elif result.shape in {(batch, hidden.shape[1]), (hidden.shape[1], size)}:
            hint = "average over the token axis, dim=1 / axis=1."
        else:
            hint = "pool over the token axis (1) and keep one vector per sentence."
        raise Wrong(f"the result has shape {result.shape}; for this batch of {batch} sentences "
                    f"with {size}-dimensional token vectors it should be {(batch, size)}.", hint)
    expected = unit(masked_mean(hidden, mask))
    if np.allclose(result, expected, atol=1e-4):
        return ("mean over the real tokens, scaled to length 1: a dot product of two such "
                "vectors is their cosine similarity.")
    mistakes = [
        (unit(hidden.mean(axis=1)),
         "the padding tokens were averaged in (sentences 2 and 3 are padded).",
         "multiply the token vectors by the attention mask and divide by the number of real "
         "tokens, mask.sum(...), not by the padded length."),
        (masked_mean(hidden, mask),
         "this is the masked mean, but the vectors do not have length 1.",
         "divide each sentence vector by its L2 norm: v / v.norm(dim=-1, keepdim=True) "
         "(PyTorch) or tf.math.l2_normalize(v, axis=-1) (TensorFlow)."),
        (hidden.mean(axis=1),
         "the padding tokens were averaged in, and the vectors do not have length 1.",
         "use the attention mask in the mean, then divide each vector by its L2 norm."),
        (masked_mean(unit(hidden), mask),
         "you normalised each token vector before averaging; the average of unit vectors is "
         "not a unit vector.",
         "pool first (masked mean), then normalise the sentence vector."),
    ]
    for wrong, problem, hint in mistakes:
        if np.allclose(result, wrong, atol=1e-4):
            raise Wrong(problem, hint)
    norms = np.linalg.norm(result, axis=-1)
    if not np.allclose(norms, 1.0, atol=1e-3):
        raise Wrong(f"the sentence vectors have lengths {norms.round(3).tolist()}, not 1.",
                    "after pooling, divide each vector by its L2 norm.")
    raise Wrong("the vectors have length 1 but are not the masked mean of the token vectors.",
                "sum last_hidden_state * mask over the tokens, divide by mask.sum over the "
                "tokens, then divide by the norm.")


def _query_scores(vectors: np.ndarray) -> np.ndarray:
    """Dot products of the first row (the query) with every other row (the corpus)."""
    return vectors[1:] @ vectors[0]


def _ranking(scores: np.ndarray, k: int) -> list[int]:
    return [int(i) for i in np.argsort(-scores, kind="stable")[:k]]


@exercise("10.2", "search with mean pooling",
           section="5. Which vector represents the sentence? Nearest neighbours",
           more=("Inside the function: embed `[query]` and `corpus` with the lesson's `embed`, "
                 "normalise the `\"mean\"` vectors, take the dot products of the query with every "
                 "corpus vector, and return the indices of the k largest, the largest first "
                 "(`np.argsort(-scores)[:k]`)."))
def _check_10_2(answer, query: str = QUERY, corpus=CORPUS, k: int = 3, fw: str | None = None):
    expect_function(answer, "define `def search(query, corpus, k): ...` that returns the indices "
                            "of the k best sentences, and pass the function itself (no "
                            "parentheses).")
    corpus = list(corpus)
    other = None if (query, tuple(corpus), k) == (QUERY, CORPUS, 3) else (
        f"another query ({query!r}), a corpus of {len(corpus)} sentences and k={k}")
    with other_input(other):
        result = call_answer(answer, (query, list(corpus), k), "search(query, corpus, k)",
                             "embed the query and the corpus with `embed`, compare the "
                             "normalised mean vectors, return a list of ints.")
        if isinstance(result, (str, bytes, dict, set)) or not hasattr(result, "__len__"):
            raise Wrong(f"search returned {type(result).__name__}, not a list of indices.",
                        "return a list of k ints, the best sentence's index first.")
        result = list(to_numpy(result).tolist() if hasattr(result, "shape") else result)
        if result and all(isinstance(r, str) for r in result):
            raise Wrong("search returned the sentences; return their indices in `corpus`.",
                        "np.argsort gives indices: return them, as ints.")
        ranking = [as_int(r, "each index", "return ints: [int(i) for i in ...].") for r in result]
        if len(ranking) != k:
            raise Wrong(f"{len(ranking)} indices for k={k}.", "return exactly k indices.")
        hidden, mask = hidden_and_mask([query, *corpus], fw)
        mean = masked_mean(hidden, mask)
        mean_scores = _query_scores(unit(mean))
        cls_scores = _query_scores(unit(hidden[:, 0]))
        raw_scores = _query_scores(mean)
        expected = _ranking(mean_scores, k)
        if ranking == expected:
            cls_best = int(cls_scores.argmax())
            listed = "; ".join(f"{corpus[i]!r} ({mean_scores[i]:.3f})" for i in expected)
            return (f"{listed}. [CLS] would have put {corpus[cls_best]!r} first"
                    + (": it shares a word with the query." if other is None else "."))
        cls_like, raw_like = ranking == _ranking(cls_scores, k), ranking == _ranking(raw_scores, k)
        if cls_like and raw_like:
            raise Wrong("that is the ranking of the [CLS] vectors, and also of mean vectors that "
                        "were not normalised.",
                        "rank by the cosine of the mean-pooled vectors: normalise them first.")
        if cls_like:
            raise Wrong("that is the ranking of the [CLS] vectors.",
                        "use the mean-pooled vectors (masked mean of last_hidden_state).")
        if raw_like:
            raise Wrong("that ranks by dot products of vectors that were not normalised.",
                        "divide each mean vector by its length first: then the dot product is the "
                        "cosine similarity.")
        if ranking == _ranking(-mean_scores, k):
            raise Wrong("those are the least similar sentences.",
                        "sort by decreasing similarity: np.argsort(-scores)[:k].")
        if sorted(ranking) == sorted(expected):
            raise Wrong("the right sentences in the wrong order.",
                        "the most similar first: np.argsort(-scores)[:k].")
        if ranking == [i + 1 for i in expected]:
            raise Wrong("each index is one too many.", "indices count from 0.")
        raise Wrong(f"{ranking} is not the top {k} under mean pooling ({expected[0]} is the best).",
                    "embed the query and the corpus, normalise the mean-pooled vectors, and sort "
                    "their dot products with the query's, the largest first.")


quiz("10.3", "why [CLS] does worse here", correct="c",
     section="7. Why mean pooling wins here: Sentence-BERT",
     more=("Which objective was all-MiniLM-L6-v2 trained with, and which vector did that "
           "objective use?"),
     explanations={
    "a": "No: every sentence starts with [CLS], padded or not; padding goes at the end.",
    "b": "No: the [CLS] token is the same, but its output vector attends to the whole sentence "
         "and differs from sentence to sentence; it is just less informative here.",
    "c": "Yes: all-MiniLM-L6-v2 was trained (Sentence-BERT style) with the mean of its token "
         "vectors as the sentence vector. [CLS] is just one token's vector, and the pooler on top "
         "of it was never trained (its bias is still exactly 0).",
    "d": "No: pooler_output is not the [CLS] vector but a dense layer with tanh applied to it "
         "(section 1 shows they differ); the [CLS] vector itself comes from the trained encoder "
         "layers. What is missing is a training objective that made it a summary.",
})
