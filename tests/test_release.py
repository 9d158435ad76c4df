"""The graded release (python -m utils.release) and self_check() from inside a notebook."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from utils import release, selfcheck

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def released(tmp_path_factory):
    out = tmp_path_factory.mktemp("release") / "course"
    info = release.make_release(out)
    yield out, info
    shutil.rmtree(out.parent, ignore_errors=True)  # free the disk for the rest of the suite


def test_release_leaves_out_solutions_and_hidden_tests(released):
    out, info = released
    for name in ("solutions", "instructors", "tests", "benchmarks"):
        assert not (out / name).exists()
    assert info["notebooks"] == sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
    text = "\n".join(p.read_text(encoding="utf-8") for p in out.rglob("*.ipynb"))
    assert "# BEGIN SOLUTION" not in text and "hidden-tests" not in text
    assert not list(out.glob("scripts/check_*.py"))
    assert json.loads((out / "RELEASE.json").read_text())["graded_release"] is True
    assert "self_check()" in (out / "README.md").read_text(encoding="utf-8")


def test_release_has_no_quiz_answers(released):
    out, info = released
    course, copy = quizzes(ROOT), quizzes(out)
    assert info["quizzes_without_answers"] == len(course) == len(copy) > 0
    assert not any(course.values())  # the course's own quizzes judge the letter
    assert all(copy.values())        # the release's only record it, whatever the letter


def quizzes(root: Path) -> dict[str, bool]:
    """For each quiz of the course under ``root``: whether every letter is only recorded
    (loaded in a child process, so this process's registry stays the course's)."""
    code = ("import importlib, json, sys\nsys.path.insert(0, sys.argv[1])\n"
            "from utils import checks\nfor n in range(12):\n"
            "    importlib.import_module(f'utils.exercises.lesson{n:02d}')\n"
            "out = {}\nfor k, e in checks.EXERCISES.items():\n"
            "    if 'quiz' in e.check.__qualname__:\n"
            "        results = []\n        for letter in 'abcd':\n"
            "            try:\n                results.append(e.check(letter))\n"
            "            except Exception:\n                results.append(None)\n"
            "        out[k] = all(isinstance(r, checks.Recorded) for r in results)\n"
            "print(json.dumps(out))")
    env = {**os.environ, "PYTHONPATH": str(root)}
    proc = subprocess.run([sys.executable, "-c", code, str(root)], cwd=root, env=env,
                          capture_output=True, text=True, check=True)
    return json.loads(proc.stdout)


def test_release_refuses_an_existing_folder(tmp_path):
    with pytest.raises(release.ReleaseError, match="exists"):
        release.make_release(tmp_path)


def test_strip_quizzes_keeps_the_letters_and_drops_the_rest():
    source = ('quiz("01.3", "t", correct="b", explanations={"a": "No", "b": "Yes: because"},\n'
              '     section="2. A section", more="Leaning towards b")\n'
              'quiz("01.4", "t", "c", {"c": "Yes", "d": "No"}, 2)\n')
    text, count = release.strip_quizzes(source, "lesson01.py")
    assert count == 2 and "Yes" not in text and "'No'" not in text
    assert "Leaning" not in text and "section='2. A section'" in text
    assert text.count("correct=None") == 2 and "points=2" in text
    assert "'a': ''" in text and "'d': ''" in text  # the letters stay
    with pytest.raises(release.ReleaseError, match="cannot be removed"):
        release.strip_quizzes('quiz("01.3", "t", **QUIZ)\n', "lesson01.py")


def test_grading_with_a_release_is_refused_with_a_way_out(released):
    out, _ = released
    env = {**os.environ, "PYTHONPATH": str(out)}
    proc = subprocess.run([sys.executable, "-m", "utils.grade", str(out / "notebooks")],
                          cwd=out, env=env, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2
    assert "graded release" in proc.stderr and "instructor's copy" in proc.stderr


def test_self_check_in_a_release_records_quizzes(released, tmp_path):
    out, _ = released
    nb = json.loads((out / "notebooks" / "00_setup.ipynb").read_text(encoding="utf-8"))
    stub = 'raise NotImplementedError("Exercise 00.2: replace this line with your code")'
    for cell in nb["cells"]:
        source = "".join(cell["source"])
        if stub in source:
            cell["source"] = source.replace(stub, 'answer = "c"')
    mine = tmp_path / "00_setup.ipynb"
    mine.write_text(json.dumps(nb), encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(out), "COURSE_ASSETS_DIR": str(ROOT / "assets")}
    code = "from utils import self_check\nimport sys\nsys.exit(self_check(sys.argv[1]))"
    proc = subprocess.run([sys.executable, "-c", code, str(mine)], cwd=out, env=env,
                          capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert "you · 00_setup.ipynb  0/2 points" in proc.stdout
    assert "recorded: your answer (c) is recorded" in proc.stdout
    assert "the grader also runs hidden tests" in proc.stdout
    assert str(tmp_path) not in proc.stdout.replace(str(mine), "")  # no temporary paths


def test_self_check_finds_the_notebook_by_its_content():
    nb = json.loads((ROOT / "notebooks" / "04_tokenizers.ipynb").read_text(encoding="utf-8"))
    assert selfcheck.identify(nb) == "04_tokenizers.ipynb"
    nb = json.loads((ROOT / "notebooks" / "02_pipeline_tf.ipynb").read_text(encoding="utf-8"))
    assert selfcheck.identify(nb) == "02_pipeline_tf.ipynb"
    with pytest.raises(selfcheck.SelfCheckError, match="file name"):
        selfcheck.identify({"cells": [{"cell_type": "code", "source": "print(1)"}]})


def test_self_check_does_nothing_inside_a_grading_run(monkeypatch, capsys):
    monkeypatch.setenv(selfcheck.RUN_MARK, "1")
    assert selfcheck.self_check("anything.ipynb") is None
    assert "being graded" in capsys.readouterr().out


def test_self_check_says_what_to_do_without_a_notebook(monkeypatch, capsys, tmp_path):
    monkeypatch.delenv(selfcheck.RUN_MARK, raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    monkeypatch.chdir(tmp_path)
    assert selfcheck.self_check() is None
    assert "call it with the path" in capsys.readouterr().out
    assert selfcheck.self_check(tmp_path / "missing.ipynb") is None
    assert "no notebook at" in capsys.readouterr().out


def test_self_check_uses_the_jupyter_session_path(monkeypatch, tmp_path):
    notebook = tmp_path / "03_models_pt.ipynb"
    notebook.write_text("{}", encoding="utf-8")
    monkeypatch.setenv("JPY_SESSION_NAME", str(notebook))
    assert selfcheck._open_file() == notebook
