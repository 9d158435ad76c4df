"""One source for exercises: the student notebooks are exactly what the generator makes from the
solutions, with every solution replaced by a stub."""

from pathlib import Path

import nbformat
import pytest

from utils import generate
from utils.generate import NotebookError, stub_source, student_notebook

ROOT = Path(__file__).resolve().parent.parent
SOLUTIONS = sorted((ROOT / "solutions").glob("*.ipynb"))


def test_there_are_lessons():
    assert SOLUTIONS and (ROOT / "solutions" / "00_setup.ipynb") in SOLUTIONS


def test_notebooks_mirror_solutions_file_for_file():
    assert sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb")) == \
        [p.name for p in SOLUTIONS]


def test_committed_student_notebooks_are_generated():
    assert generate.main(["--check"]) == 0, "run: python -m utils.generate"


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_solutions_are_executed_and_students_are_stubbed(path):
    solution = generate.read_notebook(path)
    code = [c for c in solution.cells if c.cell_type == "code"]
    assert all(c.execution_count for c in code), "solutions are committed executed, in order"
    assert [c.execution_count for c in code] == list(range(1, len(code) + 1))
    student = student_notebook(solution)
    stubs = [c for c in student.cells if "raises-exception" in c.metadata.get("tags", [])]
    assert stubs, "every lesson has exercises"
    for cell in student.cells:
        assert "BEGIN SOLUTION" not in cell.source and "END SOLUTION" not in cell.source
        if cell.cell_type == "code":
            assert cell.outputs == [] and cell.execution_count is None
    for cell in stubs:
        assert 'raise NotImplementedError("Exercise' in cell.source


def test_stub_keeps_indentation_and_names_the_exercise():
    source = ("def f(x):\n    # BEGIN SOLUTION\n    return 2 * x\n    # END SOLUTION\n"
              "check(\"02.1\", f)")
    stubbed, changed = stub_source(source, "cell 1")
    assert changed
    assert stubbed.splitlines()[1:3] == [
        "    # YOUR CODE HERE",
        '    raise NotImplementedError("Exercise 02.1: replace this line with your code")']
    assert "return 2 * x" not in stubbed and stubbed.endswith('check("02.1", f)')


def test_cell_without_markers_is_unchanged():
    assert stub_source("x = 1\nprint(x)", "cell") == ("x = 1\nprint(x)", False)


@pytest.mark.parametrize("source,problem", [
    ("# BEGIN SOLUTION\nx = 1", "never closed"),
    ("x = 1\n# END SOLUTION", "without # BEGIN SOLUTION"),
    ("# BEGIN SOLUTION\n# BEGIN SOLUTION\n# END SOLUTION", "inside another block"),
])
def test_unbalanced_markers_are_reported(source, problem):
    with pytest.raises(NotebookError, match=problem):
        stub_source(source, "cell 3")


def test_invalid_json_notebook(tmp_path):
    bad = tmp_path / "broken.ipynb"
    bad.write_text('{"cells": [')
    with pytest.raises(NotebookError, match="broken.ipynb: not a valid notebook"):
        generate.read_notebook(bad)


def test_notebook_without_kernelspec(tmp_path):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("1")])
    path = tmp_path / "nokernel.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(NotebookError, match="no kernel spec"):
        generate.read_notebook(path)


def test_generator_reports_bad_solution_and_keeps_going(tmp_path, capsys):
    sols, nbs = tmp_path / "solutions", tmp_path / "notebooks"
    sols.mkdir()
    (sols / "01_bad.ipynb").write_text("not json")
    good = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "# BEGIN SOLUTION\nx = 1\n# END SOLUTION")])
    good.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                   "language": "python"}
    nbformat.write(good, sols / "02_good.ipynb")
    assert generate.main(["--solutions", str(sols), "--notebooks", str(nbs)]) == 1
    assert "01_bad.ipynb: not a valid notebook" in capsys.readouterr().err
    assert (nbs / "02_good.ipynb").exists() and not (nbs / "01_bad.ipynb").exists()
    assert generate.main(["--check", "--solutions", str(sols / "x"),
                          "--notebooks", str(nbs)]) == 0


def test_hidden_test_cells_are_left_out_of_the_student_copy():
    solution = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("# BEGIN SOLUTION\ndef double(x):\n    return 2 * x\n"
                                  "# END SOLUTION\ncheck(\"02.1\", double(21))"),
        nbformat.v4.new_code_cell('check("02.1", double(5), x=5)',
                                  metadata={"tags": [generate.HIDDEN_TAG]}),
        nbformat.v4.new_markdown_cell("The next part."),
    ])
    student = student_notebook(solution)
    assert [c.cell_type for c in student.cells] == ["code", "markdown"]
    assert not any("double(5)" in c.source for c in student.cells)
    assert 'raise NotImplementedError("Exercise 02.1' in student.cells[0].source
    assert len(solution.cells) == 3  # the solution itself keeps its hidden tests


@pytest.mark.parametrize("path", SOLUTIONS, ids=lambda p: p.name)
def test_committed_student_notebooks_have_no_hidden_tests(path):
    solution = generate.read_notebook(path)
    hidden = [c.source for c in solution.cells
              if generate.HIDDEN_TAG in c.metadata.get("tags", [])]
    student = generate.read_notebook(ROOT / "notebooks" / path.name)
    assert len(student.cells) == len(solution.cells) - len(hidden)
    assert not any(c.source in hidden for c in student.cells)


def _solution_with(source):
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_markdown_cell(
            "# T\n\n[![Open In Colab](x.svg)](https://colab.research.google.com/github/o/r/blob/"
            "main/solutions/01_x.ipynb)"),
        nbformat.v4.new_code_cell(source)])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    return nb


def test_student_badge_opens_the_student_copy():
    student = student_notebook(_solution_with("x = 1"))
    assert "/blob/main/notebooks/01_x.ipynb" in student.cells[0].source


def test_generator_never_overwrites_learner_work(tmp_path, capsys):
    sols, nbs = tmp_path / "solutions", tmp_path / "notebooks"
    sols.mkdir()
    nbformat.write(_solution_with("# BEGIN SOLUTION\nx = 1\n# END SOLUTION"), sols / "01_x.ipynb")
    argv = ["--solutions", str(sols), "--notebooks", str(nbs)]
    assert generate.main(argv) == 0
    target = nbs / "01_x.ipynb"

    # Running cells (outputs only) is not editing: a new solution version replaces the copy.
    ran = nbformat.read(target, as_version=4)
    ran.cells[1].outputs = [nbformat.v4.new_output("stream", text="hi\n")]
    nbformat.write(ran, target)
    nbformat.write(_solution_with("# BEGIN SOLUTION\nx = 2\n# END SOLUTION\nprint(x)"),
                   sols / "01_x.ipynb")
    assert generate.main(argv) == 0
    assert nbformat.read(target, as_version=4).cells[1].source.endswith("print(x)")

    # The learner writes an answer; the solution changes again; the answer must survive.
    edited = nbformat.read(target, as_version=4)
    edited.cells[1].source = "x = 41 + 1  # my answer\nprint(x)"
    nbformat.write(edited, target)
    before = target.read_bytes()
    nbformat.write(_solution_with("# BEGIN SOLUTION\nx = 3\n# END SOLUTION"), sols / "01_x.ipynb")
    assert generate.main(argv) == 1
    assert "01_x.ipynb holds your edits, so it was not replaced" in capsys.readouterr().err
    assert target.read_bytes() == before

    # A damaged learner file is not replaced either; --force replaces on purpose.
    target.write_text("{ not json")
    assert generate.main(argv) == 1 and target.read_text() == "{ not json"
    assert generate.main(argv + ["--force"]) == 0
    assert "x = 41" not in target.read_text()


@pytest.mark.parametrize("marker", ["# begin solution", "# Begin Solution", "# BEGIN SOLUTON",
                                    "#BEGIN  SOLUTION", "# END SOLUTIN", "# end solution"])
def test_misspelt_or_wrong_case_markers_fail_generation(marker):
    nb = _solution_with(f"{marker}\nanswer = 'c'\n# END SOLUTION\ncheck(\"00.2\", answer)"
                        if "END" not in marker.upper() else
                        f"# BEGIN SOLUTION\nanswer = 'c'\n{marker}\ncheck(\"00.2\", answer)")
    with pytest.raises(NotebookError, match=r"01_x.ipynb, cell 1, line \d: .* looks like a "
                                            r"misspelt `# (BEGIN|END) SOLUTION`"):
        student_notebook(nb, "01_x.ipynb")


def test_an_exercise_cell_without_a_solution_block_fails_generation(tmp_path, capsys):
    nb = _solution_with("answer = 'c'  # the author forgot the markers\ncheck(\"00.2\", answer)")
    with pytest.raises(NotebookError, match="01_x.ipynb, cell 1: an exercise cell .* without a "
                                            "# BEGIN SOLUTION / # END SOLUTION block"):
        student_notebook(nb, "01_x.ipynb")
    sols, nbs = tmp_path / "solutions", tmp_path / "notebooks"
    sols.mkdir()
    nbformat.write(nb, sols / "01_x.ipynb")
    assert generate.main(["--solutions", str(sols), "--notebooks", str(nbs)]) == 1
    assert "01_x.ipynb, cell 1: an exercise cell" in capsys.readouterr().err
    assert not (nbs / "01_x.ipynb").exists()  # nothing leaked
    # A check call that is not an exercise (indented, e.g. in a try block) is fine.
    student_notebook(_solution_with("try:\n    check(\"00.1\", \"12\")\nexcept Exception:\n"
                                    "    pass"), "01_x.ipynb")


def test_metadata_is_kept_by_allow_list():
    nb = _solution_with("# BEGIN SOLUTION\nx = 1\n# END SOLUTION")
    nb.metadata["colab"] = {"provenance": [{"user": "teacher@example.com"}]}
    nb.metadata["widgets"] = {"state": {}}
    nb.cells[1].metadata.update({"tags": ["keep"], "colab": {"id": "x"}, "execution": {"t": 1},
                                 "jupyter": {"source_hidden": True}})
    student = student_notebook(nb)
    assert set(student.metadata) == {"kernelspec", "course"}
    assert student.cells[1].metadata == {"tags": ["keep", "raises-exception"],
                                         "jupyter": {"source_hidden": True}}


def test_consecutive_prints_are_saved_as_one_output():
    """A busy kernel may send one cell's prints as several messages; the saved file holds one
    stdout output per run of prints, so committed outputs do not depend on the machine's load."""
    import nbformat

    from utils.generate import coalesce_streams

    nb = nbformat.v4.new_notebook()
    cell = nbformat.v4.new_code_cell("print('a'); print('b')")
    cell.outputs = [nbformat.v4.new_output("stream", name="stdout", text="a: "),
                    nbformat.v4.new_output("stream", name="stdout", text="1\n"),
                    nbformat.v4.new_output("stream", name="stderr", text="warning\n"),
                    nbformat.v4.new_output("stream", name="stdout", text="b\n")]
    nb.cells = [cell, nbformat.v4.new_markdown_cell("text")]
    coalesce_streams(nb)
    assert [(o.name, o.text) for o in cell.outputs] == [
        ("stdout", "a: 1\n"), ("stderr", "warning\n"), ("stdout", "b\n")]
