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


def _bpe(mark: str = "", decoder: bool = True, lowercase: bool = False):
    """A train_bpe function: `mark` is "##" (prefix), "</w>" (suffix), "meta" (▁) or ""."""
    from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

    from utils.exercises.lesson04 import SPECIAL_TOKENS

    def train_bpe(texts, vocab_size):
        options = ({"continuing_subword_prefix": "##"} if mark == "##" else
                   {"end_of_word_suffix": "</w>"} if mark == "</w>" else {})
        tokenizer = Tokenizer(models.BPE(unk_token="[UNK]", **options))
        tokenizer.normalizer = normalizers.BertNormalizer(
            lowercase=lowercase, strip_accents=None if lowercase else False)
        tokenizer.pre_tokenizer = (pre_tokenizers.Metaspace() if mark == "meta"
                                   else pre_tokenizers.BertPreTokenizer())
        if decoder:  # BPEDecoder without a suffix glues every piece: no spaces at all
            tokenizer.decoder = {"##": decoders.WordPiece(), "meta": decoders.Metaspace(),
                                 "</w>": decoders.BPEDecoder(suffix="</w>"),
                                 "": decoders.BPEDecoder()}[mark]
        trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=SPECIAL_TOKENS,
                                      show_progress=False, **options)
        tokenizer.train_from_iterator(texts, trainer)
        return tokenizer

    return train_bpe


def test_04_3_bpe_that_decodes(capsys):
    from tokenizers import Tokenizer, models, trainers

    from utils.data import korean_lines
    from utils.exercises.lesson04 import SPECIAL_TOKENS, _train_wordpiece

    for mark in ("##", "</w>", "meta"):  # every way of marking word boundaries passes
        check("04.3", _bpe(mark))
        assert "decodes back to '대한민국은 민주공화국이다'" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed, match="the spaces are gone"):
        check("04.3", _bpe(""))
    with pytest.raises(ExerciseFailed, match="the spaces are in the wrong places"):
        check("04.3", _bpe("", decoder=False))  # the lesson's BPE: a space between all pieces
    with pytest.raises(ExerciseFailed, match="does not read the ## mark"):
        check("04.3", _bpe("##", decoder=False))
    with pytest.raises(ExerciseFailed, match="separate jamo"):
        check("04.3", _bpe("##", lowercase=True))
    with pytest.raises(ExerciseFailed, match="a WordPiece tokenizer, not BPE"):
        check("04.3", lambda texts, size: _train_wordpiece(texts, size))
    with pytest.raises(ExerciseFailed, match="expected a function"):
        check("04.3", _bpe("##")(korean_lines(), 2000))
    with pytest.raises(ExerciseFailed, match="returned NoneType"):
        check("04.3", lambda texts, size: None)
    with pytest.raises(ExerciseFailed, match="raised ZeroDivisionError"):
        check("04.3", lambda texts, size: 1 / 0)

    def no_specials(texts, vocab_size):
        tokenizer = Tokenizer(models.BPE(unk_token="[UNK]"))
        tokenizer.train_from_iterator(texts, trainers.BpeTrainer(vocab_size=vocab_size,
                                                                 show_progress=False))
        return tokenizer

    with pytest.raises(ExerciseFailed, match="special tokens have ids"):
        check("04.3", no_specials)
    assert SPECIAL_TOKENS[0] == "[PAD]"

def test_04_4_quiz():
    check("04.4", "a")
    with pytest.raises(ExerciseFailed, match="nothing links a tokenizer"):
        check("04.4", "b")
    with pytest.raises(ExerciseFailed, match="got int"):
        check("04.4", 2)


# ------------------------------------------------------------------ lesson 05

def test_05_1_korean_config(encoder, capsys):
    from transformers import AutoConfig, AutoTokenizer, BertConfig, BertModel

    from utils import checkpoint

    korean = len(AutoTokenizer.from_pretrained(checkpoint("korean-tokenizer", verbose=False)))
    assert korean == 4000
    check("05.1", AutoConfig.from_pretrained(encoder, vocab_size=korean))
    assert "12,528,768 parameters instead of the encoder's 22,713,216" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed, match="English vocabulary's size"):
        check("05.1", AutoConfig.from_pretrained(encoder))
    with pytest.raises(ExerciseFailed, match="hidden_size is 768, BertConfig's default; the "
                                             "encoder's is 384"):
        check("05.1", BertConfig(vocab_size=korean))
    with pytest.raises(ExerciseFailed, match="but the Korean tokenizer has 4,000"):
        check("05.1", AutoConfig.from_pretrained(encoder, vocab_size=3999))
    with pytest.raises(ExerciseFailed, match="num_hidden_layers is 2"):
        check("05.1", AutoConfig.from_pretrained(encoder, vocab_size=korean, num_hidden_layers=2))
    with pytest.raises(ExerciseFailed, match="got a model"):
        check("05.1", BertModel(AutoConfig.from_pretrained(encoder, vocab_size=korean)))
    with pytest.raises(ExerciseFailed, match="expected a config, got int"):
        check("05.1", 12_528_768)


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
