"""Colab support. Standard library only: it runs before the course's packages are installed.

``bootstrap()`` is called by the first cell of every notebook on Colab, after the cell has
cloned the course (see ``FIRST_CELL``). It installs the course's Colab profile
(``colab/requirements.txt``) on top of Colab's own packages without replacing any distribution
the running kernel has already imported, builds the course's offline checkpoints (the same ones
the lessons' text and committed outputs describe; the sentiment fine-tune uses the GPU when the
runtime has one, and a lesson that never loads the sentiment model skips it), and makes the
course importable from any working folder. When a change to an imported package cannot be
avoided it restarts the runtime itself and says so in one line. A second run finds everything in
place and takes seconds.

``python -m utils.colab badges [--repo OWNER/NAME] [--branch B] [--check]`` writes every "Open
in Colab" link (first markdown cell of each notebook, the README's lesson table) and the clone
address in every first cell from one setting, ``GITHUB_REPO``; ``--repo`` re-points them all at
another copy (a fork) and ``--check`` only verifies them.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from importlib import metadata
from pathlib import Path

GITHUB_REPO = "hf-course-kr/transformers-pt-tf"
BRANCH = "main"
REPO_ROOT = Path(__file__).resolve().parent.parent
PROFILE = REPO_ROOT / "colab" / "requirements.txt"
SNAPSHOT = REPO_ROOT / "colab" / "snapshot" / "pip-freeze.txt"  # Colab's recorded `pip freeze`
PIN = re.compile(r"^([A-Za-z0-9_.\-]+)==(\S+)")
# a package installed from a wheel's URL: `torch @ https://.../torch-2.11.0%2Bcpu-cp313-...whl`
URL_PIN = re.compile(r"^([A-Za-z0-9_.\-]+) @ \S+/[^/]+?-([0-9][^-]*)-cp")
NO_DEPS_MARK = "# [no-deps]"

# What the course leaves as Colab has it although requirements.txt pins another version, and
# why; tests/test_colab.py checks that every local pin is either here, in the profile, equal to
# Colab's, or a local-only tool.
KEEP_COLABS = {
    "torch": "Colab's CUDA build; the course needs 2.4 or later (fused AdamW on the CPU)",
    "tensorflow": "2.20 runs every lesson (scripts/check_colab.py); reinstalling costs minutes",
    "tf-keras": "matches Colab's TensorFlow 2.20",
    "keras": "Keras 3 is not used by the lessons (tf-keras is)",
    "numpy": "imported by Colab's kernel at start: replacing it breaks TensorFlow in that kernel",
    "datasets": "4.0 reads the course's CSV files; 5.x would replace the imported pyarrow",
    "accelerate": "1.14 runs lesson 11",
    "protobuf": "Colab's TensorFlow needs its own protobuf",
    "h5py": "reads and writes the TensorFlow weights the same way",
    "scikit-learn": "the lessons use only logistic regression and metrics",
    "matplotlib": "plots only",
    "sentence-transformers": "only the encoder package asks for it; the course does not use it",
}
# Local tools Colab replaces with its own front end, or that only the tests use.
LOCAL_ONLY = {"jupyterlab", "ipykernel", "ipywidgets", "nbformat", "nbclient", "pytest",
              "pytest-xdist", "pytest-socket", "nbval", "playwright", "psutil", "ruff"}

# What the first cell below expects of this module; the cell stops with one message when the
# course it finds is older (version 2: ``bootstrap(..., sentiment=False)``). Raise it when the
# cell starts to need something an older copy lacks (``badges`` writes it into every cell).
CELL_VERSION = 2

# The Colab branch of every notebook's first cell, written into each notebook by
# ``python -m utils.colab badges`` (the clone address comes from GITHUB_REPO).
FIRST_CELL = '''\
import sys

if "google.colab" in sys.modules:  # Colab: get the course, add what Colab lacks, build checkpoints
    import os, shlex, shutil, subprocess
    COURSE_REPO = os.environ.get("COURSE_REPO", "{url}")
    COURSE_DIR = os.environ.get("COURSE_DIR", "/content/course")
    if not os.path.isdir(f"{{COURSE_DIR}}/utils"):
        shutil.rmtree(COURSE_DIR, ignore_errors=True)  # an interrupted clone
        clone = subprocess.run(["git", "clone", "-q", "--depth", "1", COURSE_REPO, COURSE_DIR],
                               capture_output=True, text=True)
        if clone.returncode:
            raise SystemExit(f"Could not get the course from {{COURSE_REPO}}:\\n"
                             f"{{clone.stderr.strip()}}\\nTo use another copy (a fork, a folder "
                             "in Drive), run %env COURSE_REPO=<its URL or path>, then this cell.")
    sys.path.insert(0, COURSE_DIR)
    try:
        from utils import colab
    except ImportError:  # a copy from before the course ran on Colab
        colab = None
    if getattr(colab, "CELL_VERSION", 1) < {cell_version}:  # a copy older than this notebook
        for name in [name for name in sys.modules if name.split(".")[0] == "utils"]:
            del sys.modules[name]  # so that the next run imports the updated copy
        raise SystemExit(f"{{COURSE_DIR}} holds a copy of the course older than this notebook. "
                         f"If {{COURSE_REPO}} is a fork or a folder of yours, update it first "
                         "(GitHub: Sync fork), or point the cell at a newer copy with %env "
                         "COURSE_REPO=<URL or path>. Then remove the old copy (!rm -rf "
                         f"{{shlex.quote(COURSE_DIR)}}) and run this cell again.")
    colab.bootstrap(COURSE_REPO, COURSE_DIR{sentiment})
'''
# What the first cell adds for a lesson that never loads the sentiment checkpoint: on a CPU
# runtime its fine-tune is most of the cell's time, so such a lesson does not build it.
NO_SENTIMENT = ", sentiment=False"
SENTIMENT_NAMED = re.compile(r"""["']sentiment["']""")
_COLAB_BRANCH = re.compile(
    r'import sys\n\nif "google\.colab" in sys\.modules:.*?\n(?=from utils import)', re.S)


class ColabSetupError(RuntimeError):
    """A step of the Colab set-up failed; IPython shows only this message, no traceback."""

    def _render_traceback_(self):  # IPython's hook for how an exception is shown
        return [f"Course set-up stopped: {self}"]


# ---------------------------------------------------------------------------- the profile

def read_profile(path: Path = PROFILE) -> list[tuple[str, str, bool]]:
    """``(name, version, no_deps)`` for each pin of the Colab profile, in file order."""
    pins, no_deps = [], False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith(NO_DEPS_MARK):
            no_deps = True
        match = PIN.match(line.strip())
        if match:
            pins.append((match.group(1), match.group(2), no_deps))
    return pins


def requirements(path: Path = REPO_ROOT / "requirements.txt") -> dict[str, str]:
    """The local pins, ``{name: version}``."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip())
        if match:
            pins[match.group(1)] = match.group(2)
    return pins


def snapshot_pins(path: Path = SNAPSHOT, urls: bool = False) -> dict[str, tuple[str, str]]:
    """Colab's recorded ``pip freeze``: ``{normalized name: (name as written, version)}``. A
    package installed from a CPython wheel's URL (``torch @ https://.../torch-2.11.0%2Bcpu-cp313-
    ...whl``) is read only with ``urls``: its version (``2.11.0+cpu``) is not on the package index,
    so it cannot be a constraint. Other URL lines (a pure-Python wheel, a git URL, a local file)
    are never read."""
    pins = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line.strip()) or (urls and URL_PIN.match(line.strip()))
        if match:
            name, version = match.groups()
            pins[normalize(name)] = (name, version.replace("%2B", "+"))
    return pins


def snapshot_versions(path: Path = SNAPSHOT, urls: bool = False) -> dict[str, str]:
    """``{normalized name: version}`` of :func:`snapshot_pins`."""
    return {key: version for key, (_, version) in snapshot_pins(path, urls).items()}


def snapshot_requirements(path: Path = SNAPSHOT) -> dict[str, str]:
    """``{normalized name: "name==version"}`` of :func:`snapshot_pins`, as pip reads them."""
    return {key: f"{name}=={version}" for key, (name, version) in snapshot_pins(path).items()}


def normalize(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def installed_version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def install_plan(profile=None) -> list[tuple[str, bool]]:
    """``("name==version", no_deps)`` for each profile pin that is absent or at another version."""
    installed, plan = installed_version, []
    for name, version, no_deps in (read_profile() if profile is None else profile):
        have = installed(name)
        if have is None or have.split("+")[0] != version:
            plan.append((f"{name}=={version}", no_deps))
    return plan


def imported_distributions(modules=None) -> dict[str, str]:
    """``{distribution: version}`` of every installed distribution that provides a module the
    running interpreter has already imported (numpy, pandas, pyarrow, ... on Colab)."""
    modules = sys.modules if modules is None else modules
    tops = {name.split(".")[0] for name in list(modules)}
    found = {}
    for top, dists in metadata.packages_distributions().items():
        if top in tops:
            for dist in dists:
                version = installed_version(dist)
                if version:
                    found[normalize(dist)] = version
    return found


# ---------------------------------------------------------------------------- the steps

def _pip(args: list[str]) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "pip", "install", "-q", "--disable-pip-version-check", *args]
    return subprocess.run(cmd, capture_output=True, text=True)


def install(plan, imported: dict[str, str]) -> list[str]:
    """Install ``plan`` holding every imported distribution at its version. Returns the imported
    distributions that had to change anyway (then the runtime must restart)."""
    pip = _pip
    with_deps = [req for req, no_deps in plan if not no_deps]
    without = [req for req, no_deps in plan if no_deps]
    with tempfile.NamedTemporaryFile("w", suffix=".txt", delete=False) as f:
        f.write("".join(f"{name}=={version}\n" for name, version in sorted(imported.items())))
        constraints = f.name
    try:
        if with_deps:
            proc = pip(["-c", constraints, *with_deps])
            if proc.returncode != 0:
                # Holding the imported versions made the install impossible: install anyway,
                # then restart the runtime so the new versions are the ones imported.
                print("Installing needs newer versions of packages this runtime has already "
                      "loaded; the runtime will restart afterwards.", flush=True)
                proc = pip(with_deps)
            if proc.returncode != 0:
                raise ColabSetupError(
                    f"pip could not install {' '.join(with_deps)}:\n{proc.stderr.strip()[-1500:]}"
                    "\nCheck the runtime's internet connection and run this cell again.")
        if without:
            proc = pip(["--no-deps", *without])
            if proc.returncode != 0:
                raise ColabSetupError(
                    f"pip could not install {' '.join(without)}:\n{proc.stderr.strip()[-1500:]}"
                    "\nCheck the runtime's internet connection and run this cell again.")
    finally:
        os.unlink(constraints)
    changed = []
    for name, version in imported.items():
        if installed_version(name) != version:
            changed.append(name)
    return sorted(changed)


def gpu_line() -> str:
    """One line on the runtime's GPU, from nvidia-smi (no framework is imported for it)."""
    smi = shutil.which("nvidia-smi")
    if smi:
        proc = subprocess.run([smi, "--query-gpu=name,memory.total", "--format=csv,noheader"],
                              capture_output=True, text=True)
        if proc.returncode == 0 and proc.stdout.strip():
            return f"GPU: {proc.stdout.strip().splitlines()[0]} (the sentiment fine-tune uses it)"
    return ("No GPU in this runtime: everything runs on the CPU, as on a laptop "
            "(Runtime → Change runtime type adds one).")


def origin_line(course: Path, repo: str | None) -> str | None:
    """A line when ``course`` is a clone of another copy than ``repo`` (e.g. a notebook opened
    from a fork while /content/course holds the original)."""
    if not repo or not (course / ".git").exists():
        return None
    proc = subprocess.run(["git", "-C", str(course), "remote", "get-url", "origin"],
                          capture_output=True, text=True)
    have = proc.stdout.strip()
    def same(url: str) -> str:
        return url.rstrip("/").removesuffix(".git")

    if proc.returncode != 0 or same(have) == same(repo):
        return None
    return (f"Note: {course} holds the course from {have}, not from {repo}; using it. "
            f"To switch, delete {course} (!rm -rf {course}) and run this cell again.")


def build_assets(course: Path, skip: tuple[str, ...] = ()) -> None:
    """``python -m utils.assets build`` (without the ``skip`` assets) in a child process, its
    output (progress bars included) shown in the notebook as it comes."""
    skipping = ["--skip", *skip] if skip else []
    proc = subprocess.Popen([sys.executable, "-m", "utils.assets", "build", *skipping],
                            cwd=course, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    for chunk in iter(lambda: proc.stdout.read1(4096), b""):
        sys.stdout.write(chunk.decode("utf-8", "replace"))
        sys.stdout.flush()
    if proc.wait() != 0:
        raise ColabSetupError(
            "building the course's checkpoints failed (its message is above). Run this cell "
            "again to finish: what was built is kept, a half-built checkpoint never is.")


def restart_runtime() -> None:
    """Colab restarts a kernel that dies; the learner then runs the first cell again."""
    sys.stdout.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def bootstrap(repo: str | None = None, course_dir: str | None = None,
              sentiment: bool = True) -> None:
    """Everything the first cell needs on Colab, idempotent (see the module docstring). With
    ``sentiment=False`` (a lesson that never loads it) the sentiment checkpoint is not built."""
    start = time.perf_counter()
    course = Path(course_dir or REPO_ROOT).resolve()
    note = origin_line(course, repo)
    if note:
        print(note)
    print(gpu_line())
    plan = install_plan()
    changed = []
    if plan:
        print(f"Installing {len(plan)} packages the course needs on top of Colab's: "
              f"{', '.join(req for req, _ in plan)} …", flush=True)
        changed = install(plan, imported_distributions())
    installed_at = time.perf_counter()
    # Children (the asset build, lesson 11's training scripts) import the course from here.
    paths = os.environ.get("PYTHONPATH", "").split(os.pathsep)
    if str(course) not in paths:
        os.environ["PYTHONPATH"] = os.pathsep.join([str(course), *filter(None, paths)])
    if changed:
        print(f"Restarting the runtime to load the new {', '.join(changed)}: when it "
              f"reconnects, run this cell again.", flush=True)
        restart_runtime()
        return
    if not sentiment:
        print("This lesson does not use the sentiment model, so this cell does not build it.")
    build_assets(course, () if sentiment else ("sentiment",))
    os.chdir(course / "notebooks")  # relative paths then read as in the committed outputs
    total = time.perf_counter() - start
    print(f"Course ready in {total:.0f} s (packages {installed_at - start:.0f} s, checkpoints "
          f"{total - (installed_at - start):.0f} s); working folder {course / 'notebooks'}")


# ---------------------------------------------------------------------------- badges

COLAB_URL = "https://colab.research.google.com/github/{repo}/blob/{branch}/{path}"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")


def repo_url(repo: str = None) -> str:
    return f"https://github.com/{repo or GITHUB_REPO}"


def badge(path: str, repo: str = None, branch: str = None) -> str:
    """Markdown for an "Open in Colab" badge of the notebook at ``path`` (repo-relative)."""
    url = COLAB_URL.format(repo=repo or GITHUB_REPO, branch=branch or BRANCH, path=path)
    return f"[![Open In Colab]({BADGE_IMAGE})]({url})"


def first_cell_branch(repo: str = None, sentiment: bool = True) -> str:
    return FIRST_CELL.format(url=repo_url(repo), sentiment="" if sentiment else NO_SENTIMENT,
                             cell_version=CELL_VERSION)


def uses_sentiment(path: Path) -> bool:
    """Whether the lesson of notebook ``path`` loads the sentiment checkpoint: its solution's code
    or its exercise checks (``utils/exercises/lessonNN.py``) name it."""
    root = path.resolve().parent.parent
    solution = root / "solutions" / path.name
    cells = json.loads((solution if solution.exists() else path).read_text(encoding="utf-8"))
    text = "\n".join("".join(c["source"]) for c in cells["cells"] if c["cell_type"] == "code")
    checks = root / "utils" / "exercises" / f"lesson{path.name[:2]}.py"
    if checks.exists():
        text += checks.read_text(encoding="utf-8")
    return bool(SENTIMENT_NAMED.search(text))


def badge_target(markdown: str) -> str | None:
    """The repo-relative notebook path a badge in ``markdown`` points at, if any."""
    match = re.search(r"colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/([^/]+)/(\S+?)\)",
                      markdown)
    return match.group(3) if match else None


def _sync_notebook(path: Path, repo: str = None, branch: str = None) -> bool:
    """Put the badge under the title of the first markdown cell and the Colab branch at the top
    of the first code cell; returns True when the file changed (outputs are left as they are)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    rel = f"{path.parent.name}/{path.name}"
    changed = False
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    wanted = badge(rel, repo, branch)
    if BADGE.search(first_md.source):
        new = BADGE.sub(lambda m: wanted, first_md.source)
    else:
        lines = first_md.source.split("\n")
        new = "\n".join([lines[0], "", wanted, *lines[1:]])
    if new != first_md.source:
        first_md.source, changed = new, True
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    branch_code = first_cell_branch(repo, uses_sentiment(path))
    new = _COLAB_BRANCH.sub(lambda m: branch_code, first_code.source, count=1)
    if new == first_code.source and branch_code not in new:
        raise ValueError(f"{rel}: the first code cell has no Colab branch to update")
    if new != first_code.source:
        first_code.source, changed = new, True
    if changed:
        nbformat.write(nb, str(path))
    return changed


def _sync_readme(path: Path, repo: str = None, branch: str = None) -> bool:
    """Rewrite the badge of each README table row from the notebook that row links."""
    text = path.read_text(encoding="utf-8")

    def row(line: str) -> str:
        if not line.startswith("|"):
            return line
        targets = iter(re.findall(r"colab\.research\.google\.com/github/[^/]+/[^/]+/blob/[^/]+/"
                                  r"(\S+?)\)", line))
        return BADGE.sub(lambda m: badge(next(targets), repo, branch), line)

    new = "\n".join(row(line) for line in text.split("\n"))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def sync_badges(check: bool = False, root: Path = REPO_ROOT, repo: str = None,
                branch: str = None) -> list[str]:
    """Bring every badge and clone address in line with GITHUB_REPO (or ``repo``); returns
    what changed (with ``check``, what would change, leaving files alone)."""
    changed = []
    targets = [*sorted((root / "solutions").glob("*.ipynb")), root / "README.md"]
    for target in targets:
        sync = _sync_readme if target.suffix == ".md" else _sync_notebook
        if check:
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / target.parent.name / target.name
                copy.parent.mkdir()
                shutil.copy(target, copy)
                differs = sync(copy, repo, branch)
        else:
            differs = sync(target, repo, branch)
        if differs:
            changed.append(str(target.relative_to(root)))
    return changed


def set_repo(repo: str, root: Path = REPO_ROOT) -> None:
    """Make ``repo`` (OWNER/NAME) the one setting in this file."""
    if not re.fullmatch(r"[A-Za-z0-9_.\-]+/[A-Za-z0-9_.\-]+", repo):
        raise ValueError(f"--repo wants OWNER/NAME as on GitHub, not {repo!r}")
    source = root / "utils" / "colab.py"
    text = source.read_text(encoding="utf-8")
    source.write_text(re.sub(r'^GITHUB_REPO = ".*"$', f'GITHUB_REPO = "{repo}"', text,
                             count=1, flags=re.M), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    import argparse

    parser = argparse.ArgumentParser(prog="python -m utils.colab", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    badges = sub.add_parser("badges", help="write (or --check) every Colab link and clone address")
    badges.add_argument("--check", action="store_true", help="only verify; exit 1 if out of date")
    badges.add_argument("--repo",
                        help="OWNER/NAME of your copy on GitHub (saved in utils/colab.py)")
    args = parser.parse_args(argv)
    if args.repo:
        try:
            set_repo(args.repo)
        except ValueError as err:
            parser.error(str(err))
    changed = sync_badges(check=args.check, repo=args.repo)
    for name in changed:
        print(f"{'out of date' if args.check else 'updated'}: {name}")
    if not args.check and changed:
        print("Regenerate the student copies: python -m utils.generate")
    return 1 if args.check and changed else 0


if __name__ == "__main__":
    sys.exit(main())
