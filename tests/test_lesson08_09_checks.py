"""Lessons 08 (padding and speed) and 09 (adding tokens): every check accepts the right answer, and
rejects a typical wrong answer and a wrong type with a message that explains."""

import math

import numpy as np
import pytest

from tests.helpers import assert_runs_without_tensorflow
from utils.checks import ExerciseFailed, check


@pytest.fixture(scope="module")
def encoder():
    from utils import checkpoint

    return checkpoint("encoder", verbose=False)


@pytest.fixture(scope="module")
def english(encoder):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(encoder)


@pytest.fixture(scope="module")
def validation():
    from utils import load_polarity

    return load_polarity()["validation"]


# ------------------------------------------------------------------ lesson 08

def grouped_batches(lengths, batch_size, batches_per_megabatch, seed):
    """Exercise 08.1's solution."""
    order = np.random.default_rng(seed).permutation(len(lengths))
    megabatch = batch_size * batches_per_megabatch
    batches = []
    for start in range(0, len(order), megabatch):
        longest_first = sorted(order[start:start + megabatch], key=lambda i: lengths[i],
                               reverse=True)
        batches += [[int(i) for i in longest_first[k:k + batch_size]]
                    for k in range(0, len(longest_first), batch_size)]
    return batches


def test_08_1_grouped_batches(capsys):
    check("08.1", grouped_batches)
    out = capsys.readouterr().out
    assert "100 batches of 32 in megabatches of 25" in out
    assert "(48.0%) for shuffled batches of 32" in out
    check("08.1", grouped_batches, lengths="korean")
    assert "155 batches of 16" in capsys.readouterr().out
    # NumPy arrays of NumPy ints are fine too.
    check("08.1", lambda *a: [np.array(b) for b in grouped_batches(*a)])


def _whole_set_sorted(lengths, batch_size, per_mega, seed):
    order = sorted(np.random.default_rng(seed).permutation(len(lengths)),
                   key=lambda i: lengths[i], reverse=True)
    return [[int(i) for i in order[k:k + batch_size]] for k in range(0, len(order), batch_size)]


def _shortest_first(lengths, batch_size, per_mega, seed):
    batches = grouped_batches(lengths, batch_size * per_mega, 1, seed)
    return [[i for i in reversed(mega)][k:k + batch_size] for mega in batches
            for k in range(0, len(mega), batch_size)]


@pytest.mark.parametrize("answer, message", [
    (_whole_set_sorted, "sorts all 3,200 sentences as one group"),
    (_shortest_first, "shortest first"),
    (lambda n, b, m, s: [list(np.random.default_rng(s).permutation(len(n)))[k:k + b]
                         for k in range(0, len(n), b)], "not sorted by length"),
    (lambda n, b, m, s: grouped_batches(n, b, m, 0), "the shuffle does not depend on the seed"),
    (lambda n, b, m, s: grouped_batches(n, b, m, np.random.randint(1 << 30)),
     "two calls with the same seed gave different batches"),
    (lambda n, b, m, s: [[n[i] for i in x] for x in grouped_batches(n, b, m, s)],
     "returned lengths, not indices"),
    (lambda n, b, m, s: [x for x in grouped_batches(n, b, m, s) if len(x) == b],
     r"grouped_batches\(lengths, 30, 8, seed=42\) does not hold every index .*20 missing"),
    (lambda n, b, m, s: [i for x in grouped_batches(n, b, m, s) for i in x], "one flat list"),
    (lambda n, b, m, s: grouped_batches(n, b * m, 1, s), "batches of sizes"),
    (lambda n, b, m, s: [[float(i) for i in x] for x in grouped_batches(n, b, m, s)],
     "holding float"),
    (lambda n, b, m, s: n.missing, "raised AttributeError"),
    ([[0, 1], [2]], "expected a function"),
])
def test_08_1_names_the_mistake(answer, message):
    with pytest.raises(ExerciseFailed, match=message):
        check("08.1", answer)


def test_08_1_on_the_korean_lengths_says_which_input():
    with pytest.raises(ExerciseFailed, match="on the 2,480 Korean lines' lengths"):
        check("08.1", lambda n, b, m, s: grouped_batches(n, b, m, 0), lengths="korean")


def _positions(english, validation, batch_size=32, **kwargs):
    lengths = [len(ids) for ids in english(list(validation["sentence"]), **kwargs)["input_ids"]]
    return sum(len(lengths[i:i + batch_size]) * max(lengths[i:i + batch_size])
               for i in range(0, len(lengths), batch_size)), lengths


def test_08_2_positions(english, validation):
    right, lengths = _positions(english, validation, truncation=True, max_length=64)
    check("08.2", right)
    check("08.2", np.int64(right))
    with pytest.raises(ExerciseFailed, match="only the real tokens"):
        check("08.2", sum(lengths))
    with pytest.raises(ExerciseFailed, match="static padding"):
        check("08.2", len(lengths) * 64)
    with pytest.raises(ExerciseFailed, match="longest sentence of the whole split"):
        check("08.2", math.ceil(len(lengths) / 32) * 32 * max(lengths))
    with pytest.raises(ExerciseFailed, match="not the number of positions"):
        check("08.2", right + 1)
    with pytest.raises(ExerciseFailed, match="got list"):
        check("08.2", [right])


def test_08_hints_speak_the_lessons_framework(english, validation, monkeypatch):
    """The TensorFlow twin's hints name TensorFlow ops, the PyTorch lesson's PyTorch methods."""
    right, lengths = _positions(english, validation, truncation=True, max_length=64)
    for framework, api in (("pt", "numel()"), ("tf", "tf.size(")):
        monkeypatch.setenv("COURSE_FRAMEWORK", framework)
        for wrong in (sum(lengths), right + 1):
            with pytest.raises(ExerciseFailed) as failed:
                check("08.2", wrong)
            assert api in str(failed.value), (framework, str(failed.value))


def test_08_3_quiz():
    check("08.3", "b")
    with pytest.raises(ExerciseFailed, match="shuffles first"):
        check("08.3", "a")
    with pytest.raises(ExerciseFailed, match="still computed"):  # "the mask makes padding free"
        check("08.3", "c")
    with pytest.raises(ExerciseFailed, match="not one of the options"):
        check("08.3", "e")
    with pytest.raises(ExerciseFailed, match="got int"):
        check("08.3", 2)


# ------------------------------------------------------------------ lesson 09

def _extended(encoder, words):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(encoder)
    returned = tokenizer.add_tokens(list(words))
    return tokenizer, returned


def test_09_1_new_length(encoder, english):
    from utils.exercises.lesson09 import WORDS

    tokenizer, returned = _extended(encoder, WORDS)
    right = len(tokenizer)
    assert returned != right - len(english)  # "vaccine" is already known: the trap exists
    check("09.1", right)
    check("09.1", np.int64(right))
    with pytest.raises(ExerciseFailed, match="trusts the return value"):
        check("09.1", len(english) + returned)
    with pytest.raises(ExerciseFailed, match="vocab_size"):
        check("09.1", tokenizer.vocab_size)
    with pytest.raises(ExerciseFailed, match="largest id"):
        check("09.1", right - 1)
    with pytest.raises(ExerciseFailed, match="got str"):
        check("09.1", str(right))


@pytest.fixture(scope="module")
def marked(encoder):
    """A fresh tokenizer with [KO] added as a special token, and the ids of [KO] and 'korean'."""
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(encoder)
    tokenizer.add_special_tokens({"additional_special_tokens": ["[KO]"]})
    return tokenizer, *tokenizer.convert_tokens_to_ids(["[KO]", "korean"])


def _resized(encoder, tokenizer):
    from transformers import AutoModel

    model = AutoModel.from_pretrained(encoder)
    model.resize_token_embeddings(len(tokenizer))
    return model


def test_09_2_marker_row(encoder, english, marked):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer, new_id, korean_id = marked
    model = _resized(encoder, tokenizer)
    weight = model.get_input_embeddings().weight
    with pytest.raises(ExerciseFailed, match="still the mean embedding"):
        check("09.2", tokenizer, model)
    copy = weight.detach().clone()
    copy[new_id] = copy[korean_id]  # changed a copy: the model is unchanged
    with pytest.raises(ExerciseFailed, match="still the mean embedding"):
        check("09.2", tokenizer, model)
    with torch.no_grad():
        weight[new_id] = weight[english.convert_tokens_to_ids("korea")]
    with pytest.raises(ExerciseFailed, match="copy of the row of 'korea'"):
        check("09.2", tokenizer, model)
    with torch.no_grad():
        weight[new_id] = weight[korean_id]
    check("09.2", tokenizer, model)
    with pytest.raises(ExerciseFailed, match="tokenizer first"):
        check("09.2", model, tokenizer)
    with pytest.raises(ExerciseFailed, match="model as the second"):
        check("09.2", tokenizer)
    with torch.no_grad():
        weight[new_id - 1] = weight[korean_id]  # also an old row: off by one
    with pytest.raises(ExerciseFailed, match=r"1 old row\(s\) changed \(id 30,521\)"):
        check("09.2", tokenizer, model)

    with pytest.raises(ExerciseFailed, match="was not resized"):
        check("09.2", tokenizer, AutoModel.from_pretrained(encoder))
    rounded = AutoModel.from_pretrained(encoder)
    rounded.resize_token_embeddings(len(tokenizer), pad_to_multiple_of=64)
    with pytest.raises(ExerciseFailed, match="exactly len"):
        check("09.2", tokenizer, rounded)
    ordinary = AutoTokenizer.from_pretrained(encoder)
    ordinary.add_tokens(["[KO]"])
    with pytest.raises(ExerciseFailed, match="ordinary token"):
        check("09.2", ordinary, model)
    with pytest.raises(ExerciseFailed, match="no \\[KO\\] token"):
        check("09.2", AutoTokenizer.from_pretrained(encoder), model)
    lesson_like = AutoTokenizer.from_pretrained(encoder)
    lesson_like.add_tokens(["covid", "telehealth"])
    lesson_like.add_special_tokens({"additional_special_tokens": ["[KO]"]})
    with pytest.raises(ExerciseFailed, match="start from a fresh"):
        check("09.2", lesson_like, model)


def test_09_2_small_random_row(encoder, marked):
    # TensorFlow's resize fills the new row with small random numbers (sd 0.02); a model left so
    # (or changed through a .numpy() copy) gets the TensorFlow hint. Simulated on a PyTorch model.
    import torch

    tokenizer, new_id, _ = marked
    model = _resized(encoder, tokenizer)
    with torch.no_grad():
        model.get_input_embeddings().weight[new_id] = (
            torch.randn(384, generator=torch.Generator().manual_seed(0)) * 0.018).clamp(-0.04, 0.04)
    with pytest.raises(ExerciseFailed, match=r"(?s)small random numbers.*\.assign"):
        check("09.2", tokenizer, model)


def test_09_3_quiz():
    check("09.3", " D ")
    with pytest.raises(ExerciseFailed, match="only resize_token_embeddings"):
        check("09.3", "b")
    with pytest.raises(ExerciseFailed, match="got NoneType"):
        check("09.3", None)
    # the misconception that setting config.vocab_size by hand is enough
    with pytest.raises(ExerciseFailed, match="setting the field by hand adds no rows"):
        check("09.3", "c")


def test_lesson_checks_do_not_import_tensorflow():
    assert_runs_without_tensorflow("import utils.exercises.lesson08, utils.exercises.lesson09\n"
                                   "from utils.checks import check\n"
                                   "check('09.1', 30525)\n")
