"""`scripts/determinism.py` runs nbval several times and reports every cell whose output changed.
This runs it for real, twice, on two tiny notebooks: one whose output is fixed and one that prints a
fresh random number (with a committed output that a new run cannot reproduce)."""

import importlib.util
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("determinism", ROOT / "scripts" / "determinism.py")
determinism = importlib.util.module_from_spec(spec)
spec.loader.exec_module(determinism)


def notebook(path: Path, code: str, output: str):
    cell = nbformat.v4.new_code_cell(code)
    cell.execution_count = 1
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text=output)]
    nb = nbformat.v4.new_notebook(cells=[cell])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nbformat.write(nb, str(path))


def test_reports_the_flaky_cell_and_only_it(tmp_path):
    folder = tmp_path / "nbs"
    folder.mkdir()
    notebook(folder / "steady.ipynb", "print(6 * 7)", "42\n")
    notebook(folder / "flaky.ipynb", "import secrets\nprint(secrets.token_hex(8))",
             "0123456789abcdef\n")
    status = determinism.main([str(folder), "--runs", "2", "--workers", "1",
                               "--out", str(tmp_path / "out")])
    report = (tmp_path / "out" / "report.md").read_text()
    assert status == 1, report
    assert "| 1 | 2 | 1 |" in report and "| 2 | 2 | 1 |" in report, report
    assert "flaky.ipynb::Cell 0` failed in run(s) 1, 2" in report, report
    assert "steady.ipynb" not in report.split("at least one run")[1], report


def test_clean_runs_say_so(tmp_path):
    notebook(tmp_path / "steady.ipynb", "print(6 * 7)", "42\n")
    status = determinism.main([str(tmp_path / "steady.ipynb"), "--runs", "1", "--workers", "1",
                               "--out", str(tmp_path / "out")])
    assert status == 0
    report = (tmp_path / "out" / "report.md").read_text()
    assert "Clean: every cell matched its committed output in all 1 runs." in report
