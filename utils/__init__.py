"""Helpers for the course notebooks: one ``setup()`` call, devices, offline checkpoints, data,
exercise checks. They hide plumbing only; the lessons call transformers themselves."""

from __future__ import annotations

import os
import random
import sys
import warnings

from utils.checkpoints import checkpoint, online
from utils.checks import check
from utils.data import data_files, load_polarity
from utils.selfcheck import self_check

__all__ = ["setup", "checkpoint", "check", "data_files", "load_polarity", "in_colab", "online",
           "course_path", "self_check"]

FRAMEWORKS = {"pt": ("pt",), "tf": ("tf",), "both": ("pt", "tf"), None: ()}


def in_colab() -> bool:
    return "google.colab" in sys.modules or "COLAB_RELEASE_TAG" in os.environ


def seed_everything(seed: int, frameworks=("pt",)) -> None:
    """Seed Python, NumPy and the frameworks in use, so every run prints the same numbers."""
    import numpy as np

    random.seed(seed)
    np.random.seed(seed)
    os.environ["PYTHONHASHSEED"] = str(seed)
    if "pt" in frameworks:
        import torch
        torch.manual_seed(seed)
    if "tf" in frameworks:
        from utils.device import import_tensorflow_quietly
        import_tensorflow_quietly().keras.utils.set_random_seed(seed)


def _set_environment(offline: bool, frameworks, torch: bool = True) -> None:
    # transformers imports every framework it finds (its pipelines import TensorFlow on their
    # own); USE_TF=0 keeps a PyTorch lesson free of TensorFlow's start-up time. It is read when
    # transformers is first imported, which is why setup() comes first. (TensorFlow lessons
    # leave PyTorch enabled: with USE_TORCH=0, transformers 4.50 cannot import its pipelines
    # while accelerate is installed.)
    if frameworks == ("pt",):
        os.environ["USE_TF"] = "0"
    if frameworks == ("tf",) and not torch:
        os.environ["USE_TORCH"] = "0"
    os.environ["COURSE_FRAMEWORK"] = "+".join(frameworks)  # read by the exercise checks
    # Offline mode, Keras 2 (tf-keras) for transformers' TF classes, no C++ log lines:
    # TensorFlow and transformers read them when first imported (utils/env.py).
    from utils import env

    env.apply(offline=offline)


def course_path(relative: str) -> str:
    """A file or folder of the course (``scripts/finetune_polarity.py``) found from the
    installed course, whatever the working folder: written relative to it when nearby
    (``../scripts/finetune_polarity.py`` from a notebook), so outputs show no machine path."""
    from pathlib import Path

    from utils.checkpoints import _short_path

    return _short_path(Path(__file__).resolve().parent.parent / relative)


def setup(framework: str | None = "pt", seed: int = 42, report: bool = True,
          torch: bool = True) -> None:
    """First cell of every notebook: offline mode, seeds, quiet logs and a device report.

    ``framework`` is ``"pt"``, ``"tf"``, ``"both"`` or ``None``. TensorFlow is imported only for
    ``"tf"`` and ``"both"``. ``torch=False`` (with ``"tf"`` only) keeps transformers from
    importing PyTorch, which its TensorFlow classes do not need: about 225 MiB less memory
    in the kernel, but ``transformers.pipeline`` can then not be imported.
    """
    if framework not in FRAMEWORKS:
        raise ValueError(f"framework must be one of {list(FRAMEWORKS)}, not {framework!r}")
    frameworks = FRAMEWORKS[framework]
    if not torch and frameworks != ("tf",):
        raise ValueError(f"torch=False is for TensorFlow lessons: setup('tf', torch=False), "
                         f"not setup({framework!r}, torch=False)")
    if "transformers" in sys.modules or "tensorflow" in sys.modules:
        warnings.warn("transformers or TensorFlow was imported before setup(): restart the "
                      "kernel and run the setup cell first, so offline mode, Keras 2 and the "
                      "framework choice take effect.", stacklevel=2)
    offline = not online()
    _set_environment(offline, frameworks, torch)
    if offline:
        from utils import offline as offline_guard

        offline_guard.install()
    warnings.filterwarnings("ignore", category=FutureWarning, module="transformers")
    seed_everything(seed, frameworks)

    where = "Colab" if in_colab() else "local"
    mode = "offline checkpoints" if offline else "Hub checkpoints (COURSE_ONLINE=1)"
    lines = [f"Course setup: {where} · {mode} · seed {seed}"]
    from utils import device

    infos = [device.device_info(fw) for fw in frameworks]
    if report and infos:
        lines.append(device.format_report(infos))
    if report:
        print("\n".join(lines))
