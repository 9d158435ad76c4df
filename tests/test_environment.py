"""requirements.txt and environment.yml pin the same packages, exactly, and the environment has
what they pin."""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^\s*(?:-\s+)?([A-Za-z0-9_.\-]+)==([^\s#]+)\s*$")


def pins(path: Path) -> dict[str, str]:
    found = {}
    for line in path.read_text().splitlines():
        match = PIN.match(line)
        if match:
            found[match.group(1).lower().replace("_", "-")] = match.group(2)
    return found


def test_requirements_and_environment_agree():
    req = pins(ROOT / "requirements.txt")
    env = pins(ROOT / "environment.yml")
    assert req, "requirements.txt has no exact pins"
    only_req = {k: v for k, v in req.items() if env.get(k) != v}
    only_env = {k: v for k, v in env.items() if req.get(k) != v}
    assert not only_req and not only_env, (
        f"requirements.txt and environment.yml disagree: requirements.txt has {only_req}, "
        f"environment.yml has {only_env}")


def test_every_requirement_is_pinned_exactly():
    loose = [line for line in (ROOT / "requirements.txt").read_text().splitlines()
             if line.strip() and not line.lstrip().startswith("#") and not PIN.match(line)]
    assert not loose, f"unpinned requirement lines: {loose}"


def test_installed_versions_match_pins():
    from importlib.metadata import PackageNotFoundError, version

    req = pins(ROOT / "requirements.txt")
    wrong = {}
    for name, pinned in req.items():
        try:
            installed = version(name).split("+")[0]  # torch reports e.g. 2.13.0+cpu
        except PackageNotFoundError:
            installed = None
        if installed != pinned:
            wrong[name] = (pinned, installed)
    assert not wrong, f"installed versions differ from the pins (pinned, installed): {wrong}"
