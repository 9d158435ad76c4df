"""The README's two run-time tables are written from one file of measurements
(benchmarks/notebook_times.json, by benchmarks/timings.py) and agree with it."""

import importlib.util
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("course_timings", ROOT / "benchmarks" / "timings.py")
timings = importlib.util.module_from_spec(spec)
spec.loader.exec_module(timings)


def test_readme_tables_are_the_generated_ones():
    text = timings.README.read_text(encoding="utf-8")
    assert timings.render(text, timings.load()) == text, \
        "README.md differs from benchmarks/notebook_times.json: run python benchmarks/timings.py"


def test_every_solution_notebook_is_measured():
    measured = set(timings.load()["notebooks"])
    assert measured == {p.name for p in (ROOT / "solutions").glob("*.ipynb")}


def test_both_tables_show_the_same_seconds():
    text = timings.README.read_text(encoding="utf-8")
    lesson = {m.group("name") + ".ipynb": m.group(0).split(" | ")[4]
              for m in timings._lesson_rows(text)}
    block = text.split(timings.BEGIN, 1)[1].split(timings.END, 1)[0]
    performance = dict(re.findall(r"^\| (\S+\.ipynb) \| [\d,]+ MiB \| (\d+ s) \|$", block, re.M))
    assert lesson and lesson.items() <= performance.items()


def test_a_changed_measurement_changes_both_tables(tmp_path):
    document = timings.load()
    document["notebooks"]["02_pipeline_pt.ipynb"]["seconds"] = 9999
    text = timings.render(timings.README.read_text(encoding="utf-8"), document)
    assert text.count("| 9999 s |") == 2


def test_a_readme_without_the_block_is_refused():
    with pytest.raises(SystemExit, match="notebook-times"):
        timings.render("no table here", timings.load())


def pacing_times() -> list[tuple[str, int]]:
    """(notebook, seconds) for every run time that instructors/PACING.md quotes: its table's
    run-time column and the "(`notebook`, N code cells, M s)" notes."""
    text = (ROOT / "instructors" / "PACING.md").read_text(encoding="utf-8")
    found = []
    for row in re.findall(r"^\| \d\d \| (.+)$", text, re.M):
        cells = [c.strip() for c in row.split("|")]
        names = re.findall(r"`(\d\d_\w+|_\w+)`", cells[0])
        seconds = re.findall(r"(\d+) s", cells[3])
        if names and len(names) == len(seconds):
            full = [n if not n.startswith("_") else names[0].rsplit("_", 1)[0] + n for n in names]
            found += [(f"{n}.ipynb", int(s)) for n, s in zip(full, seconds)]
    found += [(f"{n}.ipynb", int(s)) for n, s in
              re.findall(r"\(`(\d\d_\w+)`, \d+ code cells, (\d+) s\)", text)]
    return found


def test_pacing_quotes_the_measured_run_times():
    quoted = pacing_times()
    measured = {name: row["seconds"] for name, row in timings.load()["notebooks"].items()}
    assert len(quoted) >= len(measured)  # every notebook of the table, plus the notes
    assert [(n, s) for n, s in quoted if measured.get(n) != s] == [], \
        "instructors/PACING.md quotes run times other than benchmarks/notebook_times.json"
