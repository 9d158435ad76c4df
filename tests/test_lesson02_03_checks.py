"""Checks of lessons 02 (pipeline) and 03 (models): each accepts the right answer, computed here
from the checkpoints with PyTorch, and rejects a typical wrong answer and a wrong type with a
message that explains."""

import contextlib
import io

import numpy as np
import pytest
import torch
from transformers import AutoModel, AutoModelForSequenceClassification, AutoTokenizer

from utils import checkpoint
from utils.checks import ExerciseFailed, check
from utils.exercises import lesson02, lesson03


@pytest.fixture(scope="module")
def sentiment():
    ckpt = checkpoint("sentiment", verbose=False)
    return (AutoTokenizer.from_pretrained(ckpt),
            AutoModelForSequenceClassification.from_pretrained(ckpt))


@pytest.fixture(scope="module")
def encoder():
    ckpt = checkpoint("encoder", verbose=False)
    return AutoTokenizer.from_pretrained(ckpt), AutoModel.from_pretrained(ckpt)


def logits_of(tokenizer, model, sentences, **kwargs):
    inputs = tokenizer(list(sentences), padding=True, return_tensors="pt")
    if kwargs.get("mask") is False:
        inputs.pop("attention_mask")
    with torch.no_grad():
        return model(**inputs).logits


def ok(exercise_id, answer):
    """Run a check that must pass; return the line it printed."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check(exercise_id, answer)  # raises ExerciseFailed when the answer is not accepted
    assert out.getvalue().startswith(f"✅ Exercise {exercise_id}")
    return out.getvalue()


def failure(exercise_id, answer):
    with pytest.raises(ExerciseFailed) as info:
        check(exercise_id, answer)
    return str(info.value)


# ---------------------------------------------------------------- lesson 02

def test_02_checks_use_pytorch_here():
    assert lesson02.framework() == "pt"


def test_02_1_accepts_the_score_in_any_form(sentiment):
    tokenizer, model = sentiment
    probs = torch.softmax(logits_of(tokenizer, model, [lesson02.SCORE_SENTENCE]), dim=-1)
    positive = model.config.label2id["POSITIVE"]
    score = probs[0, positive]
    for answer in (score.item(), score, score.numpy(), np.float32(score.item()),
                   probs[:, positive]):
        assert "P(POSITIVE)" in ok("02.1", answer)


def test_02_1_rejects_typical_mistakes(sentiment):
    tokenizer, model = sentiment
    logits = logits_of(tokenizer, model, [lesson02.SCORE_SENTENCE])
    probs = torch.softmax(logits, dim=-1)
    positive = model.config.label2id["POSITIVE"]
    negative = model.config.label2id["NEGATIVE"]
    assert "is a logit, not a probability" in failure("02.1", logits[0, positive].item())
    assert "probability of NEGATIVE" in failure("02.1", probs[0, negative].item())
    assert "one number" in failure("02.1", probs[0])  # both probabilities
    message = failure("02.1", 0.5)
    assert "not within" in message and "Hint:" in message


@pytest.mark.parametrize("answer", ["0.97", None, True, {"score": 0.9}])
def test_02_1_rejects_wrong_types(answer):
    assert f"got {type(answer).__name__}" in failure("02.1", answer)


def _classifier(tokenizer, model, mask=True, score="max", logits_only=False):
    """A classify(sentences) function: right by default, or with one typical mistake."""
    def classify(sentences):
        logits = logits_of(tokenizer, model, sentences, mask=mask)
        values = logits if logits_only else torch.softmax(logits, dim=-1)
        return [{"label": model.config.id2label[int(row.argmax())],
                 "score": float(row.max() if score == "max" else row[1])} for row in values]
    return classify


def test_02_2_accepts_the_pipeline_by_hand(sentiment):
    tokenizer, model = sentiment
    line = ok("02.2", _classifier(tokenizer, model))
    # The message reports the pipeline's own numbers, computed here independently of the check.
    batch = list(lesson02.BATCH)
    masked = torch.softmax(logits_of(tokenizer, model, batch), dim=-1)
    unmasked = torch.softmax(logits_of(tokenizer, model, batch, mask=False), dim=-1)
    shown = ", ".join(f"{model.config.id2label[int(row.argmax())]} {float(row.max()):.3f}"
                      for row in masked)
    assert shown in line
    shortest = min(range(len(batch)), key=lambda i: len(batch[i]))
    with_mask, without = float(masked[shortest].max()), float(unmasked[shortest].max())
    assert f"would get {without:.3f} instead of {with_mask:.3f}" in line
    assert abs(with_mask - without) > 0.01  # the mask matters for the short sentence
    ok("02.2", lambda sentences: tuple(_classifier(tokenizer, model)(sentences)))
    with contextlib.redirect_stdout(io.StringIO()):
        check("02.2", _classifier(tokenizer, model), sentences=lesson02.OTHER_BATCH)


def test_02_2_rejects_typical_mistakes(sentiment):
    tokenizer, model = sentiment
    assert "attended to the padding" in failure("02.2", _classifier(tokenizer, model, mask=False))
    assert "P(POSITIVE), also for NEGATIVE" in failure("02.2", _classifier(tokenizer, model,
                                                                          score="positive"))
    assert "are logits, not probabilities" in failure("02.2", _classifier(tokenizer, model,
                                                                         logits_only=True))
    assert "raised ValueError" in failure(  # no padding: a ragged batch cannot become a tensor
        "02.2", lambda sentences: tokenizer(sentences, return_tensors="pt"))
    assert "not a list of dicts" in failure("02.2", lambda sentences: ["POSITIVE"] * 4)
    assert "3 results for 4 sentences" in failure(
        "02.2", lambda sentences: _classifier(tokenizer, model)(sentences)[:3])
    flipped = lambda sentences: [  # noqa: E731
        {"label": "NEGATIVE" if r["label"] == "POSITIVE" else "POSITIVE", "score": r["score"]}
        for r in _classifier(tokenizer, model)(sentences)]
    assert "4 of the 4 labels are not right" in failure("02.2", flipped)


def test_02_2_fitted_answer_fails_the_hidden_test(sentiment):
    tokenizer, model = sentiment
    remembered = _classifier(tokenizer, model)(list(lesson02.BATCH))
    ok("02.2", lambda sentences: remembered)
    with pytest.raises(ExerciseFailed, match=r"on other sentences \(5, of 5 to 87 characters\)"):
        check("02.2", lambda sentences: remembered, sentences=lesson02.OTHER_BATCH)


@pytest.mark.parametrize("answer", [["POSITIVE"], None, 1])
def test_02_2_rejects_wrong_types(answer):
    assert f"got {type(answer).__name__}" in failure("02.2", answer)


def test_02_3_quiz():
    ok("02.3", "d")
    assert "nothing translates" in failure("02.3", "a")
    assert "got int" in failure("02.3", 2)


# ---------------------------------------------------------------- lesson 03

def count_parameters(config):
    """The exercise's solution: the parameters of a BertModel from its config's numbers."""
    h, inner = config.hidden_size, config.intermediate_size
    rows = config.vocab_size + config.max_position_embeddings + config.type_vocab_size
    layer = 4 * (h * h + h) + (h * inner + inner) + (inner * h + h) + 4 * h
    return rows * h + 2 * h + config.num_hidden_layers * layer + h * h + h


@pytest.mark.parametrize("numbers", [lesson03.OTHER_CONFIG, lesson03.MULTILINGUAL],
                         ids=["other", "multilingual"])
def test_03_1_reference_counts_the_built_model(numbers):
    from transformers import BertModel

    if numbers is lesson03.MULTILINGUAL:  # 178 million numbers: build on the meta device
        with torch.device("meta"):
            model = BertModel(lesson03._config(numbers))
    else:
        model = BertModel(lesson03._config(numbers))
    built = sum(p.numel() for p in model.parameters())
    assert sum(lesson03.bert_parameters(model.config).values()) == built


def test_03_1_accepts_the_function(encoder):
    _, model = encoder
    line = ok("03.1", count_parameters)
    assert "22,713,216 parameters, as many as the model of section 2 holds" in line
    assert "177,853,440" in line and "52% of them in the word embeddings" in line
    assert sum(lesson03.bert_parameters(model.config).values()) == model.num_parameters()
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        check("03.1", count_parameters, config=lesson03.OTHER_CONFIG)
    assert "2,934,400 parameters" in out.getvalue()


def test_03_1_accepts_building_the_model():
    from transformers import BertModel

    ok("03.1", lambda config: BertModel(config).num_parameters())


def mistake(leave_out):
    return lambda config: sum(lesson03.bert_parameters(config, leave_out).values())


@pytest.mark.parametrize("leave_out", [name for name in lesson03.OMISSIONS
                                       if name != "four_hidden"])
def test_03_1_names_what_a_count_leaves_out(leave_out):
    problem, _ = lesson03.OMISSIONS[leave_out]
    assert problem in failure("03.1", mistake(leave_out))


def test_03_1_feed_forward_of_four_hidden_fails_the_hidden_test():
    ok("03.1", mistake("four_hidden"))  # the encoder's and the multilingual one's are 4 × hidden
    with pytest.raises(ExerciseFailed, match=r"on another config \(3 layers of 256, "
                                             r"feed-forward 640.*feed-forward size is 4 × "):
        check("03.1", mistake("four_hidden"), config=lesson03.OTHER_CONFIG)


def test_03_1_a_fitted_function_fails():
    message = failure("03.1", lambda config: 22_713_216)
    assert "bert-base-multilingual-cased's numbers" in message
    with pytest.raises(ExerciseFailed, match="on another config"):
        check("03.1", lambda config: 22_713_216, config=lesson03.OTHER_CONFIG)


def test_03_1_without_embeddings_and_errors():
    without = mistake(None)
    assert "leaves out the embeddings" in failure(
        "03.1", lambda c: without(c) - lesson03.bert_parameters(c)["embeddings"])
    assert "expected a function" in failure("03.1", 22_713_216)
    assert "count_parameters(config) raised AttributeError" in failure(
        "03.1", lambda config: config.hidden_units)
    assert "got the float" in failure("03.1", lambda config: float(without(config)))
    assert "is not the number of parameters of a BertModel" in failure(
        "03.1", lambda config: without(config) + 1)


def poolers(model):
    """Exercise 03.2's solution, and its typical mistakes, for the encoder's base model."""
    dense = model.pooler.dense

    def with_(first, transpose=True, tanh=True):
        out = first @ (dense.weight.T if transpose else dense.weight) + dense.bias
        return torch.tanh(out) if tanh else out

    return {
        "right": lambda h: with_(h[:, 0]),
        "no tanh": lambda h: with_(h[:, 0], tanh=False),
        "transposed": lambda h: with_(h[:, 0], transpose=False),
        "mean": lambda h: with_(h.mean(dim=1)),
        "last": lambda h: with_(h[:, -1]),
        "cls only": lambda h: h[:, 0],
        "module": lambda h: model.pooler(h),
    }


def test_03_2_accepts_the_pooler_by_hand(encoder):
    _, model = encoder
    functions = poolers(model)
    line = ok("03.2", functions["right"])
    assert "the same 3 × 384 numbers as pooler_output (largest difference below 1e-6)" in line
    ok("03.2", functions["module"])  # calling the pooler itself is not detected
    ok("03.2", lambda h: functions["right"](h).numpy())  # NumPy is fine too
    with contextlib.redirect_stdout(io.StringIO()):
        check("03.2", functions["right"], sentences=lesson03.OTHER_SENTENCES)


@pytest.mark.parametrize("mistake, message", [
    ("no tanh", "the tanh is missing"),
    ("transposed", "weight matrix is transposed"),
    ("mean", "mean of all tokens"),
    ("last", "pools the last token"),
    ("cls only", "before the pooler's dense layer"),
])
def test_03_2_names_the_mistake(encoder, mistake, message):
    _, model = encoder
    assert message in failure("03.2", poolers(model)[mistake])


def test_03_2_other_failures(encoder):
    _, model = encoder
    right = poolers(model)["right"]
    assert "expected a function" in failure("03.2", (3, 384))
    assert "shape (384,)" in failure("03.2", lambda h: right(h)[0])
    assert "pool returned str" in failure("03.2", lambda h: "pooled")
    assert "pool(last_hidden_state) raised AttributeError" in failure("03.2", lambda h: h.pooler)
    assert "differ from pooler_output" in failure("03.2", lambda h: right(h) * 0.5)
    fitted = right(model(**lesson02_batch(lesson03.THREE)).last_hidden_state).detach()
    check("03.2", lambda h: fitted)  # the notebook's sentences only
    with pytest.raises(ExerciseFailed, match=r"on other sentences \(4, padded to"):
        check("03.2", lambda h: fitted, sentences=lesson03.OTHER_SENTENCES)


def lesson02_batch(sentences):
    tokenizer, _ = lesson02.load("encoder", "base")
    return tokenizer(list(sentences), padding=True, return_tensors="pt")


def test_03_3_accepts_the_logits(sentiment):
    tokenizer, model = sentiment
    logits = logits_of(tokenizer, model, lesson03.PAIR)
    ok("03.3", logits)
    ok("03.3", logits.numpy())
    ok("03.3", logits.tolist())


def test_03_3_rejects_typical_mistakes(sentiment):
    tokenizer, model = sentiment
    logits = logits_of(tokenizer, model, lesson03.PAIR)
    unmasked = logits_of(tokenizer, model, lesson03.PAIR, mask=False)
    assert (unmasked - logits).abs().max() > 1e-2, (
        "the padding must change the logits for this test")
    assert "WITHOUT the attention mask" in failure("03.3", unmasked)
    assert "probabilities" in failure("03.3", torch.softmax(logits, dim=-1))
    assert "shape (1, 2)" in failure("03.3", logits[:1])
    inputs = tokenizer(list(lesson03.PAIR), padding=True, return_tensors="pt")
    with torch.no_grad():
        assert "whole output object" in failure("03.3", model(**inputs))
    ids = inputs["input_ids"]  # the exercise gives the ids only: the mask is built from them
    with torch.no_grad():
        pad = tokenizer.pad_token_id
        built = model(input_ids=ids, attention_mask=(ids != pad).long()).logits
        inverted = model(input_ids=ids, attention_mask=(ids == pad).long()).logits
    ok("03.3", built)
    assert "do not match" in failure("03.3", inverted)


@pytest.mark.parametrize("answer", ["logits", None, {"logits": [1.0, 2.0]}])
def test_03_3_rejects_wrong_types(answer):
    assert f"got {type(answer).__name__}" in failure("03.3", answer)


def test_03_4_quiz():
    ok("03.4", "C")
    assert "only the weights the message lists" in failure("03.4", "a")
    assert "runs at once" in failure("03.4", "b")  # "the warning is an error"
    assert "other way round" in failure("03.4", "d")  # "only the listed weights were loaded"
    assert "got list" in failure("03.4", ["c"])


def test_pytorch_checks_do_not_import_tensorflow():
    import subprocess
    import sys

    code = ("import sys, os; os.environ['USE_TF'] = '0'\n"
            "from utils.checks import check\n"
            "import utils.exercises.lesson02, utils.exercises.lesson03\n"
            "from utils.exercises.lesson02 import sentiment_logits\n"
            "sentiment_logits(['fine'])\n"
            "print('tensorflow' in sys.modules)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip().splitlines()[-1] == "False"
