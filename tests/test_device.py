"""Device detection for both frameworks, with stand-in torch and TensorFlow modules."""

from types import SimpleNamespace

from tests.helpers import assert_runs_without_tensorflow
from utils import device


def fake_torch(cuda=(), mps=False):
    props = [SimpleNamespace(name=name, total_memory=int(gb * 2**30), major=major, minor=minor)
             for name, gb, major, minor in cuda]
    return SimpleNamespace(
        __version__="2.13.0+cpu",
        cuda=SimpleNamespace(is_available=lambda: bool(props), device_count=lambda: len(props),
                             get_device_properties=lambda i: props[i]),
        backends=SimpleNamespace(mps=SimpleNamespace(is_available=lambda: mps)))


class FakeTFConfig:
    def __init__(self, gpus, busy=False):
        self.gpus = [SimpleNamespace(name=f"/physical_device:GPU:{i}") for i in range(len(gpus))]
        self.details = dict(zip((g.name for g in self.gpus), gpus))
        self.growth = []
        self.busy = busy
        self.experimental = SimpleNamespace(set_memory_growth=self._grow,
                                            get_device_details=lambda g: self.details[g.name])

    def list_physical_devices(self, kind):
        return self.gpus if kind == "GPU" else []

    def _grow(self, gpu, flag):
        if self.busy:
            raise RuntimeError("Physical devices cannot be modified after being initialized")
        self.growth.append((gpu.name, flag))


def test_torch_cpu_only():
    info = device.torch_info(fake_torch())
    assert (info.kind, info.device, info.accelerators) == ("cpu", "cpu", [])
    assert info.version == "2.13.0" and not info.bf16 and not info.fp16
    assert "CPU" in device.format_report([info])


def test_torch_cuda_names_memory_and_precision():
    info = device.torch_info(fake_torch(cuda=[("NVIDIA H100", 79.2, 9, 0), ("Tesla T4", 15, 7, 5)]))
    assert info.kind == "cuda" and info.device == "cuda"
    h100, t4 = info.accelerators
    assert (h100.name, h100.memory_gb, h100.bf16, h100.fp16) == ("NVIDIA H100", 79.2, True, True)
    assert (t4.bf16, t4.fp16) == (False, True)
    assert info.fp16 and not info.bf16  # all devices must support a mode
    text = device.format_report([info])
    assert "NVIDIA H100, 79.2 GiB; mixed precision: bf16, fp16" in text
    assert "Tesla T4, 15.0 GiB; mixed precision: fp16" in text


def test_torch_mps():
    info = device.torch_info(fake_torch(mps=True))
    assert (info.kind, info.device) == ("mps", "mps")


def test_tf_gpus_get_memory_growth():
    config = FakeTFConfig([{"device_name": "NVIDIA A100", "compute_capability": (8, 0)}])
    tf = SimpleNamespace(__version__="2.21.0", config=config)
    info = device.tf_info(tf)
    assert config.growth == [("/physical_device:GPU:0", True)]
    assert (info.kind, info.device) == ("gpu", "/GPU:0")
    assert info.accelerators[0].name == "NVIDIA A100" and info.bf16


def test_tf_growth_after_init_is_reported_not_raised():
    config = FakeTFConfig([{"device_name": "GPU", "compute_capability": (7, 0)}], busy=True)
    info = device.tf_info(SimpleNamespace(__version__="2.21.0", config=config))
    assert any("memory growth not set" in note for note in info.notes)
    assert info.fp16 and not info.bf16


def test_tf_cpu_only():
    info = device.tf_info(SimpleNamespace(__version__="2.21.0", config=FakeTFConfig([])))
    assert (info.kind, info.device, info.accelerators) == ("cpu", "/CPU:0", [])


def test_real_torch_on_this_machine():
    info = device.torch_info()
    assert info.device in {"cpu", "cuda", "mps"}


def test_unknown_framework():
    import pytest

    with pytest.raises(ValueError, match="'pt' or 'tf'"):
        device.device_info("jax")


def test_pytorch_lessons_never_import_tensorflow():
    """setup("pt") keeps transformers, its pipelines included, from importing TensorFlow."""
    assert_runs_without_tensorflow("from utils import setup\nsetup('pt')\n"
                                   "from transformers import pipeline, AutoModel, AutoTokenizer\n"
                                   "from transformers.pipelines import SUPPORTED_TASKS\n",
                                   use_tf_0=False)  # setup('pt') must keep TensorFlow out itself
