"""`python -m utils.doctor`: READY on a healthy set-up within a minute; one FAIL line with its fix
for a missing asset, a kernel that cannot start, a wrong package version and too little memory.

The broken set-ups are made in temporary folders (a copy of the assets' manifest with links to
the real asset folders, a kernel spec pointing at a Python that does not exist); the course's
own assets/ and kernels are never touched.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from utils import assets, doctor

ROOT = Path(__file__).resolve().parent.parent


def run_doctor(*args, env_update=None, timeout=180):
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])))
    env.update(env_update or {})
    start = time.monotonic()
    result = subprocess.run([sys.executable, "-m", "utils.doctor", *args], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=timeout)
    return result, time.monotonic() - start


def lines_of(output: str, status: str) -> dict[str, str]:
    """{check name: its line} for lines that start with ``status`` (ok / FAIL)."""
    found = {}
    for line in output.splitlines():
        if line.startswith(status):
            name = line[6:].split()[0]
            found[name] = line
    return found


def linked_assets(tmp_path: Path, leave_out: str) -> Path:
    """An assets folder that is the real one with ``leave_out`` missing (folders are links)."""
    real = assets.assets_dir()
    copy = tmp_path / "assets"
    copy.mkdir()
    (copy / assets.MANIFEST).write_bytes((real / assets.MANIFEST).read_bytes())
    for name, asset in assets.ASSETS.items():
        if name == leave_out:
            continue
        target = copy / asset.folder
        target.parent.mkdir(parents=True, exist_ok=True)
        target.symlink_to(real / asset.folder, target_is_directory=True)
    return copy


def broken_kernel_spec(tmp_path: Path) -> dict[str, str]:
    """Jupyter data folders whose python3 kernel runs a Python that no longer exists."""
    spec = tmp_path / "jupyter" / "kernels" / "python3"
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(tmp_path / "deleted-venv" / "bin" / "python"), "-m", "ipykernel_launcher",
                 "-f", "{connection_file}"],
        "display_name": "Python 3 (ipykernel)", "language": "python"}))
    jupyter = str(tmp_path / "jupyter")
    return {"JUPYTER_DATA_DIR": jupyter, "JUPYTER_PATH": jupyter}


@pytest.fixture(scope="module")
def assets_ok():
    problems = {k: v for k, v in assets.status().items() if v != "ok"}
    if problems:
        pytest.fail(f"the course's assets are not built: {problems}")


def test_healthy_setup_is_ready_within_a_minute(assets_ok):
    result, seconds = run_doctor()
    assert result.returncode == 0, result.stdout + result.stderr
    ok = lines_of(result.stdout, "ok")
    assert set(ok) == {"python", "versions", "assets", "kernel", "lesson", "memory", "disk"}, \
        result.stdout
    assert not lines_of(result.stdout, "FAIL")
    assert "the first 3 code cells of 02_pipeline_pt ran without an error" in ok["lesson"]
    assert result.stdout.rstrip().splitlines()[-1].startswith("READY: all 7 checks passed")
    assert seconds < 60, f"the doctor took {seconds:.0f} s"


def test_missing_asset_is_one_line_with_the_command_that_builds_it(assets_ok, tmp_path):
    broken = linked_assets(tmp_path, leave_out="korean-tokenizer")
    result, _ = run_doctor("--skip-kernel", env_update={"COURSE_ASSETS_DIR": str(broken)})
    assert result.returncode == 1
    fail = lines_of(result.stdout, "FAIL")
    assert set(fail) == {"assets"}, result.stdout
    assert "1 of 5 assets not usable (korean-tokenizer)" in fail["assets"]
    assert "→ python -m utils.assets build --only korean-tokenizer --force" in result.stdout
    assert "NOT READY: 1 check(s) failed (assets)" in result.stdout
    # and a lesson that needs the missing asset fails in the lesson check, naming it
    result, _ = run_doctor("--lesson", "04_tokenizers", "--cells", "40",
                           env_update={"COURSE_ASSETS_DIR": str(broken)})
    fail = lines_of(result.stdout, "FAIL")
    assert set(fail) == {"assets", "lesson"}, result.stdout
    assert "korean-tokenizer" in fail["lesson"] and "AssetError" in fail["lesson"]


def test_kernel_that_cannot_start(tmp_path):
    result, _ = run_doctor(env_update=broken_kernel_spec(tmp_path))
    assert result.returncode == 1
    fail = lines_of(result.stdout, "FAIL")
    assert {"kernel", "lesson"} <= set(fail), result.stdout
    assert "deleted-venv" in fail["kernel"] and "does not start" in fail["kernel"]
    assert "python -m ipykernel install --sys-prefix" in result.stdout
    assert "not run: no kernel" in fail["lesson"]


def test_no_kernel_of_that_name():
    result, _ = run_doctor("--kernel", "no-such-kernel")
    fail = lines_of(result.stdout, "FAIL")
    assert "no Jupyter kernel named 'no-such-kernel' is installed" in fail["kernel"]
    assert result.returncode == 1


def test_wrong_pin_and_missing_package(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("# comment\nnumpy==0.0.1  # wrong on purpose\nno-such-package-xyz==1.0\n"
                   "nbformat==5.11.1\n")
    result = doctor.check_versions(req)
    assert not result.ok
    assert "1 missing: no-such-package-xyz" in result.detail
    assert "numpy" in result.detail and "(pinned 0.0.1)" in result.detail
    assert "make setup" in result.fix
    assert doctor.check_versions(ROOT / "requirements.txt").ok


def test_too_little_memory_and_disk():
    memory = doctor.check_memory(min_gb=1e6)
    assert not memory.ok and "0.7-2.8 GB" in memory.detail and "Shut Down Kernel" in memory.fix
    disk = doctor.check_disk(min_gb=1e9)
    assert not disk.ok and "GB free" in disk.detail
    assert doctor.check_disk(min_gb=0).ok


def test_bad_arguments():
    result, _ = run_doctor("--cells", "0", "--skip-kernel")
    assert result.returncode == 2 and "--cells must be at least 1" in result.stderr


def test_on_colab_the_versions_are_the_colab_profiles(monkeypatch):
    """Colab keeps its own numpy, TensorFlow, torch...; the doctor checks what the first cell
    installs (colab/requirements.txt), not the local pins, which Colab never matches."""
    from utils import colab

    profile = {colab.normalize(name): version for name, version, _ in colab.read_profile()}
    monkeypatch.setattr(colab, "installed_version",
                        lambda name: profile.get(colab.normalize(name)))
    result = doctor.check_versions(colab=True)
    assert result.ok, result.detail
    assert f"all {len(profile)} packages of the course's Colab profile" in result.detail

    profile["transformers"] = "5.15.0"  # Colab's own, as before the first cell ran
    result = doctor.check_versions(colab=True)
    assert not result.ok
    assert "transformers 5.15.0 (profile 4.50.3)" in result.detail
    assert "first cell again" in result.fix


def test_on_colab_a_missing_sentiment_model_is_explained(monkeypatch):
    statuses = {name: "ok" for name in assets.ASSETS}
    statuses["sentiment"] = "not built"
    monkeypatch.setattr(assets, "status", lambda root=None: dict(statuses))
    monkeypatch.setenv("COLAB_RELEASE_TAG", "test")
    result = doctor.check_assets()
    assert not result.ok and "(sentiment): not built; on Colab the first cell of lessons 04-11" \
        in result.detail
    assert result.fix.startswith("!cd ")  # the line for a notebook cell
    monkeypatch.delenv("COLAB_RELEASE_TAG")
    assert "on Colab" not in doctor.check_assets().detail
