"""Colab support.

``python -m utils.colab`` (run by the first cell of every notebook, on Colab only) installs the
pinned packages Colab lacks and builds the course's small offline assets (data and the Korean
tokenizer). Lessons then use Hub checkpoints for the models: ``setup()`` switches to them when
the offline models are absent.

``python -m utils.colab badges`` writes every "Open in Colab" link (the first markdown cell of
each solution notebook, the README's lesson table) and the clone command of every first cell
from one setting, ``GITHUB_REPO``; ``--check`` only verifies them.
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


COLAB_URL = "https://colab.research.google.com/github/{repo}/blob/{branch}/{path}"
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
BADGE = re.compile(r"\[!\[Open In Colab\]\([^)]*\)\]\([^)]*\)")
CLONE = re.compile(r"git clone -q --depth 1 https://github\.com/\S+ /content/course")


def badge(path: str) -> str:
    """Markdown for an "Open in Colab" badge of the notebook at ``path`` (repo-relative)."""
    url = COLAB_URL.format(repo=GITHUB_REPO, branch=BRANCH, path=path)
    return f"[![Open In Colab]({BADGE_IMAGE})]({url})"


def clone_command() -> str:
    return f"git clone -q --depth 1 https://github.com/{GITHUB_REPO} /content/course"


def badge_target(markdown: str) -> str | None:
    """The repo-relative notebook path a badge in ``markdown`` points at, if any."""
    match = re.search(r"colab\.research\.google\.com/github/([^/]+/[^/]+)/blob/([^/]+)/(\S+?)\)",
                      markdown)
    return match.group(3) if match else None


def _sync_notebook(path: Path) -> bool:
    """Put the badge under the title of the first markdown cell and the clone command in the
    first code cell; returns True when the file changed (outputs are left as they are)."""
    import nbformat

    nb = nbformat.read(str(path), as_version=4)
    rel = f"{path.parent.name}/{path.name}"
    changed = False
    first_md = next(c for c in nb.cells if c.cell_type == "markdown")
    wanted = badge(rel)
    if BADGE.search(first_md.source):
        new = BADGE.sub(lambda m: wanted, first_md.source)
    else:
        lines = first_md.source.split("\n")
        new = "\n".join([lines[0], "", wanted, *lines[1:]])
    if new != first_md.source:
        first_md.source, changed = new, True
    first_code = next(c for c in nb.cells if c.cell_type == "code")
    new = CLONE.sub(clone_command(), first_code.source)
    if new != first_code.source:
        first_code.source, changed = new, True
    if changed:
        nbformat.write(nb, str(path))
    return changed


def _sync_readme(path: Path) -> bool:
    """Rewrite the badge of each README table row that links a solution notebook."""
    text = path.read_text(encoding="utf-8")

    def row(line: str) -> str:
        link = re.search(r"\]\((solutions/[^)]+\.ipynb)\)", line)
        if not line.startswith("|") or not link:
            return line
        return BADGE.sub(lambda m: badge(link.group(1)), line)

    new = "\n".join(row(line) for line in text.split("\n"))
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


def sync_badges(check: bool = False, root: Path = REPO_ROOT) -> list[str]:
    """Bring every badge and clone command in line with GITHUB_REPO; returns what changed
    (with ``check``, what would change, leaving files alone)."""
    import shutil
    import tempfile

    changed = []
    targets = [*sorted((root / "solutions").glob("*.ipynb")), root / "README.md"]
    for target in targets:
        if check:
            with tempfile.TemporaryDirectory() as tmp:
                copy = Path(tmp) / target.parent.name / target.name
                copy.parent.mkdir()
                shutil.copy(target, copy)
                differs = (_sync_readme if target.suffix == ".md" else _sync_notebook)(copy)
        else:
            differs = (_sync_readme if target.suffix == ".md" else _sync_notebook)(target)
        if differs:
            changed.append(str(target.relative_to(root)))
    return changed


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["badges"]:
        check = "--check" in argv[1:]
        changed = sync_badges(check=check)
        for name in changed:
            print(f"{'out of date' if check else 'updated'}: {name}")
        if not check and changed:
            print("Regenerate the student copies: python -m utils.generate")
        return 1 if check and changed else 0
    return install()


def install() -> int:
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
