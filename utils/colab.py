"""Colab support: ``python -m utils.colab`` installs the pinned packages Colab lacks and builds
the course's small offline assets (data and the Korean tokenizer). Lessons then use Hub
checkpoints for the models (``setup()`` switches to them when the offline models are absent).

The first cell of every notebook clones ``GITHUB_REPO`` and runs this module on Colab only.
"""

from __future__ import annotations

import re
import subprocess
import sys
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

GITHUB_REPO = "hf-course-kr/transformers-pt-tf"
BRANCH = "main"
REPO_ROOT = Path(__file__).resolve().parent.parent

# Colab brings its own GPU build of torch and its own notebook front end; the test tools are
# not needed there.
KEEP_COLABS = {"torch", "jupyterlab", "ipykernel", "ipywidgets", "nbformat", "nbclient",
               "pytest", "pytest-xdist", "nbval"}
SMALL_ASSETS = ["data-polarity", "data-korean", "korean-tokenizer"]


def requirements(path: Path = REPO_ROOT / "requirements.txt") -> dict[str, str]:
    pins = {}
    for line in path.read_text().splitlines():
        match = re.match(r"^([A-Za-z0-9_.\-]+)==(\S+)", line.strip())
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def missing(pins: dict[str, str], installed=version) -> list[str]:
    """``name==version`` for each pin that is absent or at another version."""
    wanted = []
    for name, pinned in pins.items():
        if name.lower() in KEEP_COLABS:
            continue
        try:
            have = installed(name)
        except PackageNotFoundError:
            have = None
        if have is None or have.split("+")[0] != pinned:
            wanted.append(f"{name}=={pinned}")
    return wanted


def main() -> int:
    wanted = missing(requirements())
    if wanted:
        print(f"Installing {len(wanted)} pinned packages Colab lacks …", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", *wanted], check=True)
    subprocess.run([sys.executable, "-m", "utils.assets", "build", "--only", *SMALL_ASSETS],
                   check=True, cwd=REPO_ROOT)
    print("Colab is ready. Model checkpoints come from the Hugging Face Hub.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
