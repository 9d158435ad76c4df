"""The course on a GPU, as one command. It runs where the course's environment is missing too:
a CUDA machine with its own PyTorch, no TensorFlow and no package index.

    # here (with the package index): pack what the GPU machine lacks, under 60 MiB
    python scripts/check_gpu.py --prepare gpu-kit
    # there (or anywhere): devices, the sentiment fine-tune on GPU vs CPU, the PyTorch lessons
    python scripts/check_gpu.py --kit gpu-kit
    # the same steps on the CPU only (what the test suite runs, on a small subset)
    python scripts/check_gpu.py --device cpu --notebooks 02_pipeline_pt --finetune-steps 5

The kit holds the wheels transformers 4.50 needs beside a newer stack (transformers 4.50.3,
tokenizers 0.21.4, huggingface-hub 0.36.2, datasets 5.0.1, dill, multiprocess, fsspec), the
encoder's weights in half precision (the float32 file alone is 87 MiB), its vocabulary, the
polarity data and the Korean tokenizer. Their other requirements must be on the GPU machine
already (pyarrow 21 or newer, pandas, requests, ...). With ``--kit`` the wheels are installed
into a private folder (then the script warns about any such requirement the machine does not
meet), the encoder is turned back into float32 and the sentiment checkpoint is fine-tuned
there, on the device and on the CPU: the script prints both accuracies and the speed-up.

Then each PyTorch solution notebook's code runs twice in a fresh Python process, once with the
GPU hidden (``CUDA_VISIBLE_DEVICES=""``) and once with it visible (``Trainer`` and
``accelerate`` then train on it), and every number the two runs print is compared within a
stated tolerance; the script prints run time and peak GPU memory per notebook. IPython magics
(``!cmd``, ``%cd``) are skipped, no Jupyter is needed. Exit status 1 if a check fails.
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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
from printed_numbers import TOLERANCE, difference, numbers  # noqa: E402  (beside this script)

from utils import env as course_env  # noqa: E402  (standard library only)

WHEELS = ["transformers==4.50.3", "tokenizers==0.21.4", "huggingface-hub==0.36.2",
          "datasets==5.0.1", "dill==0.3.8", "multiprocess==0.70.16", "fsspec==2026.6.0"]
NOTEBOOKS = ["02_pipeline_pt", "03_models_pt", "06_fine_tuning_pt", "07_custom_training_pt",
             "08_padding_speed_pt", "09_adding_tokens_pt", "10_sentence_embeddings_pt",
             "11_distributed_pt"]
# Lessons that train: compared within printed_numbers.TOLERANCE["training"].
TRAINING = {"06_fine_tuning_pt", "07_custom_training_pt", "08_padding_speed_pt",
            "11_distributed_pt"}
KIT_LIMIT = 60 * 2**20  # of the 64 MiB that may travel with the working tree

RUNNER = r'''
import ast, contextlib, io, json, sys, time, traceback
cells, out = json.load(open(sys.argv[1])), sys.argv[2]
ns, results = {"__name__": "__main__"}, []
for source in cells:
    lines = [l for l in source.splitlines() if not l.lstrip().startswith(("!", "%"))]
    buf, start, error = io.StringIO(), time.perf_counter(), None
    with contextlib.redirect_stdout(buf), contextlib.redirect_stderr(io.StringIO()):
        try:
            tree = ast.parse("\n".join(lines))
            last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
            exec(compile(tree, "<cell>", "exec"), ns)
            if last is not None:
                value = eval(compile(ast.Expression(last.value), "<cell>", "eval"), ns)
                if value is not None:
                    print(repr(value))
        except BaseException as err:
            error = f"{type(err).__name__}: {str(err)[:300]}"
    results.append({"out": buf.getvalue(), "error": error,
                    "seconds": round(time.perf_counter() - start, 2)})
peak = 0
if "torch" in sys.modules:
    import torch
    if torch.cuda.is_available():
        peak = torch.cuda.max_memory_allocated()
json.dump({"cells": results, "peak_gpu_bytes": peak}, open(out, "w"))
'''


def mib(n: float) -> str:
    return f"{n / 2**20:,.0f} MiB"


# ---------------------------------------------------------------------------- the kit

def prepare(kit: Path, python_version: str = "3.12") -> int:
    """Write the kit (run where the package index and the course's assets are)."""
    from utils import assets

    root = assets.assets_dir()
    for name in ("data-polarity", "data-korean", "encoder", "korean-tokenizer"):
        assets.verify(name, root)
    if kit.exists():
        shutil.rmtree(kit)
    (kit / "wheels").mkdir(parents=True)
    tags = [f"manylinux_2_{m}_x86_64" for m in range(39, 16, -1)] + ["manylinux2014_x86_64"]
    cmd = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:", "-q",
           "--disable-pip-version-check", "--python-version", python_version,
           "--implementation", "cp",
           "-d", str(kit / "wheels"), *[a for t in tags for a in ("--platform", t)], *WHEELS]
    subprocess.run(cmd, check=True)
    import torch
    from safetensors.torch import load_file, save_file

    encoder = kit / "encoder"
    shutil.copytree(root / "encoder", encoder,
                    ignore=shutil.ignore_patterns("model.safetensors", "tf_model.h5"))
    weights = load_file(root / "encoder" / "model.safetensors")
    save_file({k: v.to(torch.float16) for k, v in weights.items()},
              encoder / "model.fp16.safetensors", metadata={"format": "pt"})
    for name in ("data-polarity", "data-korean", "korean-tokenizer"):
        folder = assets.ASSETS[name].folder
        shutil.copytree(root / folder, kit / "assets" / folder)
    size = sum(p.stat().st_size for p in kit.rglob("*") if p.is_file())
    print(f"kit written to {kit}: {mib(size)} ({', '.join(WHEELS)}, the encoder in float16, "
          f"polarity data, Korean text and tokenizer)")
    if size >= KIT_LIMIT:
        print(f"the kit is over {mib(KIT_LIMIT)}: at most 64 MiB of ignored files may travel to "
              "the GPU machine with the working tree, and the kit keeps some of it free")
        return 1
    return 0


def unpack(kit: Path, workdir: Path) -> dict:
    """Install the kit's wheels privately and lay out the course's assets from it; returns the
    environment for the processes that use them."""
    site = workdir / "site"
    if not site.exists():
        subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-index", "--no-deps",
                        "--no-compile", "--target", str(site), *map(str, sorted(
                            (kit / "wheels").glob("*.whl")))], check=True)
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), str(ROOT)]),
           "COURSE_ASSETS_DIR": str(workdir / "assets")}
    if not (workdir / "assets").exists():
        shutil.copytree(kit / "assets", workdir / "assets")
        code = (
            "import sys, torch, shutil; from pathlib import Path; "
            "from safetensors.torch import load_file, save_file; "
            "kit, out = Path(sys.argv[1]), Path(sys.argv[2]); "
            "shutil.copytree(kit, out, ignore=shutil.ignore_patterns('model.fp16.safetensors')); "
            "w = load_file(kit / 'model.fp16.safetensors'); "
            "save_file({k: v.float() for k, v in w.items()}, out / 'model.safetensors', "
            "metadata={'format': 'pt'}); "
            "from utils import assets; assets.register(['data-polarity', 'data-korean', "
            "'korean-tokenizer', 'encoder'], 'unpacked from the GPU kit')")
        subprocess.run([sys.executable, "-c", code, str(kit / "encoder"),
                        str(workdir / "assets" / "encoder")], env=env, check=True)
    return env


def unmet_requirements(site: Path) -> list[str]:
    """What the kit's packages (installed in ``site``) require and this Python lacks: the kit
    installs them without their dependencies, which the GPU machine's own packages provide. An
    extra a kit package asks for (``fsspec[http]``) brings that package's own requirements for
    it. Never raises: what cannot be read is listed as not checked."""
    from importlib.metadata import distributions

    try:
        from packaging.requirements import Requirement
        from packaging.utils import canonicalize_name
    except ImportError:
        return ["packaging (found nothing), to read the kit's requirements: not checked"]
    found: dict[str, object] = {}  # name -> distribution, the kit's own first
    for dist in distributions(path=[str(site), *sys.path]):
        if dist.metadata["Name"]:  # a half-removed install has a folder but no metadata
            found.setdefault(canonicalize_name(dist.metadata["Name"]), dist)
    unmet: set[str] = set()
    todo = [(dist, "") for dist in distributions(path=[str(site)]) if dist.metadata["Name"]]
    seen = set()
    while todo:
        dist, extra = todo.pop()
        who = f"{dist.metadata['Name']} {dist.version}" + (f" [{extra}]" if extra else "")
        for line in dist.requires or []:
            try:
                req = Requirement(line)
                if req.marker is not None and not req.marker.evaluate({"extra": extra}):
                    continue  # an extra not asked for, or another platform's
                if extra and req.marker is None:
                    continue  # the package's own requirement, checked without the extra
                need = f"{req.name}{req.specifier}"
                have = found.get(canonicalize_name(req.name))
                if have is None or not req.specifier.contains(have.version, prereleases=True):
                    unmet.add(f"{need} (found {have.version if have else 'nothing'}), for {who}")
                    continue
                for wanted in sorted(req.extras):
                    if (req.name, wanted) not in seen:
                        seen.add((req.name, wanted))
                        todo.append((have, wanted))
            except Exception as err:  # an unreadable requirement or version: say so, go on
                unmet.add(f"{line.split(';')[0].strip()}: not checked ({type(err).__name__}), "
                          f"for {who}")
    return sorted(unmet)


def link_assets(workdir: Path) -> dict:
    """Without a kit: the course's own built assets, linked (never changed), with room for the
    sentiment checkpoint this script fine-tunes."""
    from utils import assets

    source, target = assets.assets_dir(), workdir / "assets"
    names = ["data-polarity", "data-korean", "encoder", "korean-tokenizer"]
    for name in names:
        assets.verify(name, source)
        folder = target / assets.ASSETS[name].folder
        if not folder.exists():
            folder.parent.mkdir(parents=True, exist_ok=True)
            folder.symlink_to(source / assets.ASSETS[name].folder, target_is_directory=True)
    assets.register(names, "linked from the course's assets", root=target)
    return {"COURSE_ASSETS_DIR": str(target)}


# ---------------------------------------------------------------------------- the checks

def devices(env: dict) -> None:
    code = ("from utils import device\n"
            "print(device.format_report([device.device_info('pt')]))\n"
            "import importlib.util\n"
            "if importlib.util.find_spec('tensorflow') is None:\n"
            "    print('TensorFlow: not installed here; the TensorFlow lessons need it "
            "(the GPU check covers the PyTorch lessons)')\n"
            "else:\n"
            "    print(device.format_report([device.device_info('tf')]))\n")
    subprocess.run([sys.executable, "-c", code], env={**env, "USE_TF": "1"}, check=True)


def finetune(env: dict, device: str, steps: int | None) -> int:
    """The sentiment checkpoint fine-tuned on ``device`` and on the CPU: accuracy and time."""
    code = r'''
import json, sys, torch
from utils import assets
device, steps = sys.argv[1], int(sys.argv[2])
if steps:  # the quick run: the first `steps` batches of the build's plan
    assets.FINETUNE["steps"] = steps
has_gpu, results = torch.cuda.is_available, {}
for where in dict.fromkeys(["cpu", device]):  # the device's checkpoint last: the lessons use it
    torch.cuda.is_available = has_gpu if where == "cuda" else (lambda: False)
    details = assets.build(["sentiment"], force=True)["sentiment"]
    results[where] = {k: details[k] for k in ("test_accuracy", "train_seconds", "device")}
    print(f"sentiment fine-tune on {details['device']}: test accuracy "
          f"{details['test_accuracy']:.4f}, {details['train_seconds']:.1f} s", flush=True)
torch.cuda.is_available = has_gpu
print(json.dumps(results))
'''
    env = {k: v for k, v in env.items() if k != "USE_TF"}  # the build also writes tf_model.h5
    proc = subprocess.run([sys.executable, "-c", code, device, str(steps or 0)], env=env,
                          capture_output=True, text=True)
    lines = proc.stdout.strip().splitlines()
    print("\n".join(lines[:-1]))
    if proc.returncode:
        print(f"FAIL sentiment fine-tune:\n{proc.stderr[-2000:]}")
        return 1
    results = json.loads(lines[-1])
    if device == "cpu":
        print(f"ok   sentiment fine-tune on the CPU: {results['cpu']['test_accuracy']:.4f}")
        return 0
    gpu, cpu = results[device], results["cpu"]
    gap = abs(gpu["test_accuracy"] - cpu["test_accuracy"])
    verdict = "ok  " if gap <= TOLERANCE["training"] else "FAIL"
    print(f"{verdict} sentiment fine-tune: {device} {gpu['test_accuracy']:.4f} vs CPU "
          f"{cpu['test_accuracy']:.4f} (|Δ| {gap:.4f} ≤ {TOLERANCE['training']}), "
          f"{gpu['train_seconds']:.1f} s vs {cpu['train_seconds']:.1f} s: "
          f"{cpu['train_seconds'] / max(gpu['train_seconds'], 1e-9):.1f}× faster")
    return 0 if verdict.startswith("ok") else 1


def run_notebook(name: str, env: dict, workdir: Path, hide_gpu: bool, label: str) -> dict:
    """Run a solution's code cells in a fresh process; its outputs go to ``<name>.<label>.json``
    in ``workdir``."""
    nb = json.loads((ROOT / "solutions" / f"{name}.ipynb").read_text(encoding="utf-8"))
    where = [i for i, c in enumerate(nb["cells"]) if c["cell_type"] == "code"
             and "hidden-tests" not in c.get("metadata", {}).get("tags", [])]
    code = [nb["cells"][i] for i in where]
    cells = ["".join(c["source"]) for c in code]
    # Cells that raise on purpose carry nbval's tag; any other error is a failure of the run.
    may_raise = [i for i, c in enumerate(code)
                 if "raises-exception" in c.get("metadata", {}).get("tags", [])]
    src = workdir / f"{name}.cells.json"
    out = workdir / f"{name}.{label}.json"
    src.write_text(json.dumps(cells))
    run_env = {**env, **({"CUDA_VISIBLE_DEVICES": ""} if hide_gpu else {})}
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", RUNNER, str(src), str(out)], env=run_env,
                          cwd=ROOT / "notebooks", capture_output=True, text=True)
    seconds = time.perf_counter() - start
    if proc.returncode or not out.exists():
        return {"seconds": seconds, "failed": proc.stderr[-1500:], "cells": [], "peak_gpu_bytes": 0}
    return {"seconds": seconds, "may_raise": may_raise, "notebook_cell": where,
            **json.loads(out.read_text())}


def compare(name: str, reference: dict, target: dict,
            target_run: str = "the GPU") -> tuple[bool, str]:
    """Compare the CPU run (``reference``) with ``target_run``: every cell ran, and the numbers
    agree within the lesson's tolerance."""
    if reference.get("failed") or target.get("failed"):
        return False, f"could not run: {reference.get('failed') or target.get('failed')}"
    tolerance = TOLERANCE["training" if name in TRAINING else "inference"]
    if len(reference["cells"]) != len(target["cells"]):
        return False, (f"{len(reference['cells'])} cells ran on the CPU and "
                       f"{len(target['cells'])} on {target_run}")
    allowed = set(reference.get("may_raise", ()))
    where = reference.get("notebook_cell") or list(range(len(reference["cells"])))
    for run, cells in ((target_run, target["cells"]), ("the CPU", reference["cells"])):
        raised = [i for i, cell in enumerate(cells) if cell["error"] and i not in allowed]
        if raised:  # in both runs alike too: a lesson that fails is not checked by its numbers
            return False, (f"notebook cell {where[raised[0]]} raised on {run} ({len(raised)} "
                           f"cell(s) in all): {cells[raised[0]]['error']}")
    worst, count = 0.0, 0
    for a, b in zip(reference["cells"], target["cells"]):
        x, y = numbers(a["out"]), numbers(b["out"])
        if len(x) != len(y):
            return False, (f"a cell printed {len(x)} numbers on the CPU and {len(y)} on "
                           f"{target_run}")
        for u, v in zip(x, y):
            count += 1
            gap = difference(u, v, name in TRAINING)
            worst = max(worst, gap)
    ok = worst <= tolerance
    return ok, f"{count} numbers, largest difference {worst:.2e} ({'≤' if ok else '>'} {tolerance})"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--prepare", type=Path, metavar="KIT", help="write the kit and stop")
    parser.add_argument("--python-version", default="3.12",
                        help="with --prepare: the GPU machine's Python (default 3.12)")
    parser.add_argument("--kit", type=Path, help="use a kit made with --prepare")
    parser.add_argument("--device", choices=["cuda", "cpu"], default=None,
                        help="default: cuda when PyTorch sees a GPU, else cpu")
    parser.add_argument("--notebooks", default=",".join(NOTEBOOKS),
                        help="comma-separated solution notebooks (stems) to run")
    parser.add_argument("--finetune-steps", type=int, default=None,
                        help="fine-tune for this many steps only (the suite's quick run)")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args(argv)
    if args.prepare:
        return prepare(args.prepare, args.python_version)
    start = time.perf_counter()
    workdir = args.workdir or Path(tempfile.mkdtemp(prefix="course-gpu-"))
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(
        [str(ROOT), *filter(None, [os.environ.get("PYTHONPATH")])])}
    if args.kit:
        env = unpack(args.kit, workdir)
        unmet = unmet_requirements(workdir / "site")
        if unmet:  # a warning: a declared cap is not always a real break, and the lessons tell
            print("warning: the kit's packages declare needs this Python does not meet (carry "
                  "them as wheels too, WHEELS in this script, if a lesson then fails):\n  "
                  + "\n  ".join(unmet), flush=True)
    else:
        env.update(link_assets(workdir))
    course_env.apply(env)
    env["USE_TF"] = "0"  # the PyTorch lessons, as setup("pt") runs them
    probe = subprocess.run([sys.executable, "-c", "import torch, transformers; print("
                            "torch.cuda.is_available(), transformers.__version__)"],
                           env=env, capture_output=True, text=True, check=True).stdout.split()
    device = args.device or ("cuda" if probe[0] == "True" else "cpu")
    if device == "cuda" and probe[0] != "True":
        print("FAIL --device cuda, but PyTorch sees no GPU here")
        return 1
    print(f"device: {device} · transformers {probe[1]} · workdir {workdir}")
    devices(env)
    failures = finetune(env, device, args.finetune_steps)
    rows = []
    for name in filter(None, args.notebooks.split(",")):
        reference = run_notebook(name, env, workdir, hide_gpu=True, label="cpu")
        target = run_notebook(name, env, workdir, hide_gpu=device == "cpu",
                              label="gpu" if device == "cuda" else "cpu-again")
        ok, detail = compare(name, reference, target,
                             "the GPU" if device == "cuda" else "the second CPU run")
        failures += not ok
        rows.append((name, reference["seconds"], target["seconds"],
                     target.get("peak_gpu_bytes", 0), ok, detail))
        print(f"{'ok  ' if ok else 'FAIL'} {name}: CPU {reference['seconds']:.0f} s, {device} "
              f"{target['seconds']:.0f} s, peak GPU memory {mib(target.get('peak_gpu_bytes', 0))}; "
              f"{detail}", flush=True)
    print(f"{'all checks passed' if not failures else f'{failures} check(s) failed'} in "
          f"{time.perf_counter() - start:.0f} s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
