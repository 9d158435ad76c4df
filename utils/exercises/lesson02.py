"""Checks for lesson 02 (pipeline), shared by 02_pipeline_pt and 02_pipeline_tf.

The expected values are computed from the sentiment checkpoint with the framework the notebook
runs: PyTorch when transformers can use it, TensorFlow otherwise (``setup("tf")`` hides
PyTorch). TensorFlow is imported only in the second case, so the PyTorch notebook never loads it.
Answers may be Python numbers, NumPy values, or PyTorch / TensorFlow tensors.
"""

from __future__ import annotations

import contextlib
import functools

import numpy as np

from utils.checks import (
    Wrong,
    call_answer,
    exercise,
    expect_close,
    expect_function,
    other_input,
    quiz,
)

SCORE_SENTENCE = "The plot was predictable, but the actors were wonderful."
BATCH = (
    "An absolute masterpiece of modern cinema.",
    "I want my two hours back.",
    "Not bad at all, actually quite fun.",
    "The dialogue is painfully bad.",
)


# ---------------------------------------------------------------- helpers

@contextlib.contextmanager
def quiet_transformers():
    """Hide transformers' loading messages while a check loads a checkpoint."""
    from transformers.utils import logging

    before = logging.get_verbosity()
    logging.set_verbosity_error()
    try:
        yield
    finally:
        logging.set_verbosity(before)


MODEL_CLASSES = {  # head: (PyTorch class, TensorFlow class)
    "base": ("AutoModel", "TFAutoModel"),
    "sequence-classification": ("AutoModelForSequenceClassification",
                                "TFAutoModelForSequenceClassification"),
}


def framework() -> str:
    """The framework the checks run: TensorFlow in a TensorFlow lesson, PyTorch otherwise."""
    from utils.checks import lesson_framework

    return lesson_framework()


@functools.cache
def load(role: str, head: str = "sequence-classification"):
    """(tokenizer, model) for a course checkpoint in the notebook's framework, loaded once."""
    import transformers

    from utils.checkpoints import checkpoint

    ckpt = checkpoint(role, verbose=False)
    pt_class, tf_class = MODEL_CLASSES[head]
    model_class = getattr(transformers, pt_class if framework() == "pt" else tf_class)
    with quiet_transformers():
        return transformers.AutoTokenizer.from_pretrained(ckpt), model_class.from_pretrained(ckpt)


def run(role: str, sentences, head: str = "sequence-classification", mask: bool = True,
        output: str = "logits") -> np.ndarray:
    """One output of a course model for a padded batch of ``sentences``, as a NumPy array.

    ``mask=False`` leaves the attention mask out (the classic padding mistake)."""
    tokenizer, model = load(role, head)
    fw = framework()
    inputs = dict(tokenizer(list(sentences), padding=True, truncation=True, return_tensors=fw))
    if not mask:
        inputs.pop("attention_mask")
    if fw == "pt":
        import torch

        with torch.no_grad():
            result = model(**inputs)[output].numpy()
    else:
        result = model(**inputs)[output].numpy()
    return result.astype(np.float64)


def sentiment_logits(sentences) -> tuple[np.ndarray, dict[int, str]]:
    """Logits (NumPy, one row per sentence) of the sentiment model, and its id2label."""
    _, model = load("sentiment")
    return run("sentiment", sentences), {int(k): v for k, v in model.config.id2label.items()}


def softmax(logits: np.ndarray) -> np.ndarray:
    shifted = np.exp(logits - logits.max(axis=-1, keepdims=True))
    return shifted / shifted.sum(axis=-1, keepdims=True)


def to_numpy(value) -> np.ndarray:
    """A NumPy array from a number, a list, a NumPy value or a PyTorch / TensorFlow tensor,
    without importing either framework."""
    if hasattr(value, "detach"):  # a torch.Tensor
        value = value.detach().cpu().numpy()
    elif hasattr(value, "numpy") and not isinstance(value, (np.ndarray, np.generic)):
        value = value.numpy()  # a TensorFlow eager tensor
    return np.asarray(value)


def as_number(answer, what: str) -> float:
    """One float from a number, a NumPy value or a one-element array / tensor."""
    if isinstance(answer, (str, bytes, bool, dict)) or answer is None:
        raise Wrong(f"expected {what} as a float, got {type(answer).__name__} ({answer!r:.60}).",
                    f"make sure the variable holds {what}, a number, not something else.")
    try:
        array = to_numpy(answer)
    except (TypeError, ValueError):
        array = np.asarray([])
    if array.dtype.kind not in "fiu":
        raise Wrong(f"expected {what} as a float, got {type(answer).__name__} ({answer!r:.60}).",
                    f"make sure the variable holds {what}, a number, not something else.")
    if array.size != 1:
        raise Wrong(f"expected one number for {what}, got {array.size} values "
                    f"(shape {tuple(array.shape)}).",
                    "pick one row and one column of the probabilities, e.g. `probs[0, column]`, "
                    "and turn it into a Python number with `float(...)`.")
    return float(array.reshape(-1)[0])


# ---------------------------------------------------------------- exercises

@exercise("02.1", "a POSITIVE score by hand",
           section="4. Behind the pipeline",
           more={"pt": ("Three steps: `tokenizer(sentence, return_tensors=\"pt\")`, "
                        "`model(**inputs).logits`, `torch.softmax(..., dim=-1)`; then take row 0 "
                        "and the column `model.config.label2id[\"POSITIVE\"]`, and `.item()` it."),
                 "tf": ("Three steps: `tokenizer(sentence, return_tensors=\"tf\")`, "
                        "`model(**inputs).logits`, `tf.nn.softmax(..., axis=-1)`; then take row "
                        "0 and the column `model.config.label2id[\"POSITIVE\"]`, and `float(...)` "
                        "it.")})
def _check_02_1(answer, sentence: str = SCORE_SENTENCE):
    score = as_number(answer, "the probability of POSITIVE")
    logits, id2label = sentiment_logits([sentence])
    label2id = {label: i for i, label in id2label.items()}
    positive, negative = label2id["POSITIVE"], label2id["NEGATIVE"]
    probabilities = softmax(logits)[0]
    expected = float(probabilities[positive])
    if abs(score - expected) > 1e-4:
        if any(abs(score - float(z)) < 1e-3 for z in logits[0]):
            raise Wrong(f"{score:.4f} is a logit, not a probability.",
                        "apply softmax over the label axis to the logits first (dim=-1 / axis=-1).")
        if not 0.0 <= score <= 1.0:
            raise Wrong(f"{score:.4f} cannot be a probability: probabilities lie between 0 and 1.",
                        "apply softmax to the logits and take the POSITIVE column.")
        if abs(score - float(probabilities[negative])) < 1e-4:
            raise Wrong(f"{score:.4f} is the probability of NEGATIVE.",
                        f"model.config.label2id['POSITIVE'] is {positive}: take that column.")
    expect_close(score, expected, "your probability", tol=1e-4,
                 hint="tokenize exactly the given sentence, run the sentiment model on it, apply "
                      "softmax to the logits and take the POSITIVE column.")
    return (f"P(POSITIVE) = {expected:.4f}, the number `classifier(sentence, top_k=None)` "
            "reports for POSITIVE.")


OTHER_BATCH = (  # the grader's hidden test: other lengths, one Korean line
    "Brilliant.",
    "The first hour drags, the second hour is worse, and the ending explains nothing at all.",
    "이 영화 정말 재미있어요!",
    "A warm, funny and surprisingly moving film.",
    "Dull.",
)


@exercise("02.2", "the pipeline by hand, for a batch",
           section="4. Behind the pipeline",
           more=("Inside the function: one `tokenizer(sentences, padding=True, truncation=True, "
                 "return_tensors=...)` call, one `model(**inputs)` call (the attention mask "
                 "included), softmax over the last axis, then for each row the argmax's name "
                 "(`model.config.id2label`) and its probability as a `float`."))
def _check_02_2(answer, sentences=BATCH):
    expect_function(answer, "define `def classify(sentences): ...` that returns one "
                            "{'label': ..., 'score': ...} per sentence, and pass the function "
                            "itself (no parentheses).")
    sentences = list(sentences)
    other = None if tuple(sentences) == BATCH else (
        f"other sentences ({len(sentences)}, of {min(map(len, sentences))} to "
        f"{max(map(len, sentences))} characters)")
    with other_input(other):
        result = call_answer(answer, (list(sentences),), "classify(sentences)",
                             "tokenize the whole list with padding=True (sentences of different "
                             "lengths need it) and call the model once with **inputs.")
        if not isinstance(result, (list, tuple)) or not all(isinstance(r, dict) for r in result):
            raise Wrong(f"classify returned {type(result).__name__}, not a list of dicts.",
                        "return one {'label': name, 'score': probability} per sentence, as the "
                        "pipeline does.")
        if len(result) != len(sentences):
            raise Wrong(f"{len(result)} results for {len(sentences)} sentences.",
                        "one result per sentence, in order.")
        if not all({"label", "score"} <= set(r) for r in result):
            raise Wrong("each result needs the keys 'label' and 'score'.",
                        "e.g. {'label': model.config.id2label[i], 'score': float(p[i])}.")
        logits, id2label = sentiment_logits(sentences)
        probabilities = softmax(logits)
        ids = logits.argmax(axis=-1)
        labels = [r["label"] for r in result]
        expected = [id2label[int(i)] for i in ids]
        if not all(isinstance(label, str) for label in labels):
            raise Wrong(f"the labels are {sorted({type(x).__name__ for x in labels})}, not names.",
                        "argmax gives label ids; turn each into its name with "
                        "model.config.id2label[int(i)].")
        try:
            scores = np.array([float(r["score"]) for r in result])
        except (TypeError, ValueError):
            raise Wrong("the scores are not numbers.",
                        "store each probability as a float: float(p[i])") from None
        with quiet_transformers():  # transformers warns once about the missing mask
            unmasked = softmax(run("sentiment", sentences, mask=False))
        if labels == expected and np.allclose(scores, probabilities.max(axis=-1), atol=1e-4):
            shortest = int(np.argmin([len(s) for s in sentences]))
            return (f"{', '.join(f'{lab} {sc:.3f}' for lab, sc in zip(expected, scores))}: what "
                    "the pipeline prints. Without the attention mask, the shortest sentence "
                    f"(padded most) would get {unmasked[shortest].max():.3f} instead of "
                    f"{probabilities[shortest].max():.3f}.")
        if np.allclose(scores, unmasked[np.arange(len(sentences)), ids], atol=1e-4) or (
                labels != expected and labels == [id2label[int(i)] for i in
                                                  unmasked.argmax(axis=-1)]):
            raise Wrong("the padded sentences get other probabilities than on their own: the model "
                        "attended to the padding.",
                        "pass the attention mask with the ids: model(**inputs), not "
                        "model(inputs['input_ids']).")
        if labels != expected:
            wrong = [i + 1 for i, (a, e) in enumerate(zip(labels, expected)) if a != e]
            raise Wrong(f"{len(wrong)} of the {len(sentences)} labels are not right (sentence "
                        f"{', '.join(map(str, wrong))}).",
                        "take the argmax over the label axis (dim=-1 / axis=-1), in the order of "
                        "the sentences.")
        if np.allclose(scores, logits.max(axis=-1), atol=1e-4):
            raise Wrong("the scores are logits, not probabilities.",
                        "apply softmax over the label axis first.")
        if np.allclose(scores, probabilities[:, 1], atol=1e-4):
            raise Wrong("each score is P(POSITIVE), also for NEGATIVE sentences.",
                        "the score is the probability of the predicted label: the row maximum.")
        raise Wrong("the labels are right, the scores are not the predicted label's probability.",
                    "softmax the logits and take, for each row, the probability of its argmax.")


quiz("02.3", "a confident answer to Korean", correct="d",
     section="3. A Korean sentence",
     more=("Look again at the tokens the English tokenizer made of the Korean sentence, and at "
           "what softmax does with any two numbers."),
     explanations={
    "a": "No: nothing translates the text. The tokenizer turns the Hangul into jamo pieces and "
         "[UNK], and that is all the model sees.",
    "b": "No: the pipeline has no language detection; the score comes from the model's logits "
         "like any other, and changes from sentence to sentence.",
    "c": "No: the uncased English vocabulary has no Hangul syllables. 재미있어요 becomes [UNK], "
         "so the model never even sees the word.",
    "d": "Yes: the model never learned what these pieces mean, but its head always outputs two "
         "logits, and softmax always makes them probabilities that add up to 1. A high score only "
         "says the two logits are far apart.",
})
