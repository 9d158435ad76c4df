"""One home for the environment variables the course sets (standard library only).

``setup()``, the asset build, the grader, the tests, the benchmarks and the scripts all take
them from here: offline mode (the Hugging Face libraries never reach the Hub), Keras 2 from
tf-keras for transformers' TensorFlow classes, and no TensorFlow C++ or tokenizers chatter.
TensorFlow and transformers read them when first imported, so they are set before that.
"""

from __future__ import annotations

import os
from collections.abc import MutableMapping

OFFLINE = {"HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1"}
TENSORFLOW = {"TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3"}
QUIET = {"TOKENIZERS_PARALLELISM": "false"}


def course_environment(offline: bool = True) -> dict[str, str]:
    """The variables and values the course sets."""
    return {**(OFFLINE if offline else {}), **TENSORFLOW, **QUIET}


def apply(environ: MutableMapping[str, str] | None = None, offline: bool = True,
          force: bool = False) -> MutableMapping[str, str]:
    """Set the course's variables in ``environ`` (``os.environ`` by default). Offline mode is
    always set when asked for; the others keep a value the user chose unless ``force``."""
    environ = os.environ if environ is None else environ
    for name, value in course_environment(offline).items():
        if force or name in OFFLINE:
            environ[name] = value
        else:
            environ.setdefault(name, value)
    return environ
