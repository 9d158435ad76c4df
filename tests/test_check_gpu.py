"""scripts/check_gpu.py, the GPU check, runs the same way on the CPU: a quick fine-tune and one
PyTorch lesson run twice, its numbers compared. The course's own assets are left alone."""

import subprocess
import sys
from pathlib import Path

from utils import assets

ROOT = Path(__file__).resolve().parent.parent


def test_gpu_check_runs_on_the_cpu(tmp_path):
    manifest = (assets.assets_dir() / assets.MANIFEST).read_bytes()
    proc = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "check_gpu.py"), "--device", "cpu",
         "--notebooks", "02_pipeline_pt", "--finetune-steps", "4", "--workdir", str(tmp_path)],
        capture_output=True, text=True, timeout=900)
    out = proc.stdout
    assert proc.returncode == 0, out + proc.stderr[-3000:]
    assert "device: cpu · transformers 4.50.3" in out
    assert "PyTorch" in out and "TensorFlow" in out
    assert "ok   sentiment fine-tune on the CPU" in out
    line = next(row for row in out.splitlines() if "02_pipeline_pt" in row)
    assert line.startswith("ok   02_pipeline_pt") and "largest difference 0.00e+00" in line
    assert "all checks passed" in out
    assert (assets.assets_dir() / assets.MANIFEST).read_bytes() == manifest
    assert (tmp_path / "assets" / "sentiment" / "model.safetensors").exists()


def test_gpu_check_compares_numbers():
    sys.path.insert(0, str(ROOT / "scripts"))
    import check_gpu

    ran = {"seconds": 1, "cells": [{"out": "accuracy 0.7175\n took 3.2 s", "error": None}]}
    close = {"seconds": 1, "cells": [{"out": "accuracy 0.7180\n took 9.9 s", "error": None}]}
    far = {"seconds": 1, "cells": [{"out": "accuracy 0.6000\n took 1.0 s", "error": None}]}
    broke = {"seconds": 1, "cells": [{"out": "", "error": "RuntimeError: CUDA out of memory"}]}
    assert check_gpu.compare("06_fine_tuning_pt", ran, close)[0]  # timings are not compared
    quick = {"seconds": 1, "cells": [{"out": "9.5 s (speed-up 1.9×) · 0.7175", "error": None}]}
    slow = {"seconds": 1, "cells": [{"out": "4.0 s (speed-up 1.2×) · 0.7175", "error": None}]}
    assert check_gpu.compare("08_padding_speed_pt", quick, slow)[0]  # nor speed-ups
    assert check_gpu.compare("02_pipeline_pt", ran, close)[0]  # 5e-4 ≤ 1e-3
    ok, detail = check_gpu.compare("06_fine_tuning_pt", ran, far)
    assert not ok and "1.18e-01" in detail
    ok, detail = check_gpu.compare("02_pipeline_pt", ran, broke)
    assert not ok and "CUDA out of memory" in detail
    # A lesson that breaks the same way in both runs prints the same (few) numbers: still a failure.
    both = {"seconds": 1, "cells": [{"out": "accuracy 0.7175", "error": None},
                                    {"out": "", "error": "AttributeError: no attribute 'json_'"}]}
    ok, detail = check_gpu.compare("06_fine_tuning_pt", both, both)
    assert not ok and detail.startswith("code cell 1 raised on the device") and "json_" in detail
    # ... unless the cell raises on purpose (nbval's raises-exception tag in the solution).
    assert check_gpu.compare("06_fine_tuning_pt", {**both, "may_raise": [1]}, both)[0]


def test_the_kit_names_what_its_packages_need_and_the_machine_lacks(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    import check_gpu

    info = tmp_path / "demo-1.0.dist-info"  # a package as the kit installs it: without its deps
    info.mkdir()
    (info / "METADATA").write_text(
        "Metadata-Version: 2.1\nName: demo\nVersion: 1.0\n"
        "Requires-Dist: packaging\n"  # there
        "Requires-Dist: pytest>=999\n"  # there, too old
        "Requires-Dist: surely-not-a-package-here\n"  # missing
        'Requires-Dist: another-missing-one; extra == "docs"\n'  # optional: not needed
        'Requires-Dist: windows-only-missing; sys_platform == "win32"\n')  # another platform's
    unmet = check_gpu.unmet_requirements(tmp_path)
    assert len(unmet) == 2, unmet
    assert unmet[0].startswith("pytest>=999 (found ") and unmet[0].endswith("for demo 1.0")
    assert unmet[1] == "surely-not-a-package-here (found nothing), for demo 1.0"
