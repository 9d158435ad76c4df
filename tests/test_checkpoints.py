"""Checkpoint roles: offline folders by default, Hub ids on opt-in, clear errors otherwise."""

from pathlib import Path

import pytest

from utils import assets
from utils.checkpoints import ROLES, UnknownRoleError, checkpoint


@pytest.mark.parametrize("role", list(ROLES))
def test_offline_roles_resolve_to_verified_folders(role, capsys):
    path = Path(checkpoint(role))
    assert not path.is_absolute(), "relative, so transformers' messages show no machine path"
    assert path.resolve() == assets.assets_dir() / assets.ASSETS[role].folder
    assert (path / "tokenizer_config.json").exists()
    assert f"{role}: offline checkpoint" in capsys.readouterr().out


@pytest.mark.parametrize("role,hub_id", [
    ("encoder", "bert-base-uncased"),
    ("sentiment", "distilbert-base-uncased-finetuned-sst-2-english"),
    ("korean-tokenizer", "klue/bert-base"),
])
def test_online_opt_in_gives_hub_ids(role, hub_id, monkeypatch, capsys):
    monkeypatch.setenv("COURSE_ONLINE", "1")
    monkeypatch.setenv("COURSE_ASSETS_DIR", "/nonexistent")  # no local assets are needed
    assert checkpoint(role) == hub_id
    assert "COURSE_ONLINE=1" in capsys.readouterr().out


def test_online_opt_in_needs_a_true_value(monkeypatch):
    monkeypatch.setenv("COURSE_ONLINE", "0")
    assert Path(checkpoint("encoder", verbose=False)).is_dir()


def test_unknown_role_lists_known_roles():
    with pytest.raises(UnknownRoleError) as info:
        checkpoint("gpt-5")
    message = str(info.value)
    assert "'gpt-5'" in message and all(role in message for role in ROLES)


def test_models_load_from_the_resolved_folders():
    from transformers import AutoConfig, AutoTokenizer

    config = AutoConfig.from_pretrained(checkpoint("sentiment", verbose=False))
    assert config.id2label == {0: "NEGATIVE", 1: "POSITIVE"}
    korean = AutoTokenizer.from_pretrained(checkpoint("korean-tokenizer", verbose=False))
    assert "[UNK]" not in korean.tokenize("대한민국은 민주공화국이다.")
