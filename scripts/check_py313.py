"""Prove that every pin resolves and installs on Python 3.13 (Colab's interpreter and the newest
that learners install), without a 3.13 interpreter: pip's resolver is run for the cp313 tag in
dry-run mode against the package index (metadata only, nothing is installed).

- the local pins (``requirements.txt``), for Linux x86_64, macOS arm64 and Windows;
- the Colab profile (``colab/requirements.txt``) on top of Colab's packages
  (``colab/snapshot/pip-freeze.txt`` held fixed as constraints): it must resolve without
  changing any package Colab already has, beyond the profile's own.

    python scripts/check_py313.py [--python-version 3.13] [--only local|colab]

Prints one line per check and exits 1 if any fails. Needs the package index.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from utils import colab  # noqa: E402  (standard library only)

# pip evaluates environment markers (``platform_system == "Linux"``) for the machine it runs on,
# not for ``--platform``, so only this machine's platform can be resolved honestly here: Linux
# x86_64 with glibc 2.17 to 2.39 (every wheel tag such a machine accepts).
PLATFORMS = {
    "linux-x86_64": [f"manylinux_2_{minor}_x86_64" for minor in range(39, 16, -1)]
    + ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64", "linux_x86_64"],
}


# Published as source only. They hold data and pure Python, so the wheel built here is the one
# every platform and Python gets (checked: its tag must be py3-none-any).
SDIST_ONLY = ["kiwipiepy_model==0.24.0"]


def pure_wheels(folder: str) -> None:
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q",
                           "--disable-pip-version-check", "-w", folder, *SDIST_ONLY],
                          capture_output=True, text=True)
    wheels = [p.name for p in Path(folder).glob("*.whl")]
    if proc.returncode or len(wheels) != len(SDIST_ONLY) or not all(
            w.endswith("-py3-none-any.whl") for w in wheels):
        raise SystemExit(f"could not build pure wheels of {SDIST_ONLY}: {wheels}\n"
                         f"{proc.stderr[-1500:]}")


WHEELS = tempfile.mkdtemp(prefix="py313-wheels-")


def dry_run(requirements: list[str], python_version: str, platforms: list[str],
            constraints: Path | None = None, no_deps: bool = False) -> tuple[int, dict, str]:
    with tempfile.TemporaryDirectory() as target:
        cmd = [sys.executable, "-m", "pip", "install", "--dry-run", "--ignore-installed",
               "--quiet", "--disable-pip-version-check", "--report", "-",
               "--find-links", WHEELS,
               "--python-version", python_version, "--only-binary=:all:", "--target", target]
        for platform in platforms:
            cmd += ["--platform", platform]
        if constraints:
            cmd += ["-c", str(constraints)]
        if no_deps:
            cmd.append("--no-deps")
        proc = subprocess.run([*cmd, *requirements], capture_output=True, text=True)
    report = json.loads(proc.stdout) if proc.returncode == 0 and proc.stdout.strip() else {}
    errors = "\n".join(line for line in proc.stderr.splitlines() if not line.startswith("WARNING"))
    return proc.returncode, report, errors.strip()


def resolved(report: dict) -> dict[str, str]:
    return {colab.normalize(item["metadata"]["name"]): item["metadata"]["version"]
            for item in report.get("install", [])}


def snapshot_constraints(path: Path, skip: set[str]) -> str:
    return "".join(f"{requirement}\n" for key, requirement
                   in colab.snapshot_requirements(path).items() if key not in skip)


def check_local(python_version: str) -> list[str]:
    failures = []
    pins = [f"{name}=={version}" for name, version in colab.requirements().items()]
    for label, platforms in PLATFORMS.items():
        rc, report, err = dry_run(pins, python_version, platforms)
        if rc:
            failures.append(f"local pins, {label}")
            print(f"FAIL local pins on Python {python_version}, {label}:\n{err[-1500:]}")
        else:
            print(f"ok   local pins on Python {python_version}, {label}: "
                  f"{len(resolved(report))} distributions resolve")
    return failures


def check_colab_profile(python_version: str) -> list[str]:
    profile = colab.read_profile()
    names = {colab.normalize(name) for name, _, _ in profile}
    colab_has = colab.snapshot_versions()
    failures = []
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write(snapshot_constraints(colab.SNAPSHOT, names))
        constraints = Path(f.name)
    try:
        with_deps = [f"{n}=={v}" for n, v, nd in profile if not nd]
        rc, report, err = dry_run(with_deps, python_version, PLATFORMS["linux-x86_64"],
                                  constraints)
        if rc:
            failures.append("Colab profile")
            print(f"FAIL Colab profile on Python {python_version} with Colab's packages "
                  f"held:\n{err[-1500:]}")
        else:
            changed = {n: v for n, v in resolved(report).items()
                       if n in colab_has and n not in names and colab_has[n] != v}
            if changed:
                failures.append("Colab profile changes Colab's packages")
                print(f"FAIL Colab profile would change Colab's {changed}")
            else:
                new = sorted(n for n in resolved(report) if n not in colab_has)
                print(f"ok   Colab profile on Python {python_version} with Colab's packages held:"
                      f" installs {', '.join(new)}; changes nothing else Colab has")
        without = [f"{n}=={v}" for n, v, nd in profile if nd]
        rc, report, err = dry_run(without, python_version, PLATFORMS["linux-x86_64"],
                                  no_deps=True)
        if rc:
            failures.append("Colab profile (no-deps part)")
            print(f"FAIL {' '.join(without)} on Python {python_version}:\n{err[-1500:]}")
        else:
            print(f"ok   {', '.join(without)} (without dependencies) on Python {python_version}")
    finally:
        constraints.unlink()
    return failures


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--python-version", default="3.13")
    parser.add_argument("--only", choices=["local", "colab"])
    args = parser.parse_args(argv)
    pure_wheels(WHEELS)
    failures = []
    if args.only in (None, "local"):
        failures += check_local(args.python_version)
    if args.only in (None, "colab"):
        failures += check_colab_profile(args.python_version)
    print(f"{'FAILED: ' + ', '.join(failures) if failures else 'all pins resolve'} "
          f"for Python {args.python_version}")
    shutil.rmtree(WHEELS, ignore_errors=True)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
