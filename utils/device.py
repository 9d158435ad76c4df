"""Which accelerators PyTorch and TensorFlow can use, with the same function names for both.

``get_device("pt")`` gives a ``torch.device``; ``get_device("tf")`` a TensorFlow device string.
Nothing here imports TensorFlow unless a TensorFlow function is asked for, so a PyTorch-only
lesson never pays TensorFlow's start-up time.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from dataclasses import dataclass, field


@dataclass
class Accelerator:
    name: str
    memory_gb: float | None = None
    bf16: bool = False
    fp16: bool = False


@dataclass
class DeviceInfo:
    framework: str  # "pt" or "tf"
    version: str
    kind: str  # "cuda", "mps", "gpu" (TensorFlow) or "cpu"
    accelerators: list[Accelerator] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def device(self) -> str:
        if self.framework == "tf":
            return "/GPU:0" if self.accelerators else "/CPU:0"
        return {"cuda": "cuda", "mps": "mps"}.get(self.kind, "cpu")

    @property
    def bf16(self) -> bool:
        return bool(self.accelerators) and all(a.bf16 for a in self.accelerators)

    @property
    def fp16(self) -> bool:
        return bool(self.accelerators) and all(a.fp16 for a in self.accelerators)


def torch_info(torch=None) -> DeviceInfo:
    """CUDA GPUs (name, memory, bf16/fp16), Apple MPS, or CPU. ``torch`` may be a stand-in."""
    if torch is None:
        import torch
    info = DeviceInfo("pt", torch.__version__.split("+")[0], "cpu")
    if torch.cuda.is_available():
        info.kind = "cuda"
        for i in range(torch.cuda.device_count()):
            props = torch.cuda.get_device_properties(i)
            capability = (props.major, props.minor)
            info.accelerators.append(Accelerator(
                name=props.name, memory_gb=round(props.total_memory / 2**30, 1),
                bf16=capability >= (8, 0), fp16=capability >= (7, 0)))
    elif getattr(torch.backends, "mps", None) is not None and torch.backends.mps.is_available():
        info.kind = "mps"
        info.accelerators.append(Accelerator(name="Apple GPU (MPS)", bf16=True, fp16=True))
    else:
        info.notes.append("no CUDA or MPS GPU found: running on the CPU")
    return info


def tf_info(tf=None) -> DeviceInfo:
    """TensorFlow GPUs with memory growth switched on, so TF does not take all GPU memory
    from PyTorch in the same kernel. ``tf`` may be a stand-in."""
    if tf is None:
        tf = import_tensorflow_quietly()
    info = DeviceInfo("tf", tf.__version__, "cpu")
    gpus = tf.config.list_physical_devices("GPU")
    for gpu in gpus:
        try:
            tf.config.experimental.set_memory_growth(gpu, True)
        except RuntimeError:  # already initialised: growth can only be set before first use
            info.notes.append(f"memory growth not set on {gpu.name}: GPU already in use")
        details = tf.config.experimental.get_device_details(gpu) or {}
        capability = tuple(details.get("compute_capability") or (0, 0))
        info.accelerators.append(Accelerator(
            name=details.get("device_name", gpu.name),
            bf16=capability >= (8, 0), fp16=capability >= (7, 0)))
    if gpus:
        info.kind = "gpu"
    else:
        info.notes.append("no GPU visible to TensorFlow: running on the CPU")
    return info


def device_info(framework: str) -> DeviceInfo:
    if framework == "pt":
        return torch_info()
    if framework == "tf":
        return tf_info()
    raise ValueError(f"framework must be 'pt' or 'tf', not {framework!r}")


def get_device(framework: str = "pt"):
    """The device to put models and tensors on: ``torch.device`` for "pt", a string for "tf"."""
    info = device_info(framework)
    if framework == "pt":
        import torch
        return torch.device(info.device)
    return info.device


def mixed_precision(framework: str = "pt") -> str | None:
    """"bf16", "fp16" or None: the mixed-precision mode this machine's accelerator supports."""
    info = device_info(framework)
    return "bf16" if info.bf16 else "fp16" if info.fp16 else None


def format_report(infos: list[DeviceInfo]) -> str:
    names = {"pt": "PyTorch", "tf": "TensorFlow"}
    lines = []
    for info in infos:
        lines.append(f"{names[info.framework]} {info.version}: device {info.device!r}")
        for acc in info.accelerators:
            memory = f", {acc.memory_gb} GiB" if acc.memory_gb else ""
            precision = ", ".join(p for p, ok in (("bf16", acc.bf16), ("fp16", acc.fp16)) if ok)
            lines.append(f"  - {acc.name}{memory}; mixed precision: {precision or 'none'}")
        lines += [f"  ({note})" for note in info.notes]
    return "\n".join(lines)


def report(frameworks=("pt",)) -> str:
    """A one-screen report of the devices each framework sees; printed and returned."""
    text = format_report([device_info(fw) for fw in frameworks])
    print(text)
    return text


@contextlib.contextmanager
def silence_native_stderr(keep=lambda line: False):
    """Hide what C/C++ code writes straight to file descriptor 2 (TensorFlow's start-up log
    lines, which carry timestamps and differ on every run). Lines for which ``keep`` is true
    are written back."""
    try:
        fd = sys.__stderr__.fileno()
    except (AttributeError, ValueError, OSError):
        yield
        return
    saved = os.dup(fd)
    with tempfile.TemporaryFile(mode="w+b") as sink:
        os.dup2(sink.fileno(), fd)
        try:
            yield
        finally:
            os.dup2(saved, fd)
            os.close(saved)
            sink.seek(0)
            for line in sink.read().decode("utf-8", "replace").splitlines():
                if keep(line):
                    print(line, file=sys.stderr)


def import_tensorflow_quietly():
    """Import TensorFlow with Keras 2 (tf-keras) and without its C++ start-up chatter."""
    from utils import env

    env.apply(offline=False)  # Keras 2 and quiet start-up; offline mode is setup()'s choice
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    with silence_native_stderr():
        import tensorflow as tf

        # Start the runtime now, so the log lines it prints on first use are silenced too.
        tf.config.list_physical_devices()
        tf.reduce_sum(tf.zeros((2, 2)))
    tf.get_logger().setLevel("ERROR")
    return tf
