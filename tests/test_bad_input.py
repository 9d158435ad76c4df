"""A catalogue of bad inputs. Each is answered with a clear error that says what to do, and
nothing is lost or half-written."""

import errno
import json
import shlex
import shutil
import sys
import types
from pathlib import Path

import pytest

from utils import assets, checkpoint, data_files, setup
from utils.assets import AssetError
from utils.checkpoints import UnknownRoleError
from utils.checks import ATTEMPTS, ExerciseFailed, check


@pytest.mark.parametrize("role", ["", "bert", "Encoder", None])
def test_unknown_checkpoint_role(role):
    with pytest.raises(UnknownRoleError, match="Known roles: encoder, sentiment, korean-tokenizer"):
        checkpoint(role)


@pytest.mark.parametrize("name", ["", "imdb", None])
def test_unknown_dataset(name):
    with pytest.raises(ValueError, match="Known datasets: 'polarity', 'korean'"):
        data_files(name)


@pytest.mark.parametrize("framework", ["torch", "", "PT"])
def test_unknown_framework_in_setup(framework):
    with pytest.raises(ValueError, match="framework must be one of"):
        setup(framework)


@pytest.mark.parametrize("answer", ["", "x" * 100_000, b"\xff\xfe not utf-8", [1, "two", 3.0],
                                    {"tokens": 18}, float("nan")])
def test_wrong_answer_types_get_a_clear_message(answer):
    ATTEMPTS.clear()  # a first attempt: no second- or third-attempt hints in the message
    with pytest.raises(ExerciseFailed) as info:
        check("00.1", answer)
    message = str(info.value)
    assert message.startswith("❌ Exercise 00.1: expected the number of tokens as an int, got ")
    assert "int(...)" in message
    assert len(message) < 400, "long inputs are shortened in the message"


@pytest.mark.parametrize("answer", ["", "  ", "zz", "ab", 3, None])
def test_bad_quiz_answers(answer):
    with pytest.raises(ExerciseFailed, match="not one of the options|expected your choice as str"):
        check("00.2", answer)


def test_unknown_exercise_id():
    with pytest.raises(KeyError, match="No exercise '99.9'"):
        check("99.9", 1)


@pytest.fixture
def small_root(tmp_path):
    """An assets folder holding the data-korean asset, for build experiments."""
    src = assets.assets_dir()
    shutil.copytree(src / "data/korean", tmp_path / "data/korean")
    manifest = assets.read_manifest()
    manifest["assets"] = {"data-korean": manifest["assets"]["data-korean"]}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_interrupted_build_leaves_nothing_half_written(small_root, monkeypatch):
    def broken(out, root):
        (out / "vocab.txt").write_text("[PAD]\n")  # half of a checkpoint ...
        raise KeyboardInterrupt  # ... then the learner presses Ctrl-C

    monkeypatch.setitem(assets.BUILDERS, "korean-tokenizer", broken)
    manifest_before = (small_root / "manifest.json").read_text()
    with pytest.raises(KeyboardInterrupt):
        assets.build(["korean-tokenizer"], root=small_root)
    assert not (small_root / "korean-tokenizer").exists()
    assert not [p for p in small_root.rglob(".korean-tokenizer-*")], "temporary folder left"
    assert (small_root / "manifest.json").read_text() == manifest_before
    with pytest.raises(AssetError, match="'korean-tokenizer' is missing"):
        assets.verify("korean-tokenizer", small_root)
    monkeypatch.undo()
    built = assets.build(["korean-tokenizer"], root=small_root)
    assert built["korean-tokenizer"]["status"] == "built"
    assert assets.verify("korean-tokenizer", small_root).is_dir()


def test_interrupted_rebuild_keeps_the_old_checkpoint(small_root, monkeypatch):
    assets.build(["korean-tokenizer"], root=small_root)
    files_before = {p.name: p.read_bytes() for p in (small_root / "korean-tokenizer").iterdir()}

    def broken(out, root):
        raise RuntimeError("disk full")

    monkeypatch.setitem(assets.BUILDERS, "korean-tokenizer", broken)
    with pytest.raises(RuntimeError, match="disk full"):
        assets.build(["korean-tokenizer"], force=True, root=small_root)
    after = {p.name: p.read_bytes() for p in (small_root / "korean-tokenizer").iterdir()}
    assert after == files_before
    assert assets.verify("korean-tokenizer", small_root).is_dir()


def test_disk_full_during_a_build_says_so(small_root, monkeypatch, capsys):
    def full(out, root):
        (out / "vocab.txt").write_text("[PAD]\n")
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setitem(assets.BUILDERS, "korean-tokenizer", full)
    with pytest.raises(AssetError, match=r"disk is full while building korean-tokenizer .* MiB "
                                         r"free.*nothing half-built was kept.*--only "
                                         r"korean-tokenizer --force"):
        assets.build(["korean-tokenizer"], root=small_root)
    assert not (small_root / "korean-tokenizer").exists()
    assert not [p for p in small_root.rglob(".korean-tokenizer-*")], "temporary folder left"
    monkeypatch.setenv("COURSE_ASSETS_DIR", str(small_root))
    assert assets.main(["build", "--only", "korean-tokenizer"]) == 1
    assert "error: The disk is full" in capsys.readouterr().err


def test_truncated_weights_are_caught(tmp_path):
    root = tmp_path
    shutil.copytree(assets.assets_dir() / "korean-tokenizer", root / "korean-tokenizer")
    manifest = assets.read_manifest()
    manifest["assets"] = {"korean-tokenizer": manifest["assets"]["korean-tokenizer"]}
    (root / "manifest.json").write_text(json.dumps(manifest))
    path = root / "korean-tokenizer" / "tokenizer.json"
    path.write_bytes(path.read_bytes()[:1000])  # a copy cut short
    with pytest.raises(AssetError, match="'korean-tokenizer' is corrupted: tokenizer.json"):
        assets.verify("korean-tokenizer", root)


def test_on_colab_the_fix_is_a_notebook_cell(tmp_path, monkeypatch):
    """On Colab a lesson that skipped the sentiment build can still ask for the model: the
    message gives a line the learner can paste into a cell."""
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    with pytest.raises(AssetError) as missing:
        assets.verify("sentiment", tmp_path)
    assert str(missing.value).endswith(
        f"Build it with: !cd {shlex.quote(str(assets.REPO_ROOT))} && python -m utils.assets build "
        "--only sentiment --force")
    monkeypatch.setattr(assets, "REPO_ROOT", Path("/content/drive/MyDrive/Colab Notebooks/course"))
    assert assets.fix_command("encoder") == (
        "!cd '/content/drive/MyDrive/Colab Notebooks/course' && python -m utils.assets build "
        "--only encoder --force")


def test_build_can_skip_an_asset(monkeypatch, capsys):
    asked = []
    monkeypatch.setattr(assets, "build", lambda names, force=False: asked.append(names) or {})
    monkeypatch.setattr(assets, "format_summary", lambda summary, seconds: "")
    assert assets.main(["build", "--skip", "sentiment"]) == 0
    assert asked == [[n for n in assets.ASSETS if n != "sentiment"]]
    with pytest.raises(SystemExit):
        assets.main(["build", "--skip", "sentiment", "--only", "encoder"])
    assert "not allowed with argument" in capsys.readouterr().err
    assert assets.main(["build", "--skip", "encoder"]) == 0  # sentiment needs it
    assert "note: encoder is built anyway: another asset needs it" in capsys.readouterr().out
    assets.main(["build", "--skip", *assets.ASSETS])
    assert asked[-1] == [], "skipping everything builds nothing, not everything"


def test_an_empty_list_builds_nothing(tmp_path):
    assert assets.build([], root=tmp_path) == {}


def test_unknown_asset_on_the_command_line(capsys):
    with pytest.raises(SystemExit):
        assets.main(["build", "--only", "weights"])
    assert "invalid choice: 'weights'" in capsys.readouterr().err
