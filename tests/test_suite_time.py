"""benchmarks/suite_time.py --write-order: a whole run replaces the order file, a run of some files
updates only their entries (conftest.py reads the file to start the slowest files first)."""

import importlib.util
import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("suite_time", ROOT / "benchmarks" / "suite_time.py")
suite_time = importlib.util.module_from_spec(spec)
spec.loader.exec_module(suite_time)


def _seconds(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))["seconds"]


def test_partial_run_updates_only_its_files(tmp_path):
    target = tmp_path / "order.json"
    target.write_text(json.dumps({"seconds": {"tests/test_checks.py": 5.0,
                                              "solutions/00_setup.ipynb": 9.0,
                                              "tests/no_longer_here.py": 50.0}}))
    suite_time.write_order({"solutions/00_setup.ipynb": {"seconds": 20.04},
                            "tests/test_env.py": {"seconds": 1.0}},
                           target, tmp_path / "junit.xml", merge=True)
    seconds = _seconds(target)
    assert seconds == {"solutions/00_setup.ipynb": 20.0, "tests/test_checks.py": 5.0,
                       "tests/test_env.py": 1.0}
    assert list(seconds) == ["solutions/00_setup.ipynb", "tests/test_checks.py",
                             "tests/test_env.py"]


def test_whole_run_replaces_the_file(tmp_path):
    target = tmp_path / "order.json"
    target.write_text(json.dumps({"seconds": {"tests/test_checks.py": 5.0}}))
    suite_time.write_order({"tests/test_env.py": {"seconds": 1.0}}, target,
                           tmp_path / "junit.xml")
    assert _seconds(target) == {"tests/test_env.py": 1.0}


def test_student_cells_run_in_the_solution_kernel_count_for_the_student_copy(tmp_path):
    junit = tmp_path / "junit.xml"
    cls = "solutions.07_custom_training_tf.ipynb"
    junit.write_text(
        '<testsuites><testsuite time="30">'
        f'<testcase classname="{cls}" name="Cell 0" time="20"/>'
        f'<testcase classname="{cls}" name="notebooks Cell 12" time="4"/>'
        f'<testcase classname="{cls}" name="Cell 12" time="6"/>'
        '</testsuite></testsuites>')
    files, wall = suite_time.read_report(junit)
    assert files["solutions/07_custom_training_tf.ipynb"]["seconds"] == 26
    assert files["notebooks/07_custom_training_tf.ipynb"]["seconds"] == 4
    assert "1 student copies ran in their solution's kernel" in suite_time.table(files, wall)
    target = tmp_path / "order.json"
    suite_time.write_order(files, target, junit)
    assert _seconds(target) == {"solutions/07_custom_training_tf.ipynb": 30.0}
