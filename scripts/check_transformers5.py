"""Run the course's PyTorch notebooks on transformers 5 in a separate environment, and report
which cells break and how. This is what the README's "Moving to transformers 5" section is
based on.

    python scripts/check_transformers5.py [--version 5.23.0] [--venv .venv-tf5] [NOTEBOOK ...]

It creates the environment on first use (torch, transformers 5 and what the PyTorch lessons
import; no TensorFlow, which transformers 5 does not support), reuses the course's offline
assets, and executes each notebook in a fresh kernel there, continuing after errors.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ["torch==2.13.0", "datasets", "accelerate", "scikit-learn", "matplotlib",
            "kiwipiepy==0.24.1", "kiwipiepy_model==0.24.0", "ipykernel", "nbclient", "nbformat",
            "safetensors", "numpy"]


def pytorch_notebooks() -> list[Path]:
    """Solution notebooks whose setup cell asks for PyTorch only."""
    found = []
    for path in sorted((ROOT / "solutions").glob("*.ipynb")):
        nb = json.loads(path.read_text(encoding="utf-8"))
        first = next("".join(c["source"]) for c in nb["cells"] if c["cell_type"] == "code")
        if 'setup("pt")' in first:
            found.append(path)
    return found


def ensure_venv(venv: Path, version: str) -> Path:
    python = venv / "bin" / "python"
    stamp = venv / f".transformers-{version}"
    if not stamp.exists():
        if not python.exists():
            subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check"]
        subprocess.run([*pip, f"transformers=={version}", *PACKAGES], check=True)
        subprocess.run([*pip, "--no-deps", "--no-build-isolation", "-e", str(ROOT)], check=True)
        stamp.touch()
    return python


def run_notebooks(paths: list[Path]) -> list[dict]:
    """Inside the transformers 5 environment: execute each notebook, collect the errors."""
    import nbformat
    import transformers
    from nbclient import NotebookClient

    results = []
    for path in paths:
        nb = nbformat.read(str(path), as_version=4)
        NotebookClient(nb, timeout=1200, kernel_name="python3", allow_errors=True,
                       resources={"metadata": {"path": str(path.parent)}}).execute()
        errors = []
        for index, cell in enumerate(nb.cells):
            for out in cell.get("outputs", []):
                hidden = "hidden-tests" in cell.metadata.get("tags", [])
                if out.output_type == "error" and not hidden:
                    first_line = cell.source.strip().splitlines()[0][:70] if cell.source else ""
                    message = out.evalue.splitlines()[0][:200] if out.evalue else ""
                    errors.append({"cell": index, "code": first_line, "error": out.ename,
                                   "message": message})
        results.append({"notebook": path.name, "transformers": transformers.__version__,
                        "errors": errors})
        print(f"{path.name}: {len(errors)} failing cell(s)", flush=True)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("notebooks", nargs="*", type=Path)
    parser.add_argument("--version", default="5.23.0")
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv-tf5")
    parser.add_argument("--inside", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, default=ROOT / "runs" / "transformers5.json")
    args = parser.parse_args()
    paths = [p.resolve() for p in args.notebooks] or pytorch_notebooks()

    if args.inside:
        results = run_notebooks(paths)
        args.report.parent.mkdir(parents=True, exist_ok=True)
        args.report.write_text(json.dumps(results, indent=2, ensure_ascii=False))
        return 0

    python = ensure_venv(args.venv, args.version)
    env = dict(os.environ, COURSE_ASSETS_DIR=os.environ.get("COURSE_ASSETS_DIR",
                                                            str(ROOT / "assets")))
    subprocess.run([str(python), __file__, "--inside", "--report", str(args.report),
                    *map(str, paths)], check=True, env=env, cwd=ROOT)
    results = json.loads(args.report.read_text())
    print(f"\n| notebook | transformers {args.version}: failing cells |\n|---|---|")
    for r in results:
        if not r["errors"]:
            print(f"| {r['notebook']} | none |")
            continue
        detail = "; ".join(f"cell {e['cell']} `{e['code']}`: {e['error']}: {e['message']}"
                           for e in r["errors"])
        print(f"| {r['notebook']} | {detail} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
