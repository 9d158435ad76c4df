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
    # ... while a result written with a spaced × stays a result (lesson 10's spread).
    assert check_gpu.numbers("largest 0.99 × 2σ√n · speed-up 1.9×") == [0.99]
    assert check_gpu.compare("02_pipeline_pt", ran, close)[0]  # 5e-4 ≤ 1e-3
    ok, detail = check_gpu.compare("06_fine_tuning_pt", ran, far)
    assert not ok and "1.18e-01" in detail
    ok, detail = check_gpu.compare("02_pipeline_pt", ran, broke)
    assert not ok and "CUDA out of memory" in detail
    # A lesson that breaks the same way in both runs prints the same (few) numbers: still a failure.
    both = {"seconds": 1, "cells": [{"out": "accuracy 0.7175", "error": None},
                                    {"out": "", "error": "AttributeError: no attribute 'json_'"}]}
    ok, detail = check_gpu.compare("06_fine_tuning_pt", both, both)
    assert not ok and detail.startswith("notebook cell 1 raised on the GPU") and "json_" in detail
    ok, detail = check_gpu.compare("06_fine_tuning_pt", {**both, "notebook_cell": [1, 4]}, both,
                                   "the second CPU run")
    assert not ok and detail.startswith("notebook cell 4 raised on the second CPU run")
    # ... unless the cell raises on purpose (nbval's raises-exception tag in the solution).
    assert check_gpu.compare("06_fine_tuning_pt", {**both, "may_raise": [1]}, both)[0]


def test_the_kit_names_what_its_packages_need_and_the_machine_lacks(tmp_path, monkeypatch):
    sys.path.insert(0, str(ROOT / "scripts"))
    import check_gpu

    def package(name, version, *requires):  # as the kit installs it: without its dependencies
        info = tmp_path / f"{name}-{version}.dist-info"
        info.mkdir()
        (info / "METADATA").write_text(
            f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n"
            + "".join(f"Requires-Dist: {r}\n" for r in requires))

    package("demo", "1.0",
            "packaging",  # there
            "pytest>=999",  # there, too old
            "surely-not-a-package-here",  # missing
            "helper[net]>=1",  # in the kit, with an extra that needs more
            'another-missing-one; extra == "docs"',  # an extra nobody asks for
            'windows-only-missing; sys_platform == "win32"',  # another platform's
            "not a requirement ((")  # unreadable
    package("helper", "2.0", "packaging", 'missing-for-net; extra == "net"')
    (tmp_path / "half_removed-0.1.dist-info").mkdir()  # no METADATA: skipped, no crash
    unmet = check_gpu.unmet_requirements(tmp_path)
    assert unmet == [
        "missing-for-net (found nothing), for helper 2.0 [net]",
        "not a requirement ((: not checked (InvalidRequirement), for demo 1.0",
        f"pytest>=999 (found {__import__('pytest').__version__}), for demo 1.0",
        "surely-not-a-package-here (found nothing), for demo 1.0",
    ], unmet
    monkeypatch.setitem(sys.modules, "packaging.requirements", None)  # no packaging library
    assert check_gpu.unmet_requirements(tmp_path) == [
        "packaging (found nothing), to read the kit's requirements: not checked"]
