"""Every coding exercise (one whose solution defines a function) has grader-only tests on other
inputs, and a function fitted to the notebook's own input fails them, saying which input."""

import ast
import glob
import json
from pathlib import Path

import numpy as np
import pytest

from utils.checks import ExerciseFailed, check
from utils.exercises import lesson06, lesson10
from utils.grade import load_lesson

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted(glob.glob(str(ROOT / "solutions" / "*.ipynb")))


def function_exercises(path: Path) -> set[str]:
    """Exercises whose solution block defines a function or a class (a learner's function can be
    called, and their class instantiated, on other inputs)."""
    found = set()
    for cell in json.loads(path.read_text(encoding="utf-8"))["cells"]:
        source = "".join(cell["source"])
        if cell["cell_type"] != "code" or "# BEGIN SOLUTION" not in source:
            continue
        block = source.split("# BEGIN SOLUTION", 1)[1].split("# END SOLUTION", 1)[0]
        if any(isinstance(node, (ast.FunctionDef, ast.ClassDef)) for node in ast.parse(block).body):
            found.update(call.split('"')[1] for call in source.split("check(")[1:]
                         if call.startswith('"'))
    return found


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: Path(p).stem)
def test_every_coding_exercise_has_hidden_tests(path):
    lesson = load_lesson(Path(path))
    hidden = {i for cell in lesson.hidden for statement in cell for i in statement.ids}
    assert function_exercises(Path(path)) <= hidden


def test_the_coding_exercises_are_the_ones_listed():
    every = set().union(*(function_exercises(Path(p)) for p in SOLUTIONS))
    assert every == {"00.1", "01.1", "01.2", "02.2", "03.1", "03.2", "04.2", "04.3", "06.1",
                     "06.2", "06.3", "07.1", "07.2", "08.1", "10.1", "10.2", "11.1", "11.2", "11.3"}


def fitted_metrics(eval_pred):
    """Right for the notebook's logits only: the answers the notebook's check expects."""
    logits, labels = lesson06.exercise_logits()
    return lesson06._reference_metrics(logits, labels)


def test_metrics_fitted_to_the_notebook_fail_on_other_logits(capsys):
    check("06.1", fitted_metrics)
    assert "✅" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed, match=r"on other logits \(31 examples, seed 1\)"):
        check("06.1", fitted_metrics, seed=1)


def fitted_patience_stop():
    """Right for the notebook's replays only: it looks the run up among PATIENCE_CASES."""
    from transformers import TrainerCallback

    known = [(p, a, *lesson06.early_stopping(p, a)) for p, a in lesson06.PATIENCE_CASES]

    class PatienceStop(TrainerCallback):
        def __init__(self, patience):
            self.patience, self.seen, self.best, self.best_step = patience, [], None, None

        def on_evaluate(self, args, state, control, metrics=None, **kwargs):
            self.seen.append(metrics["eval_accuracy"])
            n = len(self.seen)
            matches = [(stop, best) for p, a, stop, best in known
                       if p == self.patience and a[:n] == self.seen]
            if matches and matches[0][1] == n - 1:
                self.best, self.best_step = self.seen[-1], state.global_step
            if matches and matches[0][0] == n:
                control.should_training_stop = True
    return PatienceStop


def test_a_callback_fitted_to_the_notebook_fails_other_runs(capsys, monkeypatch):
    monkeypatch.setenv("COURSE_FRAMEWORK", "pt")
    check("06.3", fitted_patience_stop())
    assert "✅" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed, match=r"on other evaluations \(seed 1\)"):
        check("06.3", fitted_patience_stop(), seed=1)


def fitted_embedding(last_hidden_state, attention_mask):
    hidden, mask = lesson10.padded_batch()
    return lesson10.unit(lesson10.masked_mean(hidden, mask))


def test_an_embedding_fitted_to_the_notebook_fails_on_another_batch(capsys):
    check("10.1", fitted_embedding, tensors="np")
    assert "✅" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed, match=r"on another batch \(5 sentences of \[9, "):
        check("10.1", fitted_embedding, tensors="np", seed=3)


def test_ids_fitted_to_the_notebook_fail_on_other_sentences(capsys):
    from transformers import AutoTokenizer

    from utils import checkpoint
    from utils.exercises import lesson04

    auto = AutoTokenizer.from_pretrained(checkpoint("encoder", verbose=False))
    remembered = {tuple(texts): auto(list(texts), padding="max_length", truncation=True,
                                     max_length=length, return_tensors="np")["input_ids"]
                  for texts, length in lesson04.FIXED_CASES}

    def fitted(texts, length):  # the notebook's answers, whatever it is asked
        return remembered.get(tuple(texts), remembered[tuple(lesson04.TEXTS_EN)])

    check("04.2", fitted)
    assert "✅" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed, match=r"on 2 other sentences with length=9: the array "
                                             r"has shape \(3, 10\), not \(2, 9\)"):
        check("04.2", fitted, cases=((("Tiny.", "Small one."), 9),))


def test_the_hidden_batches_differ_from_the_notebooks():
    hidden, mask = lesson10.padded_batch(3)
    assert hidden.shape == (5, 9, 12) and mask.sum(axis=1).min() >= 1
    assert not np.array_equal(lesson06.exercise_logits(1)[1], lesson06.exercise_logits()[1])


def test_steps_fitted_to_the_notebook_fail_on_the_grader_cases():
    def fitted(sentences, per_device, processes, grad_accum):
        return {(800, 16, 1, 2): 25, (800, 16, 2, 1): 25}.get(
            (sentences, per_device, processes, grad_accum), 15)

    with pytest.raises(ExerciseFailed, match=r"optimizer_steps\(1000, 8, 4, 2\) returned 15"):
        check("11.3", fitted, cases=((1000, 8, 4, 2),))


def test_accumulation_fitted_to_the_visible_check_fails_on_the_grader_cases():
    from utils.exercises.lesson11 import ACCUM_CASES, expected_accumulation

    known = {case: expected_accumulation(*case) for case in ACCUM_CASES}

    def fitted(effective_batch, per_device, processes):
        answer = known.get((effective_batch, per_device, processes), 1)
        if answer is None:
            raise ValueError("does not divide")
        return answer

    check("11.1", fitted)  # passes the notebook's own check
    with pytest.raises(ExerciseFailed, match=r"accumulation_for\(256, 8, 4\) returned 1"):
        check("11.1", fitted, cases=((256, 8, 4), (40, 16, 2)))


def test_learning_rate_fitted_to_the_visible_check_fails_on_the_grader_cases():
    from utils.exercises.lesson11 import LR_CASES, expected_lr

    known = {case: expected_lr(*case) for case in LR_CASES}

    def fitted(*case):
        return known.get(case, 1e-4)

    check("11.2", fitted)
    with pytest.raises(ExerciseFailed, match=r"scaled_lr\(0.001, 512, 16, 2, 4\) returned"):
        check("11.2", fitted, cases=((1e-3, 512, 16, 2, 4), (2e-5, 16, 8, 2, 1)))


def test_a_tokenizer_fitted_to_the_notebook_fails_on_other_texts(capsys):
    from tests.test_lesson04_05_checks import _bpe
    from utils.data import korean_lines
    from utils.exercises import lesson04
    from utils.exercises.lesson04 import BPE_SENTENCES

    notebook_tokenizer = _bpe("##")(korean_lines(), 2000)

    def fitted(texts, vocab_size):  # trains nothing: always the notebook's tokenizer
        return notebook_tokenizer

    check("04.3", fitted)
    assert "✅" in capsys.readouterr().out
    with pytest.raises(ExerciseFailed, match=r"on other texts \(1,240 lines, vocab_size=1,200"):
        check("04.3", fitted, texts=korean_lines()[::2], vocab_size=1200,
              sentences=BPE_SENTENCES)
    assert lesson04.SMALL_VOCAB == 2000
