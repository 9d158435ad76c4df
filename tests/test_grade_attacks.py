"""A catalogue of attacks on the grader, as a determined student would try them, graded in ONE
run of ``python -m utils.grade`` with secrets in the teacher's environment. For every attack:
the attacker earns nothing it did not solve, the innocent students graded after it keep their
grade, no secret reaches a report, the report says what happened, and grades.csv/grades.json
are written.

The target is lesson 00: exercise 00.2 is a quiz (no model needed), 00.1 counts tokens (its
hidden tests call the student's function on other sentences). An innocent student answers 00.2
right and 00.1 with the wrong type, so the right grade is exactly 1 of 2: a check that passed
everything, or one that failed everything, would show.
"""

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from utils import grade

ROOT = Path(__file__).resolve().parent.parent
KERNELSPEC = {"name": "python3", "display_name": "Python 3", "language": "python"}
SECRETS = {"HF_TOKEN": "hf_" + "Q" * 34,
           "COURSE_WEBHOOK_URL": "https://hooks." + "slack.com/services/T0/B0/" + "W" * 24,
           "MY_API_KEY": "key-" + "K" * 30, "DB_PASSWORD": "pw-" + "P" * 20}
INNOCENT = ["answer = 'c'", "num_tokens = '3'  # a wrong type: the check fails at once"]
FAKE_RESULT = ('{"exercises": {"00.1": {"status": "passed", "feedback": "ok"}, '
               '"00.2": {"status": "passed", "feedback": "ok"}}, "hidden": {}, "error": None}')
PLANTED_PYC = ROOT / "utils" / "__pycache__" / f"checks.cpython-{sys.version_info.major}" \
                                                f"{sys.version_info.minor}.pyc"
OTHER_LESSON = ROOT / "utils" / "exercises" / "lesson01.py"
STARTUP_FILE = Path.home() / ".ipython" / "profile_default" / "startup" / "00-graded.py"


def notebook(*sources):
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(s) for s in sources])
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def attacks(tmp):
    pidfile = tmp / "leftover.pid"
    return {
        # Points without answers, from inside the kernel.
        "a01_json_dump": notebook(
            "import json, builtins\n"
            f"json.dump = lambda obj, f, *a, **k: f.write('''{FAKE_RESULT}''')\n"
            "_open = open\nbuiltins.open = lambda *a, **k: _open(*a, **k)"),
        "a02_import_module": notebook(
            "import importlib, types\n_real = importlib.import_module\n"
            "def fake(name, package=None):\n"
            "    module = _real(name, package)\n"
            "    if name == 'utils.checks':\n"
            "        class Yes:\n            def __init__(self, *a, **k): pass\n"
            "            def __call__(self, *a, **k): return 'ok'\n"
            "        module.check = lambda *a, **k: print('✅ correct')\n"
            "        for ex in list(module.EXERCISES.values()):\n"
            "            module.EXERCISES[ex.id] = module.Exercise(ex.id, ex.title, ex.points,"
            " lambda *a, **k: 'ok')\n"
            "    return module\n"
            "importlib.import_module = fake"),
        "a03_liar_int": notebook(
            "class Liar(int):\n    def __eq__(self, other): return False\n"
            "    def __ne__(self, other): return False\n    __hash__ = int.__hash__\n"
            "def count_tokens(text):\n    return Liar(0)\nnum_tokens = count_tokens('x')"),
        "a04_fake_class": notebook(
            "class Fake:\n    __class__ = property(lambda self: str)\n"
            "    def strip(self): return self\n    def lower(self): return 'c'\n"
            "    def __len__(self): return 1\n    def __eq__(self, other): return True\n"
            "answer = Fake()"),
        "a05_solutions_reader": notebook(
            "import json, re\nfound = []\n"
            "for path in ['../solutions/00_setup.ipynb', "
            f"{str(ROOT / 'solutions' / '00_setup.ipynb')!r}]:\n"
            "    try:\n        found.append(open(path, encoding='utf-8').read())\n"
            "    except OSError as err:\n        print(type(err).__name__, err)\n"
            "answer = re.search(r\"answer = '(\\w)'\", ''.join(found)).group(1)"),
        "a06_oracle": notebook(
            "from utils.checks import check, ExerciseFailed\n"
            "def count_tokens(text):\n"
            "    for n in range(16, 40):\n"
            "        try:\n            check('00.1', n, text=text)\n            return n\n"
            "        except Exception:\n            pass\n"
            "num_tokens = count_tokens('Hello, Korea! 안녕하세요')"),
        # One student changes later students' grades.
        "a07_pyc": notebook(
            f"import os\nos.makedirs({str(PLANTED_PYC.parent)!r}, exist_ok=True)\n"
            f"open({str(PLANTED_PYC)!r}, 'wb').write(b'planted bytecode')"),
        "a08_other_lesson": notebook(
            f"open({str(OTHER_LESSON)!r}, 'a').write('\\n# planted\\n')\n"
            "open('../utils/exercises/lesson00.py', 'a').write('\\nEXERCISES = {}\\n')"),
        "a09_checks_copy": notebook(
            "with open('../utils/checks.py', 'a') as f:\n"
            "    f.write('\\ndef check(*a, **k):\\n    print(\"✅\")\\n')"),
        "a10_pth": notebook(
            "import site, os\npath = os.path.join(site.getsitepackages()[0], "
            "'zz_graded_attack.pth')\nopen(path, 'w').write('import os\\n')"),
        "a11_ipython_startup": notebook(
            f"import os\nos.makedirs({str(STARTUP_FILE.parent)!r}, exist_ok=True)\n"
            f"open({str(STARTUP_FILE)!r}, 'w').write('answer = \"c\"\\n')"),
        # Secrets.
        "a12_leaker": notebook(
            "import os\nleak = repr(dict(os.environ))\n"
            "try:\n    leak += open(f'/proc/{os.getppid()}/environ').read()\n"
            "except OSError as err:\n    print('blocked:', err)\n"
            "answer = leak\nnum_tokens = leak"),
        # One notebook must not stop the run.
        "a13_leftover": notebook(
            "import subprocess\n"
            "p = subprocess.Popen(['sleep', '600'], start_new_session=True)\n"
            f"open({str(pidfile)!r}, 'w').write(str(p.pid))"),
        "a14_giant": notebook("print('x' * 3_000_000)\nanswer = 'y' * 5_000_000"),
        "a15_killer": notebook("import os\nos._exit(1)"),
        "a16_hooks": notebook(
            "import sys, gc, os, socket\nseen = []\nsys.addaudithook(lambda e, a: seen.append(e))\n"
            "os.listdir('.')\nprint(f'my hook saw {len(seen)} events')\n"
            "for attempt in [lambda: gc.get_objects(),\n"
            "                lambda: sys.settrace(lambda *a: None),\n"
            "                lambda: socket.create_connection(('93.184.215.14', 80), 5)]:\n"
            "    try:\n        attempt()\n        print('allowed')\n"
            "    except Exception as err:\n        print('refused:', err)\n"
            "answer = 'b'"),
        "a17_audit_patched": notebook("import sys\nsys.audit = lambda *a: None\nanswer = 'c'"),
        "m_innocent": notebook(*INNOCENT),
        "zz_innocent": notebook(*INNOCENT),
    }


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.exists() else None


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("attacks")
    subs = tmp / "submissions"
    for student, nb in attacks(tmp).items():
        (subs / student).mkdir(parents=True)
        nbformat.write(nb, str(subs / student / "00_setup.ipynb"))
    (subs / "a18_deep").mkdir()
    (subs / "a18_deep" / "00_setup.ipynb").write_text("[" * 100_000 + "]" * 100_000)
    outside = tmp / "outside"
    outside.mkdir()
    nbformat.write(nbformat.read(str(ROOT / "solutions" / "00_setup.ipynb"), as_version=4),
                   str(outside / "00_setup.ipynb"))
    (subs / "a19_link_out").mkdir()
    (subs / "a19_link_out" / "00_setup.ipynb").symlink_to(outside / "00_setup.ipynb")
    (subs / "a20_link_in").mkdir()
    (subs / "a20_link_in" / "00_setup.ipynb").symlink_to(subs / "m_innocent" / "00_setup.ipynb")
    for where, first in [("a21_twin", "answer = 'c'"), ("a21_twin/week2", "answer = 'b'")]:
        (subs / where).mkdir(parents=True, exist_ok=True)
        nbformat.write(notebook(first), str(subs / where / "00_setup.ipynb"))
    for name in ["=1+2", "@SUM(A1)", "-2+3"]:
        (subs / name).mkdir()
        nbformat.write(notebook("answer = 'c'"), str(subs / name / "00_setup.ipynb"))

    protected = {p: p.read_bytes() if p.exists() else None
                 for p in [OTHER_LESSON, ROOT / "utils" / "checks.py", PLANTED_PYC]}
    before = {p: digest(p) for p in protected}
    reports = tmp / "reports"
    env = dict(os.environ, **SECRETS, PYTHONPATH=str(ROOT))
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "utils.grade", str(subs), "--timeout", "300",
             "--report-dir", str(reports)], cwd=ROOT, env=env, capture_output=True, text=True,
            timeout=1500)
        after = {p: digest(p) for p in protected}
        left = {p: p.exists() for p in [STARTUP_FILE]}
    finally:  # whatever happened, leave the machine as it was
        for path, data in protected.items():
            if data is None:
                path.unlink(missing_ok=True)
            elif path.read_bytes() != data:
                path.write_bytes(data)
        import site
        for path in [STARTUP_FILE,
                     Path(site.getsitepackages()[0]) / "zz_graded_attack.pth"]:
            path.unlink(missing_ok=True)
    document = json.loads((reports / "grades.json").read_text(encoding="utf-8"))
    with (reports / "grades.csv").open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    records = {}
    for rec in document["submissions"]:
        key = rec["student"] if rec["student"] != "a21_twin" else \
            ("a21_twin/week2" if "week2" in rec["path"] else "a21_twin")
        records[key] = rec
    pid = int((tmp / "leftover.pid").read_text()) if (tmp / "leftover.pid").exists() else None
    yield dict(proc=proc, document=document, rows=rows, records=records, reports=reports,
               before=before, after=after, left=left, pid=pid)
    shutil.rmtree(tmp, ignore_errors=True)  # free the disk for the rest of the suite


def ex(record, exercise_id):
    return next(e for e in record["exercises"] if e["id"] == exercise_id)


def test_the_run_finishes_and_writes_both_reports(run):
    assert run["proc"].returncode == 0, run["proc"].stderr[-3000:]
    assert run["document"]["finished"] is True
    assert len(run["document"]["submissions"]) == 27
    assert {r["student"] for r in run["rows"]} >= {"m_innocent", "zz_innocent", "a18_deep"}


@pytest.mark.parametrize("student", ["m_innocent", "zz_innocent", "a20_link_in"])
def test_innocent_students_keep_the_right_grade(run, student):
    record = run["records"][student]
    assert (record["points"], record["status"]) == (1, "graded"), record
    assert ex(record, "00.2")["status"] == "passed"
    assert ex(record, "00.1")["status"] == "failed"
    assert "expected the number of tokens as an int" in ex(record, "00.1")["feedback"]


@pytest.mark.parametrize("student", ["a01_json_dump", "a02_import_module", "a03_liar_int",
                                     "a04_fake_class", "a05_solutions_reader", "a06_oracle",
                                     "a12_leaker", "a16_hooks", "a17_audit_patched"])
def test_attacks_from_inside_the_kernel_earn_nothing(run, student):
    record = run["records"][student]
    assert record["points"] == 0, record


def test_what_the_report_says(run):
    records = run["records"]
    liar = ex(records["a03_liar_int"], "00.1")
    assert liar["status"] == "failed"
    assert "Liar was read as int; an overridden __eq__ or __ne__ counts for nothing" in \
        liar["feedback"]
    assert "pretends to be a str" in ex(records["a04_fake_class"], "00.2")["feedback"]
    oracle = ex(records["a06_oracle"], "00.1")
    assert oracle["status"] == "failed" and oracle["hidden_tests"] == "failed"
    assert "called the course's check functions while it was graded" in oracle["feedback"]
    assert "(with text='Transformers make NLP easy.')" in oracle["feedback"]  # which input
    assert "`answer` is not defined" in ex(records["a05_solutions_reader"], "00.2")["feedback"]
    assert any("not a notebook: the JSON is nested" in m for m in
               [records["a18_deep"]["message"]])
    assert records["a18_deep"]["status"] == "invalid"
    assert records["a15_killer"]["status"] == "kernel died"
    assert records["a17_audit_patched"]["status"] == "grader error"
    hooks = records["a16_hooks"]
    assert ex(hooks, "00.2")["status"] == "failed"
    executed = nbformat.read(hooks["executed"], as_version=4)
    printed = "".join(o.get("text", "") for c in executed.cells for o in c.get("outputs", []))
    assert "allowed" not in printed
    assert "my hook saw 0 events" in printed  # Python drops a hook that another refuses
    assert printed.count("refused:") == 3
    assert "Blocked a network connection to 93.184.215.14:80" in printed  # no setup() called


@pytest.mark.parametrize("student,changed", [
    ("a07_pyc", "course: utils/__pycache__/"),
    ("a08_other_lesson", "course: utils/exercises/lesson01.py"),
    ("a09_checks_copy", "course copy: utils/checks.py"),
    ("a10_pth", "start-up hook: "),
    ("a11_ipython_startup", "start-up hook: "),
])
def test_tampering_is_reported_and_undone(run, student, changed):
    record = run["records"][student]
    assert record["status"] == "tampered" and record["points"] == 0
    assert any(c.split(" ", 1)[1].startswith(changed) for c in record["tampered"]), record
    assert "changed what grading relies on" in record["message"]


def test_the_course_and_the_environment_are_put_back(run):
    assert run["after"] == run["before"]
    assert run["left"] == {STARTUP_FILE: False}
    a08 = run["records"]["a08_other_lesson"]["tampered"]
    assert any("course copy: utils/exercises/lesson00.py" in c for c in a08)


def test_no_secret_in_any_report(run):
    texts = [p.read_text(encoding="utf-8", errors="replace")
             for p in run["reports"].rglob("*") if p.is_file()]
    texts += [run["proc"].stdout, run["proc"].stderr]
    for value in SECRETS.values():
        assert not any(value in text for text in texts), value
    executed = Path(run["records"]["a12_leaker"]["executed"]).read_text(encoding="utf-8")
    assert "blocked: the grader's files cannot be read from a notebook" in executed


def test_leftover_processes_are_ended(run):
    assert run["pid"] is not None
    status = Path(f"/proc/{run['pid']}/status")
    assert not status.exists() or "State:\tZ" in status.read_text()
    record = run["records"]["a13_leftover"]
    assert "ended" in record["message"] and "process" in record["message"]


def test_giant_output_and_answers_are_capped(run):
    record = run["records"]["a14_giant"]
    feedback = ex(record, "00.2")["feedback"]
    assert len(feedback) < 5000 and "cut by the grader" in feedback
    executed = Path(record["executed"])
    assert executed.stat().st_size < 1_000_000
    assert "the grader dropped the rest of this cell's output" in executed.read_text()


def test_symlinks_and_two_copies(run):
    out = run["records"]["a19_link_out"]
    assert out["status"] == "refused" and out["points"] == 0
    assert "outside the submissions folder" in out["message"]
    assert "is a symlink to" in run["records"]["a20_link_in"]["message"]
    first, second = run["records"]["a21_twin"], run["records"]["a21_twin/week2"]
    assert (first["points"], second["points"]) == (1, 0)
    assert first["executed"] != second["executed"]
    assert Path(first["executed"]).is_file() and Path(second["executed"]).is_file()
    assert run["document"]["students"]["a21_twin"] == {"points": 1, "max_points": 2,
                                                       "notebooks": 1}


def test_csv_is_safe_in_a_spreadsheet(run):
    students = {r["student"] for r in run["rows"]}
    assert {"'=1+2", "'@SUM(A1)", "'-2+3"} <= students
    for row in run["rows"]:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), row
    assert run["records"]["=1+2"]["points"] == 1  # the JSON keeps the real name


def test_csv_cell_escaping():
    from utils.grade.reports import cell

    assert [cell(v) for v in ["=cmd", "+1", "-1", "@x", "\tx", "\rx", "ok", 3, None]] == \
        ["'=cmd", "'+1", "'-1", "'@x", "'\tx", "'\rx", "ok", 3, ""]


def test_the_kernel_environment_is_allow_listed(tmp_path):
    env = grade.kernel_env(tmp_path, tmp_path / "ipython", "mark", source={
        "PATH": "/usr/bin", "HOME": "/home/x", "HF_TOKEN": "hf_x", "AWS_SECRET_ACCESS_KEY": "x",
        "COURSE_WEBHOOK_URL": "https://hooks." + "slack.com/x", "GITHUB_TOKEN": "x",
        "HF_HOME": "https://hooks.example.com/token", "LC_ALL": "C.UTF-8", "RANDOM_VAR": "1"})
    assert {"PATH", "HOME", "LC_ALL", "PYTHONPATH", "PYTHONDONTWRITEBYTECODE",
            "HF_HUB_OFFLINE", "IPYTHONDIR"} <= set(env)
    assert not {"HF_TOKEN", "AWS_SECRET_ACCESS_KEY", "COURSE_WEBHOOK_URL", "GITHUB_TOKEN",
                "HF_HOME", "RANDOM_VAR"} & set(env)
