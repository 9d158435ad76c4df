"""Collect learners' notebooks into submissions/<learner>/ for ``python -m utils.grade``.

From a shared server (JupyterHub: each learner's work is in <home>/course/notebooks/):

    python instructors/collect.py --homes /home --out submissions/ 03_models_pt 04_tokenizers

From laptops: ask each learner for their notebook files and put them under
submissions/<learner>/ by hand (any file name that contains the lesson's name is matched).

Only the named lessons are copied (all of them with ``--all``); the copies are plain files, the
learners' own notebooks are never changed. Prints what it copied and who had nothing.
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

WORK = Path("course") / "notebooks"  # where the hub's first log-in puts a learner's copy


def collect(homes: Path, out: Path, lessons: list[str] | None) -> tuple[list[Path], list[str]]:
    copied, empty = [], []
    for home in sorted(p for p in homes.iterdir() if p.is_dir()):
        work = home / WORK
        if not work.is_dir():
            continue
        wanted = sorted(work.glob("*.ipynb")) if lessons is None else [
            work / f"{name.removesuffix('.ipynb')}.ipynb" for name in lessons]
        found = [p for p in wanted if p.is_file()]
        if not found:
            empty.append(home.name)
            continue
        dest = out / home.name
        dest.mkdir(parents=True, exist_ok=True)
        for path in found:
            shutil.copy2(path, dest / path.name)
            copied.append(dest / path.name)
    return copied, empty


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python instructors/collect.py", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("lessons", nargs="*", metavar="LESSON",
                        help="notebook names such as 03_models_pt (or use --all)")
    parser.add_argument("--all", action="store_true", help="every notebook a learner has")
    parser.add_argument("--homes", type=Path, default=Path("/home"),
                        help="the folder that holds the learners' home folders (default /home)")
    parser.add_argument("--out", type=Path, default=Path("submissions"),
                        help="where to put submissions/<learner>/ (default submissions/)")
    args = parser.parse_args(argv)
    if not args.lessons and not args.all:
        parser.error("name the lessons to collect, or --all")
    if not args.homes.is_dir():
        print(f"error: {args.homes} is not a folder", file=sys.stderr)
        return 2
    copied, empty = collect(args.homes, args.out, None if args.all else args.lessons)
    learners = {p.parent.name for p in copied}
    print(f"copied {len(copied)} notebook(s) of {len(learners)} learner(s) into {args.out}")
    if empty:
        print(f"nothing to collect from: {', '.join(empty)}")
    if not copied:
        print(f"error: no notebooks found under {args.homes}/*/{WORK}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
