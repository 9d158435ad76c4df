"""setup("tf", torch=False): transformers' TensorFlow classes without PyTorch in the kernel
(lesson 11's TensorFlow notebook uses it to stay within the memory budget)."""

import subprocess
import sys

import pytest

from utils import setup

CODE = """
import sys
from utils import setup
setup("tf", report=False{extra})
from transformers import TFAutoModelForSequenceClassification
print("torch imported:", "torch" in sys.modules)
"""


@pytest.mark.parametrize("extra, imported", [(", torch=False", False), ("", True)])
def test_torch_false_keeps_pytorch_out(extra, imported):
    result = subprocess.run([sys.executable, "-c", CODE.format(extra=extra)],
                            capture_output=True, text=True, timeout=240, check=False)
    assert result.returncode == 0, result.stderr[-2000:]
    assert f"torch imported: {imported}" in result.stdout, result.stdout + result.stderr[-2000:]


def test_torch_false_is_for_tensorflow_lessons_only():
    for framework in ("pt", "both"):
        with pytest.raises(ValueError, match="torch=False is for TensorFlow lessons"):
            setup(framework, report=False, torch=False)
