"""The offline bundle, end to end on a small scale: `python -m utils.bundle make` with a one-package
requirements file and a small assets folder, then the bundle's install.sh into a fresh folder
with the network cut off (a new network namespace, where `unshare` allows it), ending with
`python -m utils.assets verify`. The full-size run is recorded in instructors/README.md.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from utils import assets, bundle

ROOT = Path(__file__).resolve().parent.parent


def small_assets(folder: Path) -> Path:
    """A complete assets folder in miniature: one small file per asset, a matching manifest."""
    manifest = {"assets": {}}
    for name, asset in assets.ASSETS.items():
        path = folder / asset.folder / "file.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"{name}\n")
        manifest["assets"][name] = {"files": {"file.txt": hashlib.sha256(
            path.read_bytes()).hexdigest()}}
    (folder / assets.MANIFEST).write_text(json.dumps(manifest))
    return folder


def no_network_prefix() -> list[str]:
    """`unshare -n` (a network namespace with no interfaces up) where this user may use it."""
    if shutil.which("unshare") and subprocess.run(["unshare", "-n", "true"],
                                                  capture_output=True).returncode == 0:
        return ["unshare", "-n"]
    return []


def test_make_and_install_offline(tmp_path):
    req = tmp_path / "requirements.txt"
    req.write_text("six==1.17.0\n")
    out = tmp_path / "bundle"
    made = subprocess.run(
        [sys.executable, "-m", "utils.bundle", "make", "--out", str(out),
         "--assets", str(small_assets(tmp_path / "assets")), "--requirements", str(req)],
        cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert made.returncode == 0, made.stderr[-3000:]
    wheels = sorted(p.name for p in (out / "wheels" / bundle.THIS_PLATFORM).iterdir())
    assert any(w.startswith("six-1.17.0-") for w in wheels), wheels
    assert any(w.startswith("setuptools-") for w in wheels), wheels
    assert (out / "course" / "utils" / "assets.py").is_file()
    assert (out / "course" / "assets" / assets.MANIFEST).is_file()
    assert "total" in (out / "BUNDLE.txt").read_text()

    target = tmp_path / "laptop" / "hf-course"
    prefix = no_network_prefix()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("PIP_", "COURSE_"))}
    env.pop("PYTHONPATH", None)
    installed = subprocess.run([*prefix, "bash", str(out / "install.sh"), str(target)],
                               capture_output=True, text=True, timeout=600, env=env)
    assert installed.returncode == 0, installed.stdout[-3000:] + installed.stderr[-3000:]
    for name in assets.ASSETS:
        assert f"{name:<17} ok" in installed.stdout
    python = target / ".venv" / "bin" / "python"
    listed = subprocess.run([str(python), "-c", "import six, utils; print(six.__version__, "
                             "utils.__file__)"], capture_output=True, text=True, env=env,
                            cwd=tmp_path)
    assert listed.stdout.split()[0] == "1.17.0"
    assert Path(listed.stdout.split()[1]).is_relative_to(target)
    assert (target / ".venv" / ".course-installed").is_file()

    again = subprocess.run(["bash", str(out / "install.sh"), str(target)],
                           capture_output=True, text=True, timeout=60, env=env)
    assert again.returncode == 2 and "already exists" in again.stderr


def test_refuses_incomplete_assets_and_used_folder(tmp_path):
    broken = small_assets(tmp_path / "assets")
    (broken / "encoder" / "file.txt").write_text("changed\n")
    with pytest.raises(bundle.BundleError, match="not complete .*encoder"):
        bundle.make(tmp_path / "out", [None], None, broken, ROOT / "requirements.txt")
    good = small_assets(tmp_path / "assets2")
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    with pytest.raises(bundle.BundleError, match="not empty"):
        bundle.make(tmp_path / "used", [None], None, good, ROOT / "requirements.txt")
