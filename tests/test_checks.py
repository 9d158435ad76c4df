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


def test_one_rule_for_shapes():
    """checks.as_shape serves every shape answer (lessons 03 and 09): tuples, lists, torch.Size
    and TensorShape-like objects pass; a number, a tensor or a string gets a hint with the
    lesson's own expression."""
    import numpy as np

    from utils.checks import as_shape

    class TensorShapeLike:  # what a TensorFlow TensorShape offers
        def as_list(self):
            return [2, 384]

    how = "tuple(outputs.pooler_output.shape)"
    assert as_shape((2, 384), how) == (2, 384)
    assert as_shape([np.int64(2), 384], how) == (2, 384)
    assert as_shape(TensorShapeLike(), how) == (2, 384)
    for wrong, message in ((384, "one int"), (np.zeros((2, 384)), "not its shape"),
                           ("(2, 384)", "tuple of ints"), ((2.0, 384), "whole number")):
        with pytest.raises(Wrong, match=message) as failed:
            as_shape(wrong, how)
        if message != "whole number":
            assert how in failed.value.hint
