"""The course's environment variables have one home, utils/env.py, and every part of the
course takes them from there."""

import re
from pathlib import Path

from utils import env

ROOT = Path(__file__).resolve().parent.parent
NAMES = sorted(env.course_environment())


def test_offline_is_forced_and_the_rest_respects_the_user():
    environ = {"TF_CPP_MIN_LOG_LEVEL": "0", "HF_HUB_OFFLINE": "0"}
    env.apply(environ)
    assert environ["HF_HUB_OFFLINE"] == "1" and environ["TRANSFORMERS_OFFLINE"] == "1"
    assert environ["TF_CPP_MIN_LOG_LEVEL"] == "0", "a user's choice is kept"
    assert environ["TF_USE_LEGACY_KERAS"] == "1"
    env.apply(environ, force=True)
    assert environ["TF_CPP_MIN_LOG_LEVEL"] == "3"
    online = env.apply({}, offline=False)
    assert "HF_HUB_OFFLINE" not in online and online["TF_USE_LEGACY_KERAS"] == "1"


def test_no_other_file_sets_the_variables():
    """Only utils/env.py spells out the values; everything else calls env.apply() or
    env.course_environment(). (Reading a variable, or a test that unsets one, is fine.)"""
    names = "|".join(NAMES)
    setting = re.compile(rf"""(environ\[|setdefault\(|setenv\()\s*["']({names})["']"""
                         rf"""|["']({names})["']\s*:\s*["']""")
    offenders = []
    for path in [*ROOT.glob("utils/**/*.py"), *ROOT.glob("scripts/*.py"),
                 *ROOT.glob("benchmarks/*.py"), *ROOT.glob("tests/*.py"), ROOT / "conftest.py"]:
        if path.name in ("env.py", "test_env.py"):
            continue
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if setting.search(line):
                offenders.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()}")
    assert not offenders, "set these through utils.env:\n" + "\n".join(offenders)


def test_tensorflow_import_lives_with_the_devices():
    import utils.assets
    import utils.device

    assert hasattr(utils.device, "import_tensorflow_quietly")
    assert not hasattr(utils.assets, "import_tensorflow_quietly")
    assert "from utils.assets" not in (ROOT / "utils" / "device.py").read_text()
