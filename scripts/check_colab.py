"""The first cell and three lessons as they run on today's Colab, here.

    python scripts/check_colab.py [--venv .venv-colab] [--notebooks 07_custom_training_pt,...]

1. Builds a Python environment from the recorded snapshot of Colab's packages
   (``colab/snapshot/pip-freeze.txt``): Colab's versions of numpy, pandas, pyarrow, TensorFlow,
   tf_keras, keras, transformers 5, huggingface_hub 1.x, tokenizers, datasets, accelerate,
   scikit-learn, matplotlib, IPython and ipykernel; PyTorch as a CPU build. Reused when present.
2. Starts a kernel in it the way Colab's starts: numpy and pandas (→ pyarrow) imported first, a
   stand-in ``google.colab`` module, working folder ``/content``-like, no course yet.
3. Runs each notebook's first cell exactly as written, against a local clone URL of this
   repository (the committed ``HEAD``): it clones, installs the Colab profile and builds the
   checkpoints. If the cell restarts the runtime, the kernel is started again as Colab does and
   the cell runs again. Then the rest of the notebook, then the first cell once more.
4. Prints the first cell's time (install + checkpoints), the second run's time, and one
   pass/fail line per notebook: a notebook passes when every cell runs (cells that raise on
   purpose excepted) and every number it prints matches the committed solution within
   1e-3 relative (0.05 absolute for lessons that train).

Colab gives every notebook its own runtime, so each notebook gets its own kernel here; the
environment and ``/content`` persist between them, so only the first notebook installs.
Needs the package index for step 1 and the first cell.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import printed_numbers
from printed_numbers import TOLERANCE

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from utils import colab  # noqa: E402  (standard library only)

SNAPSHOT = colab.SNAPSHOT
FROM_SNAPSHOT = ["numpy", "pandas", "pyarrow", "tensorflow", "tf_keras", "keras", "transformers",
                 "huggingface_hub", "tokenizers", "datasets", "accelerate", "safetensors",
                 "scikit-learn", "matplotlib", "ipython", "ipykernel", "jupyter_client",
                 "protobuf", "h5py", "tqdm", "sentence-transformers"]
TORCH_CPU = "torch==2.13.0"  # Colab's CPU runtime has torch 2.11 (CPU build); any CPU build will do
# The training lesson first: on the new runtime its first cell builds every checkpoint but the
# sentiment model, which it does not use; the next lesson's first cell then builds that one.
NOTEBOOKS = ["07_custom_training_pt", "02_pipeline_pt", "03_models_tf"]
TRAINING = {"06_fine_tuning_pt", "06_fine_tuning_tf", "07_custom_training_pt",
            "07_custom_training_tf", "08_padding_speed_pt", "11_distributed_pt",
            "11_distributed_tf"}
COLAB_START = """\
import numpy, pandas, pyarrow, sys  # what Colab's kernel has imported before the first cell
import google.colab
print(f"Colab-shaped kernel: numpy {numpy.__version__}, pandas {pandas.__version__}, "
      f"pyarrow {pyarrow.__version__}, Python {sys.version.split()[0]}")
"""


def build_venv(venv: Path) -> float:
    """The Colab-shaped environment; returns seconds spent. An environment left by an earlier
    run (with the course's profile installed into it) is put back to Colab's versions first."""
    marker = venv / ".colab-snapshot"
    python = str(venv / "bin" / "python")
    start = time.perf_counter()
    colab_has = colab.snapshot_requirements(SNAPSHOT)
    pins = [colab_has[colab.normalize(name)] for name in FROM_SNAPSHOT]
    if marker.exists() and marker.read_text() == SNAPSHOT.read_text():
        added = [n for n, _, _ in colab.read_profile() if colab.normalize(n) not in colab_has]
        subprocess.run([python, "-m", "pip", "uninstall", "-q", "-y", *added],
                       capture_output=True)
        subprocess.run([python, "-m", "pip", "install", "-q", "--disable-pip-version-check",
                        *pins], check=True, capture_output=True)
        return time.perf_counter() - start
    shutil.rmtree(venv, ignore_errors=True)
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    print(f"building the Colab-shaped environment: {TORCH_CPU} (CPU), {', '.join(pins)} …",
          flush=True)
    subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "-q",
                    "--disable-pip-version-check", TORCH_CPU, *pins], check=True)
    marker.write_text(SNAPSHOT.read_text())
    return time.perf_counter() - start


def kernel_spec(venv: Path, home: Path, course_dir: Path, jupyter_path: Path) -> str:
    """A kernel spec for the Colab-shaped kernel, with the stand-in google.colab package."""
    stub = home / "colab-stub" / "google" / "colab"
    stub.mkdir(parents=True, exist_ok=True)  # `google` stays a namespace package (protobuf)
    (stub / "__init__.py").write_text('"""Stand-in for Colab\'s google.colab package."""\n')
    spec = jupyter_path / "kernels" / "colab-shaped"
    spec.mkdir(parents=True, exist_ok=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [str(venv / "bin" / "python"), "-m", "ipykernel_launcher", "-f",
                 "{connection_file}"],
        "display_name": "Colab-shaped", "language": "python",
        "env": {"PYTHONPATH": str(stub.parent.parent), "COLAB_RELEASE_TAG": "check-colab",
                "COURSE_REPO": str(ROOT), "COURSE_DIR": str(course_dir),
                "PATH": f"{venv / 'bin'}{os.pathsep}{os.environ['PATH']}"}}))
    return "colab-shaped"


def cell_text(outputs) -> str:
    """What a cell printed and returned (stdout and text/plain), as one string."""
    parts = []
    for out in outputs:
        if out.get("output_type") == "stream" and out.get("name") == "stdout":
            parts.append(out.get("text", ""))
        elif out.get("output_type") in ("execute_result", "display_data"):
            parts.append(out.get("data", {}).get("text/plain", ""))
    return "".join("".join(p) if isinstance(p, list) else p for p in parts)


def numbers(text: str) -> list[float]:
    """The results a cell printed; versions left out too (Colab's differ from the pins')."""
    return printed_numbers.numbers(text, versions=True)


class Kernel:
    """One Colab-shaped kernel, driven through nbclient."""

    def __init__(self, kernel_name: str, cwd: Path):
        import nbformat
        from nbclient import NotebookClient

        self.nb = nbformat.v4.new_notebook()
        self.client = NotebookClient(self.nb, kernel_name=kernel_name, timeout=1800,
                                     allow_errors=True, resources={"metadata": {"path": str(cwd)}})
        self.client.km = self.client.create_kernel_manager()
        self.client.start_new_kernel()
        self.client.start_new_kernel_client()
        self.run(COLAB_START)

    def run(self, source: str):
        """Run one cell; returns (outputs, seconds, died)."""
        import nbformat
        from nbclient.exceptions import DeadKernelError

        cell = nbformat.v4.new_code_cell(source)
        self.nb.cells.append(cell)
        start = time.perf_counter()
        try:
            self.client.execute_cell(cell, len(self.nb.cells) - 1)
        except DeadKernelError:
            return cell.outputs, time.perf_counter() - start, True
        return cell.outputs, time.perf_counter() - start, False

    def stop(self):
        try:
            self.client._cleanup_kernel()
        except Exception:  # the kernel may already be gone
            pass


def errors(outputs) -> list[str]:
    return [f"{o.get('ename')}: {o.get('evalue', '')[:300]}" for o in outputs
            if o.get("output_type") == "error"]


def check_notebook(name: str, kernel_name: str, cwd: Path) -> dict:
    nb = json.loads((ROOT / "solutions" / f"{name}.ipynb").read_text(encoding="utf-8"))
    code = [c for c in nb["cells"] if c["cell_type"] == "code"]
    kernel = Kernel(kernel_name, cwd)
    result = {"name": name, "restarts": 0, "problems": [], "compared": 0, "outside": 0}
    first = "".join(code[0]["source"])
    outputs, seconds, died = kernel.run(first)
    while died and result["restarts"] < 2:  # the cell restarted the runtime: Colab reconnects
        result["restarts"] += 1
        kernel.stop()
        kernel = Kernel(kernel_name, cwd)
        outputs, more, died = kernel.run(first)
        seconds += more
    result["first_cell_seconds"] = seconds
    result["first_cell_output"] = cell_text(outputs)
    print(f"  first cell: {seconds:.0f} s" + (f", restarted {result['restarts']}×" if
                                             result["restarts"] else ""), flush=True)
    if died or errors(outputs):
        result["problems"].append(f"first cell: {errors(outputs) or 'the kernel died'}")
        kernel.stop()
        return result
    tolerance = TOLERANCE["training" if name in TRAINING else "inference"]
    start = time.perf_counter()
    for index, cell in enumerate(code[1:], 1):
        tags = cell.get("metadata", {}).get("tags", [])
        outputs, _, died = kernel.run("".join(cell["source"]))
        if died:
            result["problems"].append(f"cell {index}: the kernel died")
            break
        if errors(outputs) and "raises-exception" not in tags:
            result["problems"].append(f"cell {index}: {errors(outputs)[0]}")
        want, got = numbers(cell_text(cell.get("outputs", []))), numbers(cell_text(outputs))
        if len(want) != len(got):
            result["outside"] += 1
            result.setdefault("first_difference", f"cell {index}: {len(got)} numbers printed, "
                                                  f"{len(want)} committed")
            continue
        for a, b in zip(want, got):
            result["compared"] += 1
            gap = printed_numbers.difference(a, b, name in TRAINING)
            if gap > tolerance:
                result["outside"] += 1
                result.setdefault("first_difference", f"cell {index}: {b} (committed {a})")
    result["rest_seconds"] = time.perf_counter() - start
    _, result["second_run_seconds"], _ = kernel.run(first)
    kernel.stop()
    return result


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--venv", type=Path, default=ROOT / ".venv-colab")
    parser.add_argument("--notebooks", default=",".join(NOTEBOOKS))
    parser.add_argument("--keep", action="store_true", help="keep the simulated /content folder")
    args = parser.parse_args(argv)
    if subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--untracked-files=no"],
                      capture_output=True, text=True).stdout.strip():
        print("note: the first cell clones the committed HEAD; uncommitted changes are not checked")
    venv_seconds = build_venv(args.venv)
    content = Path(tempfile.mkdtemp(prefix="colab-content-"))
    jupyter_path = content / "jupyter"
    os.environ["JUPYTER_PATH"] = str(jupyter_path)
    kernel_name = kernel_spec(args.venv, content, content / "course", jupyter_path)
    results = []
    try:
        for name in filter(None, args.notebooks.split(",")):
            print(f"running {name} in a Colab-shaped kernel …", flush=True)
            try:
                results.append(check_notebook(name, kernel_name, content))
            except Exception as err:  # report it and go on with the next notebook
                results.append({"name": name, "restarts": 0, "problems": [
                    f"the check itself failed: {type(err).__name__}: {err}"],
                    "first_cell_seconds": float("nan"), "first_cell_output": "",
                    "compared": 0, "outside": 0})
    finally:
        if not args.keep:
            shutil.rmtree(content, ignore_errors=True)
    print()
    if venv_seconds:
        print(f"Colab-shaped environment built or reset in {venv_seconds:.0f} s (not part of "
              f"Colab's time)")
    failed = 0
    for r in results:
        ok = not r["problems"] and r["outside"] == 0
        failed += not ok
        timing = (f"first cell {r['first_cell_seconds']:.0f} s"
                  + (f" (restarted {r['restarts']}×)" if r["restarts"] else "")
                  + (f", second run {r['second_run_seconds']:.1f} s, "
                     f"rest {r['rest_seconds']:.0f} s" if "rest_seconds" in r else ""))
        detail = "; ".join(r["problems"][:3]) or (
            f"{r['compared']} numbers match the committed outputs" if ok else
            f"{r['outside']} cells differ from the committed outputs, "
            f"first: {r['first_difference']}")
        print(f"{'PASS' if ok else 'FAIL'} {r['name']}: {timing}; {detail}")
    if results:
        print("\nFirst cell of the first notebook printed:\n"
              + results[0]["first_cell_output"][-3000:])
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
