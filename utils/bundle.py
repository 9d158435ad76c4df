"""An offline bundle for rooms without reliable internet: wheels, the built assets, the course.

Make it once, on a machine with the package index (and the built assets):

    python -m utils.bundle make --out /media/usb/hf-course-bundle
    python -m utils.bundle make --out DIR --platform macosx_11_0_arm64 --python-version 3.11

It writes, under DIR:

* ``wheels/<platform>/``  every pinned package of requirements.txt and what they need, as wheels
  (``pip download``; with ``--platform`` for a learner's platform other than this one), plus
  setuptools and wheel for installing the course itself;
* ``course/``             the course's files (those git tracks) with the built ``assets/`` inside;
* ``install.sh``          the installer, which needs no network at all;
* ``BUNDLE.txt``          what is inside and how much it weighs.

On each laptop, with no network:

    bash DIR/install.sh ~/hf-course          # copy the course, make .venv, install, verify

``install.sh`` picks ``wheels/<platform>/`` for the laptop (``--wheels NAME`` to choose),
installs with ``pip install --no-index --find-links``, installs the course's ``utils``, and runs
``python -m utils.assets verify``. Afterwards ``make lab`` in that folder opens JupyterLab with
nothing left to install.
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
THIS_PLATFORM = "this-machine"

INSTALL_SH = r"""#!/usr/bin/env bash
# Install the course from this bundle with no network: bash install.sh [TARGET] [--wheels NAME]
set -euo pipefail
BUNDLE="$(cd "$(dirname "$0")" && pwd)"
TARGET="${1:-$PWD/hf-course}"
WHEELS=""
if [ "${2:-}" = "--wheels" ]; then WHEELS="${3:?--wheels needs a folder name under wheels/}"; fi
PYTHON="${PYTHON:-python3}"
if [ -z "$WHEELS" ]; then
  count=$(ls -1 "$BUNDLE/wheels" | wc -l)
  if [ "$count" -ne 1 ]; then
    echo "error: this bundle has wheels for several platforms:" \
         "$(ls "$BUNDLE/wheels" | tr '\n' ' ')" \
         "- choose one: bash install.sh $TARGET --wheels NAME" >&2
    exit 2
  fi
  WHEELS=$(ls -1 "$BUNDLE/wheels")
fi
FIND="$BUNDLE/wheels/$WHEELS"
[ -d "$FIND" ] || { echo "error: no wheels/$WHEELS in this bundle" >&2; exit 2; }
if [ -e "$TARGET/.venv" ]; then
  echo "error: $TARGET/.venv already exists; choose another folder or remove it" >&2
  exit 2
fi
start=$(date +%s)
echo "Copying the course to $TARGET ..."
mkdir -p "$TARGET"
cp -R "$BUNDLE/course/." "$TARGET/"
echo "Creating $TARGET/.venv and installing from $FIND (no network) ..."
"$PYTHON" -m venv "$TARGET/.venv"
PIP=("$TARGET/.venv/bin/python" -m pip --disable-pip-version-check --no-input)
"${PIP[@]}" install -q --no-index --find-links "$FIND" --upgrade setuptools wheel
"${PIP[@]}" install -q --no-index --find-links "$FIND" -r "$TARGET/requirements.txt"
"${PIP[@]}" install -q --no-index --find-links "$FIND" --no-deps --no-build-isolation -e "$TARGET"
"${PIP[@]}" check
touch "$TARGET/.venv/.course-installed"   # make lab / make test: nothing left to install
cd "$TARGET"
COURSE_ASSETS_DIR="$TARGET/assets" .venv/bin/python -m utils.assets verify
echo "Installed in $(( $(date +%s) - start )) s. Start with: cd $TARGET && make lab"
"""


class BundleError(RuntimeError):
    """The bundle cannot be made; the message says why and what to do."""


def tracked_files(root: Path = REPO_ROOT) -> list[str]:
    try:
        out = subprocess.run(["git", "ls-files", "-z"], cwd=root, capture_output=True,
                             check=True).stdout
    except (OSError, subprocess.CalledProcessError) as err:
        raise BundleError(f"cannot list the course's files with git ({err}); make the bundle "
                          "from a git clone of the course") from None
    return [p for p in out.decode().split("\0") if p]


def folder_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file() and not p.is_symlink())


def download_wheels(requirements: Path, dest: Path, platform: str | None,
                    python_version: str | None) -> None:
    cmd = [sys.executable, "-m", "pip", "--disable-pip-version-check", "download", "-q",
           "-d", str(dest), "-r", str(requirements), "setuptools", "wheel"]
    if platform:
        cmd += ["--only-binary=:all:", "--platform", platform, "--implementation", "cp"]
        if python_version:
            cmd += ["--python-version", python_version]
    elif python_version:
        raise BundleError("--python-version needs --platform (the wheels of another Python)")
    result = subprocess.run(cmd)
    if result.returncode != 0:
        raise BundleError(f"pip download failed for {platform or 'this machine'} (exit status "
                          f"{result.returncode}); see pip's messages above")


def make(out: Path, platforms: list[str], python_version: str | None, assets: Path,
         requirements: Path) -> dict:
    from utils import assets as course_assets

    problems = {k: v for k, v in course_assets.status(assets).items() if v != "ok"}
    if problems:
        raise BundleError(f"the assets in {assets} are not complete ({', '.join(problems)}); "
                          f"build them first: {course_assets.BUILD_COMMAND}")
    if out.exists() and any(out.iterdir()):
        raise BundleError(f"{out} exists and is not empty; choose a new folder")
    out.mkdir(parents=True, exist_ok=True)
    timings = {}
    start = time.perf_counter()
    course = out / "course"
    for rel in tracked_files():
        src = REPO_ROOT / rel
        if src.is_file():
            (course / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(src, course / rel)
    shutil.copy2(requirements, course / "requirements.txt")
    shutil.copytree(assets, course / "assets", ignore=shutil.ignore_patterns("downloads"))
    timings["course and assets"] = time.perf_counter() - start
    for platform in platforms:
        start = time.perf_counter()
        name = platform or THIS_PLATFORM
        download_wheels(requirements, out / "wheels" / name, platform, python_version)
        timings[f"wheels for {name}"] = time.perf_counter() - start
    script = out / "install.sh"
    script.write_text(INSTALL_SH, encoding="utf-8")
    script.chmod(0o755)
    sizes = {"course (files)": folder_size(course) - folder_size(course / "assets"),
             "assets": folder_size(course / "assets")}
    for folder in sorted((out / "wheels").iterdir()):
        sizes[f"wheels/{folder.name} ({len(list(folder.iterdir()))} files)"] = folder_size(folder)
    lines = ["Offline bundle of the course", "",
             "Install on a laptop, no network needed: bash install.sh ~/hf-course", ""]
    lines += [f"{name:<45} {size / 1e6:>10,.1f} MB" for name, size in sizes.items()]
    lines.append(f"{'total':<45} {sum(sizes.values()) / 1e6:>10,.1f} MB")
    lines += [""] + [f"made: {k} in {v:.0f} s" for k, v in timings.items()]
    (out / "BUNDLE.txt").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return {"sizes": sizes, "timings": timings, "summary": "\n".join(lines)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.bundle", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    m = sub.add_parser("make", help="write an offline bundle")
    m.add_argument("--out", type=Path, required=True, help="a new folder for the bundle")
    m.add_argument("--platform", action="append", default=None, metavar="TAG",
                   help="a learner platform's wheel tag, e.g. macosx_11_0_arm64, "
                        "manylinux2014_x86_64, win_amd64 (repeatable; default: this machine)")
    m.add_argument("--python-version", metavar="X.Y",
                   help="the learners' Python with --platform (default: this one's)")
    m.add_argument("--assets", type=Path, default=None,
                   help="the built assets folder (default: $COURSE_ASSETS_DIR or assets/)")
    m.add_argument("--requirements", type=Path, default=REPO_ROOT / "requirements.txt",
                   help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    from utils import assets as course_assets

    platforms = args.platform or [None]
    try:
        result = make(args.out.resolve(), platforms, args.python_version,
                      (args.assets or course_assets.assets_dir()).resolve(), args.requirements)
    except BundleError as err:
        print(f"error: {err}", file=sys.stderr)
        return 1
    print(result["summary"])
    return 0


if __name__ == "__main__":
    sys.exit(main())
