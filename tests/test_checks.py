"""Exercise checks: right answers pass, wrong answers and wrong types fail with a hint."""

import pytest

from utils.checks import ExerciseFailed, Wrong, check, exercise, expect_type, quiz


@exercise("test.double", "double a number")
def _double(answer, x=21):
    expect_type(answer, int, "the doubled number")
    if answer != 2 * x:
        raise Wrong(f"{answer} is not twice {x}.", "multiply by 2.")


quiz("test.quiz", "a question", correct="b",
     explanations={"a": "no, because A.", "b": "yes, because B.", "c": "no, because C."})


def test_right_answer_prints(capsys):
    check("test.double", 42)
    assert "✅ Exercise test.double (double a number): correct." in capsys.readouterr().out


def test_wrong_answer_explains_and_hints():
    with pytest.raises(ExerciseFailed) as info:
        check("test.double", 41)
    assert "41 is not twice 21" in str(info.value) and "Hint: multiply by 2." in str(info.value)
    # Jupyter shows these lines instead of a traceback.
    assert info.value._render_traceback_()[0].startswith("❌ Exercise test.double")


@pytest.mark.parametrize("answer", ["42", 42.0, True, None, [42]])
def test_wrong_type_is_named(answer):
    with pytest.raises(ExerciseFailed, match=f"got {type(answer).__name__}"):
        check("test.double", answer)


def test_placeholder_answer():
    with pytest.raises(ExerciseFailed, match="no answer yet"):
        check("test.double", ...)


def test_unknown_exercise_lists_known():
    with pytest.raises(KeyError, match="test.double"):
        check("nope", 1)


def test_quiz(capsys):
    check("test.quiz", " B ")
    assert "yes, because B." in capsys.readouterr().out
    with pytest.raises(ExerciseFailed, match="no, because C"):
        check("test.quiz", "c")
    with pytest.raises(ExerciseFailed, match="not one of the options"):
        check("test.quiz", "e")
    with pytest.raises(ExerciseFailed, match="got int"):
        check("test.quiz", 2)


def test_setup_exercise_00_1_end_to_end():
    from transformers import AutoTokenizer

    from utils import checkpoint

    tokenizer = AutoTokenizer.from_pretrained(checkpoint("encoder"))
    text = "Hello, Korea! 안녕하세요"
    ids = tokenizer(text)["input_ids"]
    check("00.1", len(ids))
    with pytest.raises(ExerciseFailed, match="special tokens"):
        check("00.1", len(ids) - 2)  # forgot [CLS] and [SEP]: a targeted hint
    with pytest.raises(ExerciseFailed, match="not right"):
        check("00.1", len(ids) + 1)


def _kiwi():
    from kiwipiepy import Kiwi

    return Kiwi()


def content_words(sentence):
    """Exercise 01.1's solution."""
    return [t.form for t in _kiwi().tokenize(sentence) if t.tag.startswith(("NN", "VV", "VA"))]


def test_01_1_content_words(capsys):
    from utils.exercises.lesson01 import OTHER_SENTENCE

    check("01.1", content_words)
    out = capsys.readouterr().out
    assert "6 content words ['서울', '겨울', '춥', '시장', '음식', '맛있']" in out
    check("01.1", content_words, sentence=OTHER_SENTENCE)
    assert "['친구', '영화', '보', '집', '걷']" in capsys.readouterr().out


@pytest.mark.parametrize("answer, message", [
    (lambda s: s.split(), "splits on spaces"),
    (lambda s: [t.form for t in _kiwi().tokenize(s)], "keeps every morpheme"),
    (lambda s: [t.form for t in _kiwi().tokenize(s) if t.tag in ("NNG", "NNP", "VV", "VA")],
     r"춥 \(VA-I\) is missing"),
    (lambda s: [t.form for t in _kiwi().tokenize(s) if t.tag.startswith("NN")], "nouns only"),
    (lambda s: sorted(content_words(s)), "another order"),
    (lambda s: set(content_words(s)), "returned set"),
    (lambda s: [t for t in _kiwi().tokenize(s) if t.tag.startswith(("NN", "VV", "VA"))],
     "Token objects"),
    (lambda s: s.missing, "content_words\\(sentence\\) raised AttributeError"),
    (["서울", "겨울"], "expected a function"),
])
def test_01_1_names_the_mistake(answer, message):
    with pytest.raises(ExerciseFailed, match=message):
        check("01.1", answer)


def test_01_1_fitted_answer_fails_on_the_other_sentence():
    from utils.exercises.lesson01 import OTHER_SENTENCE

    fitted = lambda s: ["서울", "겨울", "춥", "시장", "음식", "맛있"]  # noqa: E731
    check("01.1", fitted)
    with pytest.raises(ExerciseFailed, match="on another sentence"):
        check("01.1", fitted, sentence=OTHER_SENTENCE)
    exact = lambda s: [t.form for t in _kiwi().tokenize(s)  # noqa: E731
                       if t.tag in ("NNG", "NNP", "VV", "VA")]
    with pytest.raises(ExerciseFailed, match=r"걷 \(VV-I\) is missing"):
        check("01.1", exact, sentence=OTHER_SENTENCE)


def class_for(config, auto_class):
    """Exercise 01.2's solution."""
    return type(auto_class.from_config(config)).__name__


def _pattern(config, auto_class):
    task = auto_class.__name__.removeprefix("AutoModel")
    return type(config).__name__.removesuffix("Config") + (task or "Model")


def test_01_2_class_for(capsys):
    from utils.exercises.lesson01 import OTHER_CASES

    check("01.2", class_for)
    out = capsys.readouterr().out
    assert "AutoModelForSequenceClassification → BertForSequenceClassification" in out
    assert "`architectures` says ['BertModel']" in out
    check("01.2", class_for, cases=OTHER_CASES)
    assert "AutoModelForCausalLM → GPT2LMHeadModel" in capsys.readouterr().out


@pytest.mark.parametrize("answer, message", [
    (lambda c, a: c.architectures[0], "the config's `architectures`"),
    (lambda c, a: a.__name__, "the factory"),
    (lambda c, a: type(a.from_config(c)), "the class BertModel itself"),
    (lambda c, a: a.from_config(c), "returned a BertModel"),
    (lambda c, a: c.missing, r"class_for\(<BertConfig>, AutoModel\) raised AttributeError"),
    ("BertForSequenceClassification", "expected a function"),
])
def test_01_2_names_the_mistake(answer, message):
    with pytest.raises(ExerciseFailed, match=message):
        check("01.2", answer)


@pytest.mark.parametrize("answer, message", [
    (_pattern, "GPT2ForCausalLM', which the naming pattern suggests"),
    (lambda c, a: "Bert" + (a.__name__.removeprefix("AutoModel") or "Model"),
     "model_type is 'distilbert'"),
])
def test_01_2_rules_that_fit_bert_fail_on_the_other_configs(answer, message):
    from utils.exercises.lesson01 import OTHER_CASES

    check("01.2", answer)
    with pytest.raises(ExerciseFailed, match=f"on other configs .*{message}"):
        check("01.2", answer, cases=OTHER_CASES)
