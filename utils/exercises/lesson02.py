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

from utils.checks import Wrong, exercise, expect_close, quiz

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


@exercise("02.2", "labels for a batch",
           section="4. Behind the pipeline",
           more=("One call with the list of sentences and `padding=True`; the argmax over the "
                 "last axis gives one id per sentence, and `model.config.id2label[id]` its name."))
def _check_02_2(answer, sentences=BATCH):
    if not isinstance(answer, (list, tuple)):
        raise Wrong(f"expected the labels as a list of strings, got {type(answer).__name__} "
                    f"({answer!r:.60}).",
                    "build a Python list, e.g. `[model.config.id2label[i] for i in ids]`.")
    if len(answer) != len(sentences):
        raise Wrong(f"got {len(answer)} labels for {len(sentences)} sentences.",
                    "predict one label for each sentence of `batch`, in order.")
    if answer and all(isinstance(a, dict) for a in answer):
        raise Wrong("the list holds dictionaries (what the pipeline returns), not label names.",
                    "keep only the label of each, e.g. `[r['label'] for r in results]`; better, "
                    "compute it by hand with the model.")
    if answer and not all(isinstance(a, str) for a in answer):
        kinds = sorted({type(a).__name__ for a in answer})
        raise Wrong(f"the list holds {', '.join(kinds)} values, not label names.",
                    "argmax gives label *ids*; turn each id into its name with "
                    "`model.config.id2label[int(i)]`.")
    logits, id2label = sentiment_logits(sentences)
    expected = [id2label[int(i)] for i in logits.argmax(axis=-1)]
    unknown = sorted(set(answer) - set(id2label.values()))
    if unknown:
        raise Wrong(f"{unknown!r:.60} is not a label of this model.",
                    f"the labels are the values of model.config.id2label: "
                    f"{sorted(id2label.values())}.")
    wrong = [i for i, (a, e) in enumerate(zip(answer, expected)) if a != e]
    if wrong:
        raise Wrong(f"{len(wrong)} of the {len(sentences)} labels are not right "
                    f"(sentence {', '.join(str(i + 1) for i in wrong)}).",
                    "take the argmax over the label axis (dim=-1 / axis=-1) of each row of "
                    "logits, in the order of the sentences.")
    return f"{expected.count('POSITIVE')} positive, {expected.count('NEGATIVE')} negative."


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
