"""Checks of lesson 10 (sentence embeddings): each accepts the right answer, in PyTorch, TensorFlow
or NumPy form, and rejects a typical wrong answer and a wrong type with a message that explains."""

import contextlib
import io

import numpy as np
import pytest
import torch

from utils.checks import ExerciseFailed, check
from utils.exercises import lesson10


def ok(exercise_id, answer, **kwargs):
    """Run a check that must pass; return the line it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check(exercise_id, answer, **kwargs)  # raises ExerciseFailed when the answer is refused
    assert out.getvalue().startswith(f"✅ Exercise {exercise_id}")
    return out.getvalue()


def failure(exercise_id, answer, **kwargs):
    with pytest.raises(ExerciseFailed) as info:
        check(exercise_id, answer, **kwargs)
    return str(info.value)


# ---------------------------------------------------------------- 10.1, PyTorch

def torch_right(last_hidden_state, attention_mask):
    weights = attention_mask.unsqueeze(-1).to(last_hidden_state.dtype)
    mean = (last_hidden_state * weights).sum(dim=1) / weights.sum(dim=1)
    return mean / mean.norm(dim=-1, keepdim=True)


def test_10_1_accepts_the_masked_normalised_mean():
    assert "length 1" in ok("10.1", torch_right, tensors="pt")
    # the masked sum, normalised, points the same way: also right
    ok("10.1", lambda h, m: torch.nn.functional.normalize((h * m.unsqueeze(-1)).sum(1), dim=-1),
       tensors="pt")
    # NumPy or a list as the result is fine too
    ok("10.1", lambda h, m: torch_right(h, m).numpy(), tensors="pt")
    ok("10.1", lambda h, m: torch_right(h, m).tolist(), tensors="pt")


def test_10_1_rejects_the_mean_without_the_mask():
    def no_mask(h, m):
        return torch.nn.functional.normalize(h.mean(dim=1), dim=-1)

    assert "padding tokens were averaged in" in failure("10.1", no_mask, tensors="pt")


def test_10_1_rejects_the_other_typical_mistakes():
    def not_normalised(h, m):
        w = m.unsqueeze(-1).to(h.dtype)
        return (h * w).sum(1) / w.sum(1)

    def tokens_normalised_first(h, m):
        w = m.unsqueeze(-1).to(h.dtype)
        return (torch.nn.functional.normalize(h, dim=-1) * w).sum(1) / w.sum(1)

    def keepdim(h, m):
        return torch_right(h, m).unsqueeze(1)

    def masked_max(h, m):
        pooled = h.masked_fill(m.unsqueeze(-1) == 0, -1e9).max(1).values
        return torch.nn.functional.normalize(pooled, dim=-1)

    assert "do not have length 1" in failure("10.1", not_normalised, tensors="pt")
    assert "normalised each token vector" in failure("10.1", tokens_normalised_first, tensors="pt")
    assert "keepdim" in failure("10.1", keepdim, tensors="pt")
    assert "not the masked mean" in failure("10.1", masked_max, tensors="pt")
    assert "returned None" in failure("10.1", lambda h, m: None, tensors="pt")


def test_10_1_reports_an_error_inside_the_function():
    message = failure("10.1", lambda h, m: h @ m, tensors="pt")
    assert "raised RuntimeError" in message and "cast it" in message


def test_10_1_rejects_a_wrong_type():
    hidden, mask = lesson10.padded_batch()
    answer = torch_right(torch.tensor(hidden), torch.tensor(mask))
    assert "expected a function" in failure("10.1", answer)
    assert "expected a function" in failure("10.1", "mean")
    assert "not a tensor of numbers" in failure("10.1", lambda h, m: "mean", tensors="pt")


# ---------------------------------------------------------------- 10.1, TensorFlow and NumPy

def test_10_1_tensorflow_tensors():
    from utils.device import import_tensorflow_quietly

    tf = import_tensorflow_quietly()

    def tf_right(h, m):
        w = tf.cast(m, h.dtype)[:, :, tf.newaxis]
        mean = tf.reduce_sum(h * w, axis=1) / tf.reduce_sum(w, axis=1)
        return tf.math.l2_normalize(mean, axis=-1)

    def tf_no_cast(h, m):  # float32 * int32 fails in TensorFlow
        return tf.math.l2_normalize(tf.reduce_sum(h * m[:, :, tf.newaxis], axis=1), axis=-1)

    def tf_no_mask(h, m):
        return tf.math.l2_normalize(tf.reduce_mean(h, axis=1), axis=-1)

    ok("10.1", tf_right, tensors="tf")
    assert "cast it" in failure("10.1", tf_no_cast, tensors="tf")
    assert "padding tokens were averaged in" in failure("10.1", tf_no_mask, tensors="tf")


def test_10_1_numpy_arrays():
    def np_right(h, m):
        w = m[..., None].astype(h.dtype)
        mean = (h * w).sum(1) / w.sum(1)
        return mean / np.linalg.norm(mean, axis=-1, keepdims=True)

    ok("10.1", np_right, tensors="np")
    assert "padding" in failure("10.1", lambda h, m: np_right(h, np.ones_like(m)), tensors="np")


# ---------------------------------------------------------------- 10.2

@pytest.fixture(scope="module")
def encoder_pt():
    from transformers import AutoModel, AutoTokenizer

    from utils import checkpoint

    ckpt = checkpoint("encoder", verbose=False)
    return AutoTokenizer.from_pretrained(ckpt), AutoModel.from_pretrained(ckpt)


def make_search(encoder_pt, pool="mean", normalise=True, reverse=False, offset=0):
    """A learner's search(query, corpus, k), right by default, or with one mistake."""
    tokenizer, model = encoder_pt

    def vectors(sentences):
        batch = tokenizer(list(sentences), padding=True, return_tensors="pt")
        with torch.no_grad():
            hidden = model(**batch).last_hidden_state
        weights = batch["attention_mask"].unsqueeze(-1).float()
        out = (hidden * weights).sum(1) / weights.sum(1) if pool == "mean" else hidden[:, 0]
        return torch.nn.functional.normalize(out, dim=-1) if normalise else out

    def search(query, corpus, k):
        scores = (vectors([query]) @ vectors(corpus).T)[0].numpy()
        order = np.argsort(scores if reverse else -scores)[:k]
        return [int(i) + offset for i in order]

    return search


def test_10_2_accepts_the_search(encoder_pt):
    search = make_search(encoder_pt)
    line = ok("10.2", search)
    assert line.startswith("✅ Exercise 10.2 (search with mean pooling): correct. 'Tips to fix a "
                           "computer that does not start.' (0.549)")
    assert "[CLS] would have put 'I bought a new laptop last week.' first" in line
    ok("10.2", lambda q, c, k: np.array(search(q, c, k)))  # NumPy indices
    with contextlib.redirect_stdout(io.StringIO()):
        check("10.2", search, query=lesson10.OTHER_QUERY, corpus=lesson10.OTHER_CORPUS, k=2)


@pytest.mark.parametrize("mistake, message", [
    (dict(pool="cls"), "ranking of the [CLS] vectors"),
    (dict(reverse=True), "least similar"),
    (dict(offset=1), "one too many"),
])
def test_10_2_names_the_mistake(encoder_pt, mistake, message):
    assert message in failure("10.2", make_search(encoder_pt, **mistake))


def test_10_2_unnormalised_vectors_fail_the_hidden_test(encoder_pt):
    raw = make_search(encoder_pt, normalise=False)
    ok("10.2", raw)  # the notebook's corpus ranks the same either way
    with pytest.raises(ExerciseFailed, match="on another query.*not normalised"):
        check("10.2", raw, query=lesson10.OTHER_QUERY, corpus=lesson10.OTHER_CORPUS, k=2)


def test_10_2_other_failures(encoder_pt):
    search = make_search(encoder_pt)
    assert "expected a function" in failure("10.2", 2)
    assert "returned the sentences" in failure(
        "10.2", lambda q, c, k: [c[i] for i in search(q, c, k)])
    assert "2 indices for k=3" in failure("10.2", lambda q, c, k: search(q, c, 2))
    assert "wrong order" in failure("10.2", lambda q, c, k: sorted(search(q, c, k)))
    assert "search returned int" in failure("10.2", lambda q, c, k: search(q, c, k)[0])
    assert "search(query, corpus, k) raised TypeError" in failure("10.2", lambda q, c: [0])
    fitted = lambda q, c, k: [2, 4, 3]  # noqa: E731
    ok("10.2", fitted)
    with pytest.raises(ExerciseFailed, match="on another query"):
        check("10.2", fitted, query=lesson10.OTHER_QUERY, corpus=lesson10.OTHER_CORPUS, k=2)


def test_10_2_same_ranking_in_tensorflow(encoder_pt):
    with contextlib.redirect_stdout(io.StringIO()):
        check("10.2", make_search(encoder_pt), fw="tf")


# ---------------------------------------------------------------- 10.3 and the framework

def test_10_3_quiz():
    assert "never trained" in ok("10.3", " C ")
    assert "padding goes at the end" in failure("10.3", "a")
    assert "got list" in failure("10.3", ["c"])
    # the misconception that pooler_output is the [CLS] vector
    assert "pooler_output is not the [CLS] vector" in failure("10.3", "d")


@pytest.mark.parametrize("recorded,expected", [("pt", "pt"), ("tf", "tf"), ("pt+tf", "pt"),
                                               (None, "pt")])
def test_framework_follows_the_notebook(monkeypatch, recorded, expected):
    """setup() records the lesson's framework in COURSE_FRAMEWORK; the checks follow it."""
    if recorded is None:
        monkeypatch.delenv("COURSE_FRAMEWORK", raising=False)
    else:
        monkeypatch.setenv("COURSE_FRAMEWORK", recorded)
    assert lesson10.framework() == expected


def test_pytorch_checks_do_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import os, sys; os.environ['USE_TF'] = '0'\n"
            "import torch\n"
            "from utils.checks import check\n"
            "def f(h, m):\n"
            "    w = m.unsqueeze(-1).float(); v = (h * w).sum(1) / w.sum(1)\n"
            "    return v / v.norm(dim=-1, keepdim=True)\n"
            "check('10.1', f)\n"
            "from utils.exercises.lesson10 import hidden_and_mask\n"
            "hidden_and_mask(['fine'])\n"
            "print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"
