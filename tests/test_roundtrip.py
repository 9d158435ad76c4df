"""The PyTorch <-> TensorFlow paths the course relies on. A future pin change that breaks one of
them (transformers 4.52+ did) fails here, loudly."""

import shutil

import numpy as np
import pytest

from utils import checkpoint
from utils.device import import_tensorflow_quietly

SENTENCES = [
    "A gorgeous, witty and moving film.",
    "The plot is a mess and the acting is worse.",
    "It is a movie.",
    "I've been waiting for a HuggingFace course my whole life.",
    "이 영화 정말 재미있어요!",
]
tf = import_tensorflow_quietly()


@pytest.fixture(scope="module")
def pt_only_copy(tmp_path_factory):
    """The encoder folder with the PyTorch safetensors weights only (no tf_model.h5)."""
    folder = tmp_path_factory.mktemp("pt_only")
    src = checkpoint("encoder", verbose=False)
    for name in ["config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                 "special_tokens_map.json", "vocab.txt"]:
        shutil.copy(f"{src}/{name}", folder / name)
    yield folder
    shutil.rmtree(folder, ignore_errors=True)  # free the disk for the rest of the suite


def encoder_outputs_pt(path, sentences=SENTENCES, **kwargs):
    import torch
    from transformers import AutoModel, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModel.from_pretrained(path, **kwargs).eval()
    with torch.no_grad():
        out = model(**tokenizer(sentences, padding=True, return_tensors="pt"))
    return out.last_hidden_state.numpy(), out.pooler_output.numpy()


def encoder_outputs_tf(path, sentences=SENTENCES, **kwargs):
    from transformers import AutoTokenizer, TFAutoModel

    tokenizer = AutoTokenizer.from_pretrained(path)
    model = TFAutoModel.from_pretrained(path, **kwargs)
    out = model(**tokenizer(sentences, padding=True, return_tensors="tf"))
    return out.last_hidden_state.numpy(), out.pooler_output.numpy()


def test_tf_loads_pytorch_safetensors(pt_only_copy):
    pt_hidden, pt_pooled = encoder_outputs_pt(pt_only_copy)
    tf_hidden, tf_pooled = encoder_outputs_tf(pt_only_copy, from_pt=True)
    np.testing.assert_allclose(tf_hidden, pt_hidden, atol=1e-4)
    np.testing.assert_allclose(tf_pooled, pt_pooled, atol=1e-4)


def test_tf_native_weights_match_pytorch():
    path = checkpoint("encoder", verbose=False)
    pt_hidden, pt_pooled = encoder_outputs_pt(path)
    tf_hidden, tf_pooled = encoder_outputs_tf(path, use_safetensors=False)  # tf_model.h5
    np.testing.assert_allclose(tf_hidden, pt_hidden, atol=1e-4)
    np.testing.assert_allclose(tf_pooled, pt_pooled, atol=1e-4)


def test_tf_save_then_pytorch_from_tf(tmp_path):
    from transformers import TFAutoModel

    path = checkpoint("encoder", verbose=False)
    TFAutoModel.from_pretrained(path).save_pretrained(tmp_path)
    for name in ["tokenizer.json", "tokenizer_config.json", "special_tokens_map.json", "vocab.txt"]:
        shutil.copy(f"{path}/{name}", tmp_path / name)
    assert (tmp_path / "tf_model.h5").exists() and not (tmp_path / "model.safetensors").exists()
    pt_hidden, _ = encoder_outputs_pt(path)
    converted_hidden, _ = encoder_outputs_pt(tmp_path, from_tf=True)
    np.testing.assert_allclose(converted_hidden, pt_hidden, atol=1e-4)


def sentiment_probs_pt():
    import torch
    from transformers import AutoModelForSequenceClassification, AutoTokenizer

    path = checkpoint("sentiment", verbose=False)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = AutoModelForSequenceClassification.from_pretrained(path).eval()
    with torch.no_grad():
        logits = model(**tokenizer(SENTENCES, padding=True, return_tensors="pt")).logits
    return torch.softmax(logits, -1).numpy()


def test_sentiment_probabilities_agree_pt_tf():
    from transformers import AutoTokenizer, TFAutoModelForSequenceClassification

    path = checkpoint("sentiment", verbose=False)
    tokenizer = AutoTokenizer.from_pretrained(path)
    model = TFAutoModelForSequenceClassification.from_pretrained(path)
    logits = model(**tokenizer(SENTENCES, padding=True, return_tensors="tf")).logits
    tf_probs = tf.nn.softmax(logits, -1).numpy()
    pt_probs = sentiment_probs_pt()
    assert np.abs(tf_probs - pt_probs).max() <= 1e-4
    # and the classifier is a real one: clear-cut sentences go the right way
    assert pt_probs[0, 1] > 0.5 and pt_probs[1, 0] > 0.5


def test_pipelines_agree_pt_tf():
    from transformers import pipeline

    path = checkpoint("sentiment", verbose=False)
    pt = pipeline("sentiment-analysis", model=path, framework="pt")(SENTENCES)
    tf_results = pipeline("sentiment-analysis", model=path, framework="tf")(SENTENCES)
    assert [r["label"] for r in pt] == [r["label"] for r in tf_results]
    np.testing.assert_allclose([r["score"] for r in pt], [r["score"] for r in tf_results],
                               atol=1e-4)
    pt_probs = sentiment_probs_pt()
    np.testing.assert_allclose([r["score"] for r in pt], pt_probs.max(-1), atol=1e-6)
