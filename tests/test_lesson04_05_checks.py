"""Lessons 04 (tokenizers) and 05 (configs): every check accepts the right answer, and rejects a
typical wrong answer and a wrong type with a message that explains."""

import math

import pytest

from utils.checks import ExerciseFailed, check


@pytest.fixture(scope="module")
def english():
    from transformers import AutoTokenizer

    from utils import checkpoint

    return AutoTokenizer.from_pretrained(checkpoint("encoder", verbose=False))


@pytest.fixture(scope="module")
def encoder():
    from utils import checkpoint

    return checkpoint("encoder", verbose=False)


# ------------------------------------------------------------------ lesson 04

def test_04_1_second_segment(english):
    from utils.exercises.lesson04 import CONTEXT, QUESTION

    types = english(QUESTION, CONTEXT)["token_type_ids"]
    check("04.1", sum(types))
    with pytest.raises(ExerciseFailed, match="one short"):
        check("04.1", sum(types) - 1)  # forgot the closing [SEP]
    with pytest.raises(ExerciseFailed, match="first segment"):
        check("04.1", len(types) - sum(types))
    with pytest.raises(ExerciseFailed, match="got list"):
        check("04.1", types)


def test_04_2_numpy_batch(english):
    import torch

    from utils.exercises.lesson04 import TEXTS_EN

    def right(texts, length):
        return english(texts, padding="max_length", truncation=True, max_length=length,
                       return_tensors="np")["input_ids"]

    check("04.2", right)
    # The natural wrong answer: padding=True reaches `length` only when a sentence is long
    # enough (texts_en has one), so the check's short sentences catch it.
    def longest(texts, length):
        return english(texts, padding=True, truncation=True, max_length=length,
                       return_tensors="np")["input_ids"]

    assert longest(TEXTS_EN, 10).shape == (3, 10)
    with pytest.raises(ExerciseFailed, match=r"three short sentences with length=12: the array "
                       r"has shape \(3, \d+\).*\n.*padding=True pads only to the longest"):
        check("04.2", longest)
    with pytest.raises(ExerciseFailed, match="torch tensor"):
        check("04.2", lambda texts, length: torch.tensor(right(texts, length)))
    with pytest.raises(ExerciseFailed, match="whole BatchEncoding"):
        check("04.2", lambda texts, length: english(texts, padding="max_length", truncation=True,
                                                     max_length=length, return_tensors="np"))
    with pytest.raises(ExerciseFailed, match="got list"):
        check("04.2", lambda texts, length: right(texts, length).tolist())
    with pytest.raises(ExerciseFailed, match=r"expected a function, got ndarray(.|\n)*"
                                             r"def fixed_length_ids\(texts, length\)"):
        check("04.2", right(TEXTS_EN, 10))


def test_04_3_small_korean_tokenizer():
    from transformers import BertTokenizerFast

    from utils.data import korean_lines
    from utils.exercises.lesson04 import KOREAN_SENTENCE, SMALL_VOCAB, _train_wordpiece

    raw = _train_wordpiece(korean_lines(), SMALL_VOCAB)
    check("04.3", raw.encode(KOREAN_SENTENCE).tokens)
    # The same, wrapped in BertTokenizerFast correctly.
    fast = BertTokenizerFast(tokenizer_object=raw, do_lower_case=False, strip_accents=False)
    check("04.3", fast.tokenize(KOREAN_SENTENCE))
    # Wrapped without do_lower_case=False: the normalizer strips accents, Hangul becomes [UNK].
    wrong = BertTokenizerFast(tokenizer_object=_train_wordpiece(korean_lines(), SMALL_VOCAB))
    with pytest.raises(ExerciseFailed, match=r"\[UNK\](.|\n)*strip_accents=False"):
        check("04.3", wrong.tokenize(KOREAN_SENTENCE))
    bigger = _train_wordpiece(korean_lines(), 4000).encode(KOREAN_SENTENCE).tokens
    with pytest.raises(ExerciseFailed, match="4,000-token vocabulary"):
        check("04.3", bigger)
    with pytest.raises(ExerciseFailed, match=r"\[CLS\]"):
        check("04.3", ["[CLS]", *raw.encode(KOREAN_SENTENCE).tokens, "[SEP]"])
    with pytest.raises(ExerciseFailed, match="not token strings"):
        check("04.3", raw.encode(KOREAN_SENTENCE).ids)
    with pytest.raises(ExerciseFailed, match="got str"):
        check("04.3", " ".join(raw.encode(KOREAN_SENTENCE).tokens))


def test_04_4_quiz():
    check("04.4", "a")
    with pytest.raises(ExerciseFailed, match="nothing links a tokenizer"):
        check("04.4", "b")
    with pytest.raises(ExerciseFailed, match="got int"):
        check("04.4", 2)


# ------------------------------------------------------------------ lesson 05

def test_05_1_parameter_count():
    from transformers import BertConfig, BertModel

    from utils.exercises.lesson05 import EXERCISE_CONFIG

    config = BertConfig(**EXERCISE_CONFIG)
    right = sum(p.numel() for p in BertModel(config).parameters())
    check("05.1", right)
    no_pooler = sum(p.numel() for p in BertModel(config, add_pooling_layer=False).parameters())
    with pytest.raises(ExerciseFailed, match="pooler is missing"):
        check("05.1", no_pooler)
    with pytest.raises(ExerciseFailed, match="TensorFlow model has no weights"):
        check("05.1", 0)
    with pytest.raises(ExerciseFailed, match="not the number of parameters"):
        check("05.1", right + 1)
    with pytest.raises(ExerciseFailed, match="got the float"):
        check("05.1", float(right))


def test_05_2_three_labels(encoder):
    from transformers import AutoConfig

    from utils.exercises.lesson05 import LABELS

    id2label = dict(enumerate(LABELS))
    label2id = {name: i for i, name in id2label.items()}
    check("05.2", AutoConfig.from_pretrained(encoder, id2label=id2label, label2id=label2id))
    only_id2label = AutoConfig.from_pretrained(encoder, id2label=id2label)  # label2id stays stale
    with pytest.raises(ExerciseFailed, match="label2id is a separate field"):
        check("05.2", only_id2label)
    changed = AutoConfig.from_pretrained(encoder, id2label=id2label, label2id=label2id,
                                         num_attention_heads=6)
    with pytest.raises(ExerciseFailed, match="num_attention_heads"):
        check("05.2", changed)
    string_keys = AutoConfig.from_pretrained(encoder, label2id=label2id)
    string_keys.id2label = {str(i): name for i, name in id2label.items()}
    with pytest.raises(ExerciseFailed, match="string keys"):
        check("05.2", string_keys)
    with pytest.raises(ExerciseFailed, match="got dict"):
        check("05.2", id2label)


def test_05_3_expected_loss():
    check("05.3", math.log(7))
    check("05.3", 1.95)  # a measured first loss is close enough
    with pytest.raises(ExerciseFailed, match="probability of the right label"):
        check("05.3", 1 / 7)
    with pytest.raises(ExerciseFailed, match="base-10"):
        check("05.3", math.log10(7))
    with pytest.raises(ExerciseFailed, match="not within"):
        check("05.3", 3.0)
    with pytest.raises(ExerciseFailed, match="got str"):
        check("05.3", "1.946")


def test_05_4_quiz():
    check("05.4", "B")
    with pytest.raises(ExerciseFailed, match="dropout only acts in training"):
        check("05.4", "c")
    with pytest.raises(ExerciseFailed, match="not one of the options"):
        check("05.4", "e")
    with pytest.raises(ExerciseFailed, match="got NoneType"):
        check("05.4", None)


def test_numpy_integers_count_as_ints(english):
    # A learner who sums a NumPy array gets np.int64: that is an integer answer too.
    from utils.exercises.lesson04 import CONTEXT, QUESTION

    types = english(QUESTION, CONTEXT, return_tensors="np")["token_type_ids"]
    check("04.1", types.sum())
    with pytest.raises(ExerciseFailed, match="not the number of tokens with token_type_id 1"):
        check("04.1", types.sum() + 5)
