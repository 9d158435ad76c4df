"""The manifest: every asset is recorded with source, licence and checksums; damage is caught
with a message that names the asset and the command that fixes it."""

import json
import shutil

import pytest

from utils import assets
from utils.assets import AssetError


def test_every_asset_is_built_and_verified():
    problems = {k: v for k, v in assets.status().items() if v != "ok"}
    assert not problems


def test_manifest_records_source_licence_and_checksums():
    manifest = assets.read_manifest()["assets"]
    assert set(manifest) == set(assets.ASSETS)
    for name, entry in manifest.items():
        assert entry["source"] and entry["license"], name
        assert entry["files"] and all(len(h) == 64 for h in entry["files"].values()), name


def test_sentiment_accuracy_meets_target():
    details = assets.read_manifest()["assets"]["sentiment"]["details"]
    assert details["test_accuracy"] >= 0.80 and details["test_sentences"] == 400


def test_both_frameworks_weights_are_present():
    for name in ["encoder", "sentiment"]:
        files = assets.read_manifest()["assets"][name]["files"]
        assert "model.safetensors" in files and "tf_model.h5" in files
        assert not any(f.endswith((".bin", ".pt", ".pkl")) for f in files)  # no pickles


def test_polarity_splits_are_fixed_and_balanced():
    splits = assets.read_manifest()["assets"]["data-polarity"]["details"]["splits"]
    assert {k: v["rows"] for k, v in splits.items()} == assets.POLARITY_SPLITS
    assert all(0.4 < v["positive"] / v["rows"] < 0.6 for v in splits.values())


@pytest.fixture
def copied_assets(tmp_path):
    """A copy of the small assets (data and tokenizer) to damage."""
    src = assets.assets_dir()
    manifest = assets.read_manifest()
    keep = ["data-polarity", "korean-tokenizer"]
    for name in keep:
        shutil.copytree(src / assets.ASSETS[name].folder, tmp_path / assets.ASSETS[name].folder)
    manifest["assets"] = {k: v for k, v in manifest["assets"].items() if k in keep}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    return tmp_path


def test_copy_verifies(copied_assets):
    assert assets.verify("data-polarity", copied_assets).is_dir()


def test_corrupted_file_is_named_with_fix(copied_assets):
    path = copied_assets / "data/polarity/train.csv"
    path.write_text(path.read_text().replace("a", "b", 1))
    with pytest.raises(AssetError) as info:
        assets.verify("data-polarity", copied_assets)
    message = str(info.value)
    assert "'data-polarity' is corrupted" in message and "train.csv" in message
    assert "python -m utils.assets build --only data-polarity --force" in message


def test_missing_file_is_named_with_fix(copied_assets):
    (copied_assets / "korean-tokenizer/vocab.txt").unlink()
    with pytest.raises(AssetError, match=r"incomplete: vocab.txt is missing.*--only "
                                         r"korean-tokenizer --force"):
        assets.verify("korean-tokenizer", copied_assets)


def test_missing_asset_is_named_with_fix(copied_assets):
    with pytest.raises(AssetError, match=r"'encoder' is missing.*--only encoder"):
        assets.verify("encoder", copied_assets)


def test_missing_folder_with_manifest_entry(copied_assets):
    shutil.rmtree(copied_assets / "data/polarity")
    with pytest.raises(AssetError, match="'data-polarity' is missing"):
        assets.verify("data-polarity", copied_assets)


def test_damaged_manifest(copied_assets):
    (copied_assets / "manifest.json").write_text("{not json")
    with pytest.raises(AssetError, match="manifest.json is damaged.*--force"):
        assets.verify("data-polarity", copied_assets)


def test_unknown_asset():
    with pytest.raises(AssetError, match="Unknown asset 'weights'. Known assets: data-polarity"):
        assets.verify("weights")


def test_checkpoint_reports_missing_assets(monkeypatch, tmp_path):
    from utils import checkpoint

    monkeypatch.setenv("COURSE_ASSETS_DIR", str(tmp_path))
    with pytest.raises(AssetError, match="python -m utils.assets build --only sentiment"):
        checkpoint("sentiment")


def test_rebuilding_a_small_asset_is_idempotent(copied_assets):
    before = assets.read_manifest(copied_assets)["assets"]["data-polarity"]["files"]
    summary = assets.build(["data-polarity"], root=copied_assets)
    assert summary["data-polarity"]["status"] == "up to date"
    shutil.copytree(assets.assets_dir() / "downloads", copied_assets / "downloads")
    summary = assets.build(["data-polarity"], force=True, root=copied_assets)
    assert summary["data-polarity"]["status"] == "built"
    assert assets.read_manifest(copied_assets)["assets"]["data-polarity"]["files"] == before


def test_lesson00_quiz_quotes_the_real_message(tmp_path):
    """Quiz 00.2 shows the message of a damaged sentiment checkpoint; it is the one the course
    prints (a small stand-in file with the sentiment asset's name)."""
    from tests.helpers import markdown_cells
    from utils.assets import REPO_ROOT

    folder = tmp_path / assets.ASSETS["sentiment"].folder
    folder.mkdir()
    (folder / "model.safetensors").write_bytes(b"damaged")
    manifest = {"assets": {"sentiment": {"files": {"model.safetensors": "0" * 64}}}}
    (tmp_path / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(AssetError) as info:
        assets.verify("sentiment", tmp_path)
    quiz = next(text for text, _ in markdown_cells(REPO_ROOT / "solutions/00_setup.ipynb")
                if "Exercise 00.2" in text)
    shown = quiz.split("```")[1].strip().replace("\n", " ")
    assert shown == str(info.value)
