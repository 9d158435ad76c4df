"""Keeping submissions apart: a pristine copy of the course's code for each kernel, a record of
everything a kernel could use to change a later one (the course's files, the environment's
start-up hooks) checked before and after each submission, a minimal environment, and no
process left behind.

The course's files are read once, when the run starts, into memory (``Baseline``); each
submission gets a fresh folder written from that copy and verified (``make_workspace``), and its
kernel imports the course from there, with bytecode writing off. After the submission, the
folder, the course itself and the start-up hooks are compared with the baseline; whatever
changed is reported (the submission is ``tampered``) and put back, so the next submission starts
from the same state.
"""

from __future__ import annotations

import hashlib
import os
import re
import signal
import site
import sys
import sysconfig
import time
from dataclasses import dataclass, field
from pathlib import Path

from utils import env as course_env
from utils.generate import REPO_ROOT
from utils.selfcheck import RUN_MARK  # set in every kernel; what carries it afterwards is ended

COURSE_DIRS = ("utils", "scripts")   # what a kernel imports or runs from the course
MAX_HOOK_BYTES = 5_000_000

# Environment variables a grading kernel gets (anything else, e.g. tokens, is left out).
ALLOWED_ENV = {"PATH", "HOME", "USER", "LOGNAME", "LANG", "LANGUAGE", "TZ", "TMPDIR", "TERM",
               "SHELL", "VIRTUAL_ENV", "CONDA_PREFIX", "CONDA_DEFAULT_ENV", "LD_LIBRARY_PATH",
               "CUDA_VISIBLE_DEVICES", "CUDA_HOME", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
               "COURSE_ASSETS_DIR", "HF_HOME", "XDG_CACHE_HOME", "SSL_CERT_FILE"}
ALLOWED_PREFIXES = ("LC_",)
SECRET_NAME = re.compile(r"TOKEN|KEY|SECRET|PASSW|CREDENTIAL|WEBHOOK|AUTH|COOKIE|SESSION",
                         re.IGNORECASE)
SECRET_VALUE = re.compile(r"https?://\S*(hook|token|key=|secret)|\bhf_[A-Za-z0-9]{20,}",
                          re.IGNORECASE)
KERNEL_ENV = {  # the course's settings (offline, quiet, Keras 2), and no bytecode or user site
    **course_env.course_environment(offline=True),
    "PYTHONDONTWRITEBYTECODE": "1", "PYTHONNOUSERSITE": "1", "MPLBACKEND": "Agg",
}


def digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def kernel_env(workspace: Path, ipython_dir: Path, mark: str,
               source: dict[str, str] | None = None) -> dict[str, str]:
    """The grading kernel's environment: an allow-list of the grader's own, never anything
    whose name or value looks like a credential, plus offline and quiet settings."""
    source = dict(os.environ if source is None else source)
    env = {}
    for name, value in source.items():
        if not (name in ALLOWED_ENV or name.startswith(ALLOWED_PREFIXES)):
            continue
        if SECRET_NAME.search(name) or SECRET_VALUE.search(value):
            continue
        env[name] = value
    env.setdefault("PATH", os.defpath)
    if "COURSE_ASSETS_DIR" not in env:  # the kernel's course is a copy: point at the real assets
        env["COURSE_ASSETS_DIR"] = str(REPO_ROOT / "assets")
    env.update(KERNEL_ENV)
    env["PYTHONPATH"] = str(workspace)
    env["IPYTHONDIR"] = str(ipython_dir)           # no start-up files of an earlier kernel
    env["JUPYTER_CONFIG_DIR"] = str(ipython_dir / "jupyter")
    env["MPLCONFIGDIR"] = str(ipython_dir / "matplotlib")
    env[RUN_MARK] = mark
    return env


# ---------------------------------------------------------------- files

def read_tree(root: Path, skip_pycache: bool = True) -> dict[str, bytes]:
    """Every file under ``root`` (relative path -> content), symlinks not followed."""
    files = {}
    if not root.is_dir():
        return files
    for folder, dirs, names in os.walk(root, followlinks=False):
        if skip_pycache:
            dirs[:] = [d for d in dirs if d != "__pycache__"]
        for name in names:
            path = Path(folder) / name
            try:
                files[str(path.relative_to(root))] = path.read_bytes() if not path.is_symlink() \
                    else b"symlink:" + os.readlink(path).encode()
            except OSError:
                files[str(path.relative_to(root))] = b"<unreadable>"
    return files


def startup_hook_paths() -> list[Path]:
    """Files Python or the kernel runs at start-up, before any grading code: ``*.pth`` files
    and ``sitecustomize``/``usercustomize`` in the environment's site folders, and IPython /
    Jupyter configuration and start-up files."""
    folders = set()
    for folder in [*site.getsitepackages(), site.getusersitepackages(),
                   sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"],
                   sysconfig.get_paths()["stdlib"], *[p for p in sys.path if p]]:
        folders.add(Path(folder))
    paths = set()
    for folder in folders:
        if not folder.is_dir() or folder.resolve() == REPO_ROOT.resolve():
            continue
        try:
            for entry in folder.iterdir():
                if entry.suffix == ".pth" or entry.stem in ("sitecustomize", "usercustomize"):
                    paths.add(entry)
        except OSError:
            continue
    home = Path.home()
    config_dirs = [home / ".ipython", home / ".jupyter", Path(sys.prefix) / "etc" / "jupyter",
                   Path("/etc/jupyter"), Path("/usr/local/etc/jupyter")]
    for folder in config_dirs:
        if folder.is_dir():
            for entry in folder.rglob("*"):
                if entry.suffix in (".py", ".json", ".ipy") and entry.is_file() and \
                        "workspaces" not in entry.parts:
                    paths.add(entry)
    return sorted(paths)


def _read_small(path: Path) -> bytes:
    try:
        with path.open("rb") as f:
            return f.read(MAX_HOOK_BYTES)
    except OSError:
        return b"<unreadable>"


@dataclass
class Change:
    what: str     # "added", "changed", "removed"
    path: str

    def __str__(self) -> str:
        return f"{self.what} {self.path}"


@dataclass
class Baseline:
    """The course's code (as files to copy into each workspace) and the state of everything a
    kernel must not change, taken once before any student code runs."""
    course: dict[str, bytes] = field(default_factory=dict)          # "utils/checks.py" -> bytes
    course_tree: dict[str, bytes] = field(default_factory=dict)     # the repo's utils/ + caches
    hooks: dict[str, bytes] = field(default_factory=dict)           # absolute path -> bytes
    hook_folders: list[str] = field(default_factory=list)

    @classmethod
    def take(cls, root: Path = REPO_ROOT) -> Baseline:
        base = cls()
        for name in COURSE_DIRS:
            for rel, data in read_tree(root / name).items():
                base.course[f"{name}/{rel}"] = data
        base.course_tree = cls._course_tree(root)
        hook_paths = startup_hook_paths()
        base.hooks = {str(p): _read_small(p) for p in hook_paths}
        base.hook_folders = sorted({str(p.parent) for p in hook_paths} | {
            str(Path(p)) for p in [*site.getsitepackages(), site.getusersitepackages()]})
        return base

    @staticmethod
    def _course_tree(root: Path) -> dict[str, bytes]:
        tree = {}
        for name in COURSE_DIRS:
            for rel, data in read_tree(root / name, skip_pycache=False).items():
                tree[f"{name}/{rel}"] = data
        return tree

    def current_hooks(self) -> dict[str, bytes]:
        found = {}
        for folder in self.hook_folders:
            folder = Path(folder)
            if folder.is_dir():
                for entry in folder.iterdir():
                    if entry.suffix == ".pth" or entry.stem in ("sitecustomize", "usercustomize"):
                        found[str(entry)] = _read_small(entry)
        for path in startup_hook_paths():
            found.setdefault(str(path), _read_small(path))
        return found

    # -------------------------------------------------------- what changed, and undoing it

    @staticmethod
    def _diff(before: dict[str, bytes], after: dict[str, bytes], prefix: str = "") -> list[Change]:
        changes = []
        for name in sorted(set(before) | set(after)):
            if name not in after:
                changes.append(Change("removed", prefix + name))
            elif name not in before:
                changes.append(Change("added", prefix + name))
            elif digest(before[name]) != digest(after[name]):
                changes.append(Change("changed", prefix + name))
        return changes

    def check_environment(self, root: Path = REPO_ROOT) -> list[Change]:
        """What differs from the baseline in the course's own folders (bytecode caches
        included) and the start-up hooks."""
        course = self._diff(self.course_tree, self._course_tree(root), "course: ")
        hooks = self._diff(self.hooks, self.current_hooks(), "start-up hook: ")
        return course + hooks

    def restore(self, changes: list[Change], root: Path = REPO_ROOT) -> list[str]:
        """Put back what ``check_environment`` found changed; returns what could not be."""
        failed = []
        for change in changes:
            kind, _, name = change.path.partition(": ")
            if kind == "course":
                path, original = root / name, self.course_tree.get(name)
            else:
                path, original = Path(name), self.hooks.get(name)
            try:
                if original is None:
                    if path.is_dir() and not path.is_symlink():
                        import shutil
                        shutil.rmtree(path)
                    else:
                        path.unlink(missing_ok=True)
                else:
                    if path.is_symlink():
                        path.unlink()
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(original)
            except OSError as err:
                failed.append(f"{change}: {err}")
        return failed

    # -------------------------------------------------------- one submission's copy

    def make_workspace(self, folder: Path) -> Path:
        """Write the course's code into ``folder`` (a fresh, empty folder) and verify it."""
        for name, data in self.course.items():
            path = folder / name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(data)
        written = {}
        for name in COURSE_DIRS:
            for rel, data in read_tree(folder / name).items():
                written[f"{name}/{rel}"] = data
        if self._diff(self.course, written):
            raise RuntimeError("the course's code could not be copied intact")
        return folder

    def check_workspace(self, folder: Path) -> list[Change]:
        """What a kernel changed in its copy of the course's code (caches included)."""
        after = {}
        for name in COURSE_DIRS:
            for rel, data in read_tree(folder / name, skip_pycache=False).items():
                after[f"{name}/{rel}"] = data
        return self._diff(self.course, after, "course copy: ")


# ---------------------------------------------------------------- processes

def end_processes(mark: str, group: int | None = None) -> int:
    """End the kernel's process group and every process that carries ``mark`` in its
    environment (what the kernel started, even in a new session); returns how many."""
    ended = set()
    if group:
        try:
            os.killpg(group, signal.SIGKILL)  # the kernel's own group; not counted
        except (ProcessLookupError, PermissionError):
            pass
    needle = f"{RUN_MARK}={mark}".encode()
    me = os.getpid()
    proc = Path("/proc")
    if proc.is_dir():
        for _ in range(3):  # a process may fork while we look
            found = False
            for entry in proc.iterdir():
                if not entry.name.isdigit() or int(entry.name) == me:
                    continue
                try:
                    environ = (entry / "environ").read_bytes()
                except OSError:
                    continue
                if needle in environ.split(b"\0"):
                    try:
                        os.kill(int(entry.name), signal.SIGKILL)
                        ended.add(int(entry.name))
                        found = True
                    except (ProcessLookupError, PermissionError):
                        pass
            if not found:
                break
            time.sleep(0.1)
    return len(ended)
