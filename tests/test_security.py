"""Security scan of the course's own code and committed notebooks: weights load only through
safetensors or the TF-native h5 files the course builds, no remote code, no secrets, and no
machine paths or user names in committed outputs."""

import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
THIS = Path(__file__).resolve()
NOTEBOOKS = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted(
    (ROOT / "notebooks").glob("*.ipynb"))
PY_FILES = [p for d in ("utils", "tests", "benchmarks") for p in (ROOT / d).rglob("*.py")
            if p.resolve() != THIS] + [ROOT / "conftest.py"]

# Patterns are assembled from pieces so that this file does not match itself.
UNSAFE_CODE = {
    "torch.load of a pickle": r"torch\.load\s*\(",
    "pickle.load": r"\bpickle\.loads?\s*\(",
    "trust_remote_code": "trust_remote" + r"_code\s*=\s*True",
    "PyTorch .bin weights": r"pytorch_model\.bin",
    "use_safetensors=False in PyTorch code": r"(?<!TF)AutoModel\w*\.from_pretrained\([^)]*use_safe"
                                             r"tensors\s*=\s*False",
}
SECRETS = {
    "Hugging Face token": r"\bhf_[A-Za-z0-9]{30,}",
    "webhook URL": r"https://(hooks\.slack\.com|discord(app)?\.com/api/webhooks|"
                   r"[\w.-]*webhook\.office\.com)/\S+",
    "AWS key": r"\bAKIA[0-9A-Z]{16}\b",
    "assigned secret": r"(?i)\b(api|secret|access)_?(key|token)\s*=\s*['\"][^'\"]{12,}['\"]",
}
MACHINE_PATHS = r"(/root/|/home/[a-z_][\w-]*|/Users/\w+|/tmp/|/work/|/var/folders/|[A-Z]:\\\\Users)"


def code_cells(path):
    nb = json.loads(path.read_text(encoding="utf-8"))
    return [c for c in nb["cells"] if c["cell_type"] == "code"]


def outputs_text(cell):
    parts = []
    for out in cell.get("outputs", []):
        parts.append("".join(out.get("text", "")))
        for mime, value in out.get("data", {}).items():
            if mime.startswith("text/"):
                parts.append("".join(value) if isinstance(value, list) else str(value))
        parts += out.get("traceback", [])
    return "\n".join(parts)


def sources():
    for path in PY_FILES:
        yield path.relative_to(ROOT), path.read_text(encoding="utf-8")
    for path in NOTEBOOKS:
        for i, cell in enumerate(code_cells(path)):
            yield f"{path.relative_to(ROOT)} code cell {i}", "".join(cell["source"])


@pytest.mark.parametrize("what", list(UNSAFE_CODE))
def test_no_unsafe_loading(what):
    found = [str(where) for where, text in sources() if re.search(UNSAFE_CODE[what], text)]
    assert not found, f"{what} in: {found}"


@pytest.mark.parametrize("what", list(SECRETS))
def test_no_secrets_in_code_or_outputs(what):
    texts = list(sources()) + [(f"{p.relative_to(ROOT)} outputs", outputs_text(c))
                               for p in NOTEBOOKS for c in code_cells(p)]
    texts.append(("README.md", (ROOT / "README.md").read_text(encoding="utf-8")))
    found = [str(where) for where, text in texts if re.search(SECRETS[what], text)]
    assert not found, f"{what} in: {found}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_no_machine_paths_in_committed_notebooks(path):
    bad = []
    for i, cell in enumerate(code_cells(path)):
        for text in ("".join(cell["source"]), outputs_text(cell)):
            match = re.search(MACHINE_PATHS, text)
            if match:
                bad.append(f"cell {i}: ...{text[max(0, match.start() - 40):match.end() + 40]}...")
    assert not bad, "machine paths in a committed notebook:\n" + "\n".join(bad)


def test_course_weights_are_safetensors_or_h5():
    from utils import assets

    for name in ("encoder", "sentiment"):
        files = assets.read_manifest()["assets"][name]["files"]
        weights = [f for f in files if f.endswith((".safetensors", ".h5", ".bin", ".pt", ".pkl",
                                                   ".ckpt", ".msgpack"))]
        assert sorted(weights) == ["model.safetensors", "tf_model.h5"], weights


def test_jupyterlab_is_loopback_with_token():
    makefile = (ROOT / "Makefile").read_text()
    lab = makefile[makefile.index("\nlab:"):].split("\n\n")[0]
    assert "--ServerApp.ip=127.0.0.1" in lab
    assert "token=" not in lab.replace("IdentityProvider.token", ""), "no fixed or empty token"
    assert "disable_check_xsrf" not in lab and "password" not in lab
