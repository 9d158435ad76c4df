"""Lesson 10 runs the same sentence-embedding code in PyTorch and in TensorFlow and claims the same
numbers: the encoder's outputs and the pooled sentence vectors of a padded batch must agree."""

import numpy as np
import pytest

from utils import checkpoint
from utils.device import import_tensorflow_quietly

SENTENCES = [
    "Loved it.",
    "A slow, thoughtful film that rewards patient viewers with a moving final act.",
    "The plot is a mess and the acting is worse.",
    "이 영화 정말 재미있어요!",
]
tf = import_tensorflow_quietly()


@pytest.fixture(scope="module")
def outputs():
    """{framework: (last_hidden_state, pooler_output, masked mean, masked max, attention mask)},
    each pooling computed with that framework's own ops, as in the two notebooks."""
    import torch
    from transformers import AutoModel, AutoTokenizer, TFAutoModel

    path = checkpoint("encoder", verbose=False)
    tokenizer = AutoTokenizer.from_pretrained(path)

    pt_model = AutoModel.from_pretrained(path).eval()
    batch = tokenizer(SENTENCES, padding=True, return_tensors="pt")
    with torch.no_grad():
        out = pt_model(**batch)
    hidden, mask = out.last_hidden_state, batch["attention_mask"]
    weights = mask.unsqueeze(-1).to(hidden.dtype)
    pt_mean = (hidden * weights).sum(dim=1) / weights.sum(dim=1)
    pt_max = hidden.masked_fill(mask.unsqueeze(-1) == 0, float("-inf")).max(dim=1).values
    pt = (hidden.numpy(), out.pooler_output.numpy(), pt_mean.numpy(), pt_max.numpy(), mask.numpy())

    tf_model = TFAutoModel.from_pretrained(path)
    batch = tokenizer(SENTENCES, padding=True, return_tensors="tf")
    out = tf_model(**batch)
    hidden, mask = out.last_hidden_state, batch["attention_mask"]
    weights = tf.cast(mask, hidden.dtype)[:, :, tf.newaxis]
    tf_mean = tf.reduce_sum(hidden * weights, axis=1) / tf.reduce_sum(weights, axis=1)
    padding = tf.equal(mask, 0)[:, :, tf.newaxis]
    tf_max = tf.reduce_max(tf.where(padding, tf.constant(-np.inf, hidden.dtype), hidden), axis=1)
    tf_out = (hidden.numpy(), out.pooler_output.numpy(), tf_mean.numpy(), tf_max.numpy(),
              mask.numpy())
    return {"pt": pt, "tf": tf_out}


def test_the_batch_is_padded(outputs):
    mask = outputs["pt"][4]
    assert (mask == 0).any(), "the parity must cover padding"
    np.testing.assert_array_equal(mask, outputs["tf"][4])


@pytest.mark.parametrize("index,name", [(0, "last_hidden_state"), (1, "pooler_output"),
                                        (2, "masked mean"), (3, "masked max")])
def test_pytorch_and_tensorflow_agree(outputs, index, name):
    np.testing.assert_allclose(outputs["tf"][index], outputs["pt"][index], atol=1e-4, rtol=0,
                               err_msg=f"{name} differs between PyTorch and TensorFlow")


def test_pooler_output_is_tanh_of_the_dense_cls_vector(outputs):
    """The lesson's claim: pooler_output = tanh(W h_[CLS] + b), and this pooler's bias is all 0."""
    from transformers import AutoModel

    model = AutoModel.from_pretrained(checkpoint("encoder", verbose=False))
    weight = model.pooler.dense.weight.detach().numpy()
    bias = model.pooler.dense.bias.detach().numpy()
    hidden, pooled = outputs["pt"][0], outputs["pt"][1]
    np.testing.assert_allclose(np.tanh(hidden[:, 0] @ weight.T + bias), pooled, atol=1e-5)
    assert not bias.any(), "the lesson says the pooler's bias is exactly zero"


def test_masked_mean_does_not_depend_on_the_batch(outputs):
    """With the mask, a padded sentence gets the vector it gets alone; without it, it does not."""
    import torch
    from transformers import AutoModel, AutoTokenizer

    path = checkpoint("encoder", verbose=False)
    tokenizer, model = AutoTokenizer.from_pretrained(path), AutoModel.from_pretrained(path)
    with torch.no_grad():
        alone = model(**tokenizer(SENTENCES[0], return_tensors="pt")).last_hidden_state.mean(dim=1)
    np.testing.assert_allclose(outputs["pt"][2][0], alone[0].numpy(), atol=1e-4)
    np.testing.assert_allclose(outputs["tf"][2][0], alone[0].numpy(), atol=1e-4)
    unmasked = outputs["pt"][0][0].mean(axis=0)
    assert np.abs(unmasked - alone[0].numpy()).max() > 0.1
