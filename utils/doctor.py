"""Pre-flight check: is this machine ready for the course? One line per check, well under a minute.

    python -m utils.doctor                      # everything, exit status 1 if anything failed
    python -m utils.doctor --lesson 03_models_tf --cells 2
    python -m utils.doctor --skip-kernel        # no kernel: versions, assets, memory, disk only

Checks, in order:

* ``python``    the interpreter is Python 3.10-3.13;
* ``versions``  every package pinned in ``requirements.txt`` is installed at that version (on
                Colab: every package of the Colab profile, ``colab/requirements.txt``);
* ``assets``    ``python -m utils.assets verify``: every offline asset matches its checksums;
* ``kernel``    a Jupyter kernel of the kind the notebooks use (``python3``) starts and answers;
* ``lesson``    the first code cells of a student notebook run in that kernel without an error;
* ``memory``    free memory for one kernel (the lessons' kernels peak at 0.7-2.8 GB);
* ``disk``      free disk space where the lessons write (checkpoints of the training lessons).

Each failure is one line that says what is wrong, followed by the command or step that fixes it.
The exit status is 0 when every check passed, 1 otherwise.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
REQUIREMENTS = REPO_ROOT / "requirements.txt"
NOTEBOOKS = REPO_ROOT / "notebooks"
PYTHONS = ((3, 10), (3, 13))
KERNEL_NAME = "python3"
DEFAULT_LESSON = "02_pipeline_pt"
DEFAULT_CELLS = 3
# The heaviest lesson kernel peaks at 2.8 GB (README, Performance: 06_fine_tuning_tf 2,753 MiB).
MIN_MEMORY_GB = 3.0
# Lessons 06-07 write Trainer checkpoints (a few hundred MB); pip caches and outputs need room too.
MIN_DISK_GB = 2.0
KERNEL_TIMEOUT = 120  # per cell; on an idle laptop the whole check takes 10-20 s


@dataclass
class Result:
    name: str
    ok: bool
    detail: str
    fix: str = ""
    seconds: float = 0.0


def _pins(path: Path = REQUIREMENTS) -> dict[str, str]:
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        match = re.fullmatch(r"([A-Za-z0-9_.\-]+)\s*==\s*([^\s;]+)", line)
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def _matches(have: str, pinned: str) -> bool:
    """pip's meaning of ``==``: a local label (``2.13.0+cpu``) matches ``==2.13.0``."""
    try:
        from packaging.specifiers import SpecifierSet

        return SpecifierSet(f"=={pinned}").contains(have, prereleases=True)
    except Exception:  # packaging missing or an unparsable version
        return have.split("+", 1)[0] == pinned.split("+", 1)[0]


def check_python() -> Result:
    version = sys.version_info[:2]
    text = f"Python {sys.version.split()[0]} ({sys.executable})"
    if PYTHONS[0] <= version <= PYTHONS[1]:
        return Result("python", True, text)
    return Result("python", False, f"{text} is not supported by the pinned packages",
                  "install Python 3.10 to 3.13 and run `make setup` with it "
                  "(PYTHON=python3.11 make setup)")


def check_versions(requirements: Path = REQUIREMENTS, colab: bool | None = None) -> Result:
    """The pins of ``requirements`` are installed; on Colab (``colab``, by default when running
    there) the pins of the course's Colab profile instead: the rest is Colab's own, on purpose."""
    from importlib import metadata

    from utils import in_colab

    if colab is None:
        colab = in_colab()
    if colab:
        return _check_colab_profile()
    if not requirements.is_file():
        return Result("versions", False, f"{requirements.name} not found next to utils/",
                      "run the doctor from a complete copy of the course (git clone)")
    pins = _pins(requirements)
    wrong, missing = [], []
    for name, wanted in pins.items():
        try:
            have = metadata.version(name)
        except metadata.PackageNotFoundError:
            missing.append(name)
            continue
        if not _matches(have, wanted):
            wrong.append(f"{name} {have} (pinned {wanted})")
    if not wrong and not missing:
        return Result("versions", True, f"all {len(pins)} pinned packages of requirements.txt "
                                        "are installed at their pinned versions")
    parts = []
    if missing:
        parts.append(f"{len(missing)} missing: {', '.join(missing[:6])}"
                     + (" ..." if len(missing) > 6 else ""))
    if wrong:
        parts.append(f"{len(wrong)} at another version: {', '.join(wrong[:4])}"
                     + (" ..." if len(wrong) > 4 else ""))
    return Result("versions", False, "; ".join(parts),
                  "run `make setup` (or `pip install -r requirements.txt` in the course's "
                  "environment); check that Jupyter uses that environment's Python")


def _check_colab_profile() -> Result:
    from utils import colab

    profile = colab.read_profile()
    wrong = []
    for requirement, _ in colab.install_plan(profile):  # what the first cell would install
        name, version = requirement.split("==")
        wrong.append(f"{name} {colab.installed_version(name) or 'missing'} (profile {version})")
    if not wrong:
        return Result("versions", True,
                      f"all {len(profile)} packages of the course's Colab profile "
                      "(colab/requirements.txt) are installed at their versions; the others are "
                      "Colab's own")
    return Result("versions", False, f"{len(wrong)} of the Colab profile's {len(profile)} "
                                     f"packages not at their version: {', '.join(wrong[:4])}"
                                     + (" ..." if len(wrong) > 4 else ""),
                  "run the notebook's first cell again: it installs them")


def check_assets() -> Result:
    try:
        from utils import assets
    except Exception as err:  # a missing dependency of utils itself
        return Result("assets", False, f"the course's utils cannot be imported ({err})",
                      "run `make setup`")
    root = assets.assets_dir()
    try:
        problems = {name: text for name, text in assets.status(root).items() if text != "ok"}
    except assets.AssetError as err:
        return Result("assets", False, str(err), assets.build_command("--force"))
    if not problems:
        return Result("assets", True, f"{len(assets.ASSETS)} offline assets match their "
                                      f"checksums in {root}")
    first = next(iter(problems.values()))
    names = ", ".join(problems)
    from utils import in_colab

    if "sentiment" in problems and in_colab():
        first += ("; on Colab the first cell of lessons 04-11 does not build the sentiment "
                  "model, which only lessons 00-03 use")
    fix = (assets.build_command() if len(problems) > 1
           else assets.fix_command(next(iter(problems))))
    return Result("assets", False, f"{len(problems)} of {len(assets.ASSETS)} assets not usable "
                                   f"({names}): {first}",
                  f"{fix} (or copy a verified assets/ folder, then "
                  "`python -m utils.assets verify`)")


def _first_cells(lesson: str, count: int) -> list[str]:
    import nbformat

    path = NOTEBOOKS / f"{lesson}.ipynb"
    if not path.is_file():
        path = REPO_ROOT / "solutions" / f"{lesson}.ipynb"
    nb = nbformat.read(str(path), as_version=4)
    sources = [c.source for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    return sources[:count]


def _kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("COURSE_ONLINE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def check_kernel_and_lesson(kernel_name: str, lesson: str, cells: int) -> list[Result]:
    """Start a kernel (one Result), then run the lesson's first cells in it (another)."""
    start = time.perf_counter()
    try:
        from jupyter_client.kernelspec import NoSuchKernel
        from jupyter_client.manager import KernelManager
    except ImportError as err:
        return [Result("kernel", False, f"jupyter_client is not installed ({err})",
                       "run `make setup`"),
                Result("lesson", False, "not run: no kernel", "fix the kernel first")]
    try:
        sources = _first_cells(lesson, cells)
    except Exception as err:
        sources = None
        lesson_error = f"cannot read notebooks/{lesson}.ipynb ({err})"
    km = KernelManager(kernel_name=kernel_name)
    try:
        spec_argv = km.kernel_spec.argv
    except NoSuchKernel:
        return [Result("kernel", False, f"no Jupyter kernel named {kernel_name!r} is installed",
                       "run `python -m ipykernel install --sys-prefix` in the course's "
                       "environment (make setup does this)"),
                Result("lesson", False, "not run: no kernel", "fix the kernel first")]
    where = f"{kernel_name} → {spec_argv[0]}"
    import tempfile

    log = tempfile.TemporaryFile()  # the kernel's own messages, quoted when it fails
    try:
        km.start_kernel(env=_kernel_env(), cwd=str(NOTEBOOKS if NOTEBOOKS.is_dir() else REPO_ROOT),
                        stdout=log, stderr=log)
    except Exception as err:
        return [Result("kernel", False, f"the kernel ({where}) does not start: "
                                        f"{type(err).__name__}: {err}",
                       "its kernel.json points at a Python that is gone or broken: run "
                       "`python -m ipykernel install --sys-prefix` in the course's environment "
                       "and remove the stale spec (`jupyter kernelspec list`)"),
                Result("lesson", False, "not run: no kernel", "fix the kernel first")]
    results = []
    client = km.client()
    try:
        client.start_channels()
        printed: list[str] = []

        def stdout(msg):
            if msg["msg_type"] == "stream":
                printed.append(msg["content"]["text"])

        try:
            client.wait_for_ready(timeout=KERNEL_TIMEOUT)
            reply = client.execute_interactive(
                "import sys; print(sys.executable)", timeout=KERNEL_TIMEOUT, output_hook=stdout)
            ok = reply["content"]["status"] == "ok"
        except Exception as err:
            ok, reply = False, {"content": {"ename": type(err).__name__, "evalue": str(err)}}
        if ok and printed:
            where = f"{kernel_name} → {''.join(printed).strip()}"
        if not ok:
            content = reply["content"]
            log.seek(0)
            said = [line for line in log.read().decode(errors="replace").splitlines()
                    if line.strip()]
            said = f" (the kernel said: {said[-1][:200]})" if said else ""
            results.append(Result("kernel", False, f"the kernel ({where}) started but does not "
                                  f"answer: {content.get('ename')}: {content.get('evalue')}{said}",
                                  "kernels talk to Jupyter over 127.0.0.1: check that loopback "
                                  "is up and no firewall or VPN blocks it; then reinstall "
                                  "ipykernel with `make setup`", time.perf_counter() - start))
            results.append(Result("lesson", False, "not run: no kernel", "fix the kernel first"))
            return results
        results.append(Result("kernel", True, f"{where} started and answered",
                              seconds=time.perf_counter() - start))
        start = time.perf_counter()
        if sources is None:
            results.append(Result("lesson", False, lesson_error,
                                  "run `make student` to write the student notebooks"))
            return results
        errors: list[str] = []

        def hook(msg):
            if msg["msg_type"] == "error":
                errors.append(f"{msg['content']['ename']}: {msg['content']['evalue']}")

        for number, source in enumerate(sources, 1):
            try:
                reply = client.execute_interactive(source, timeout=KERNEL_TIMEOUT,
                                                   output_hook=hook, allow_stdin=False)
            except TimeoutError:
                errors.append(f"no answer within {KERNEL_TIMEOUT} s")
            if errors or reply["content"]["status"] != "ok":
                error = errors[0] if errors else reply["content"].get("evalue", "")
                error = error.splitlines()[0] if error else "an error"
                results.append(Result(
                    "lesson", False, f"code cell {number} of {lesson} failed: {error[:300]}",
                    "read the message: a missing asset names its build command; otherwise "
                    f"open notebooks/{lesson}.ipynb and run it by hand",
                    time.perf_counter() - start))
                return results
        results.append(Result("lesson", True, f"the first {len(sources)} code cells of {lesson} "
                                              "ran without an error",
                              seconds=time.perf_counter() - start))
        return results
    finally:
        client.stop_channels()
        km.shutdown_kernel(now=True)
        log.close()


def _available_memory_bytes() -> int | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                return int(line.split()[1]) * 1024
    except OSError:
        pass
    try:  # macOS and other POSIX systems: free + inactive pages are not exposed; use total
        import subprocess

        out = subprocess.run(["vm_stat"], capture_output=True, text=True, timeout=5).stdout
        page = int(re.search(r"page size of (\d+)", out).group(1))
        pages = sum(int(re.search(rf"{k}:\s+(\d+)", out).group(1))
                    for k in ("Pages free", "Pages inactive", "Pages speculative"))
        return pages * page
    except Exception:
        return None


def check_memory(min_gb: float) -> Result:
    free = _available_memory_bytes()
    if free is None:
        return Result("memory", True, "free memory unknown on this system (not checked)")
    gb = free / 1e9
    if gb >= min_gb:
        return Result("memory", True, f"{gb:.1f} GB available (a lesson's kernel needs up to "
                                      f"{MIN_MEMORY_GB:.1f} GB)")
    return Result("memory", False, f"only {gb:.1f} GB of memory available; the lessons' kernels "
                                   f"peak at 0.7-2.8 GB (need {min_gb:.1f} GB)",
                  "close other programs and browser tabs, and shut down kernels you no longer "
                  "use (Kernel > Shut Down Kernel); on a shared server give each user more memory")


def check_disk(min_gb: float, path: Path = REPO_ROOT) -> Result:
    free = shutil.disk_usage(path).free / 1e9
    if free >= min_gb:
        return Result("disk", True, f"{free:.1f} GB free on the course's disk")
    return Result("disk", False, f"only {free:.1f} GB free on the course's disk "
                                 f"(need {min_gb:.1f} GB for checkpoints and outputs)",
                  "delete old checkpoints (notebooks/*_out/, grades/executed/) or "
                  "`pip cache purge`, or move the course to a bigger disk")


def run(args):
    """Yield each check's Result as soon as it is known."""
    yield check_python()
    yield check_versions(args.requirements)
    start = time.perf_counter()
    result = check_assets()
    result.seconds = time.perf_counter() - start
    yield result
    if not args.skip_kernel:
        yield from check_kernel_and_lesson(args.kernel, args.lesson, args.cells)
    yield check_memory(args.min_memory_gb)
    yield check_disk(args.min_disk_gb)


def format_result(r: Result) -> str:
    took = f" ({r.seconds:.1f} s)" if r.seconds >= 0.5 else ""
    line = f"{'ok  ' if r.ok else 'FAIL'}  {r.name:<9} {r.detail}{took}"
    if not r.ok and r.fix:
        line += f"\n      {'':<9} → {r.fix}"
    return line


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m utils.doctor", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lesson", default=DEFAULT_LESSON,
                        help=f"notebook whose first cells to run (default {DEFAULT_LESSON})")
    parser.add_argument("--cells", type=int, default=DEFAULT_CELLS,
                        help=f"how many of its first code cells (default {DEFAULT_CELLS})")
    parser.add_argument("--kernel", default=KERNEL_NAME,
                        help=f"kernel spec to start (default {KERNEL_NAME}, what the notebooks "
                             "use)")
    parser.add_argument("--skip-kernel", action="store_true",
                        help="do not start a kernel (no kernel and lesson checks)")
    parser.add_argument("--min-memory-gb", type=float, default=MIN_MEMORY_GB)
    parser.add_argument("--min-disk-gb", type=float, default=MIN_DISK_GB)
    parser.add_argument("--requirements", type=Path, default=REQUIREMENTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.cells < 1:
        parser.error("--cells must be at least 1")
    start = time.perf_counter()
    print("Course pre-flight check", flush=True)
    results = []
    for r in run(args):
        results.append(r)
        print(format_result(r), flush=True)
    failed = [r.name for r in results if not r.ok]
    elapsed = time.perf_counter() - start
    if failed:
        print(f"NOT READY: {len(failed)} check(s) failed ({', '.join(failed)}) in {elapsed:.0f} s")
        return 1
    print(f"READY: all {len(results)} checks passed in {elapsed:.0f} s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
