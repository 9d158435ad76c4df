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

def test_08_1_padding_fraction(english, validation):
    from transformers import DataCollatorWithPadding

    batch = DataCollatorWithPadding(english)([english(s) for s in validation[:8]["sentence"]])
    mask = batch["attention_mask"]
    right = 1 - mask.sum().item() / mask.numel()
    check("08.1", right)
    check("08.1", 1 - mask.sum() / mask.numel())  # a 0-d tensor is fine too
    check("08.1", np.float32(right))
    with pytest.raises(ExerciseFailed, match="share of real tokens"):
        check("08.1", 1 - right)
    with pytest.raises(ExerciseFailed, match="percentage"):
        check("08.1", 100 * right)
    real = mask.sum().item()
    with pytest.raises(ExerciseFailed, match="64 wide"):
        check("08.1", 1 - real / (8 * 64))
    with pytest.raises(ExerciseFailed, match="got str"):
        check("08.1", f"{right:.3f}")


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


def test_09_2_embedding_shape(encoder, english):
    import torch

    from utils.exercises.lesson09 import MORE_WORDS

    tokenizer, _ = _extended(encoder, MORE_WORDS)
    rows = math.ceil(len(tokenizer) / 64) * 64
    assert rows != len(tokenizer)
    hidden = 384
    check("09.2", (rows, hidden))
    check("09.2", torch.Size([rows, hidden]))
    check("09.2", [np.int64(rows), np.int64(hidden)])
    with pytest.raises(ExerciseFailed, match="not rounded up"):
        check("09.2", (len(tokenizer), hidden))
    with pytest.raises(ExerciseFailed, match="was not resized"):
        check("09.2", (len(english), hidden))
    with pytest.raises(ExerciseFailed, match="transposed"):
        check("09.2", (hidden, rows))
    with pytest.raises(ExerciseFailed, match="not the smallest"):
        check("09.2", (rows - 64, hidden))
    with pytest.raises(ExerciseFailed, match="not its shape"):
        check("09.2", torch.zeros(rows, 2))
    with pytest.raises(ExerciseFailed, match="got one int"):
        check("09.2", rows)


def test_09_2_accepts_a_tensorflow_shape(encoder):
    # TensorShape has as_list(); a stand-in keeps this test free of TensorFlow.
    class FakeTensorShape:
        def __init__(self, dims):
            self.dims = dims

        def as_list(self):
            return list(self.dims)

    from utils.exercises.lesson09 import MORE_WORDS

    tokenizer, _ = _extended(encoder, MORE_WORDS)
    check("09.2", FakeTensorShape([math.ceil(len(tokenizer) / 64) * 64, 384]))


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
