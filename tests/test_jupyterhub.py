"""The class set-up of instructors/jupyterhub/ with the real JupyterHub and configurable-http-proxy.

The hub starts on loopback in its "test" mode (DummyAuthenticator, SimpleLocalProcessSpawner),
three users log in through the log-in form, each gets a private copy of notebooks/, a lesson's
first cells run in one user's kernel through the REST and WebSocket APIs, every user's notebook
is collected with instructors/collect.py and graded with ``python -m utils.grade``, and
everything is shut down. Skipped where JupyterHub or configurable-http-proxy is not installed
(`.ci/run` installs both; see instructors/jupyterhub/README.md).

``COURSE_HUB_PYTHON`` names the Python that has jupyterhub and the course's packages (default:
this one). The test prints the hub's start time and each user's memory.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parent.parent
HUB = ROOT / "instructors" / "jupyterhub"
USERS = ["ada", "grace", "alan"]
LESSON_CELLS = "02_pipeline_pt"  # its first three cells: setup, a pipeline, a prediction
GRADED = "09_adding_tokens_pt"   # the quickest lesson with exercises to grade
PASSWORD = secrets.token_hex(8)


def _hub_python() -> str | None:
    python = os.environ.get("COURSE_HUB_PYTHON") or sys.executable
    ok = subprocess.run([python, "-c", "import jupyterhub, jupyterhub_idle_culler"],
                        capture_output=True).returncode == 0
    return python if ok else None


def _proxy() -> str | None:
    for candidate in (os.environ.get("CONFIGURABLE_HTTP_PROXY"),
                      HUB / "node_modules" / ".bin" / "configurable-http-proxy",
                      shutil.which("configurable-http-proxy")):
        if candidate and Path(candidate).is_file() and shutil.which("node"):
            return str(candidate)
    return None


HUB_PYTHON = _hub_python()
PROXY = _proxy()
pytestmark = [
    pytest.mark.skipif(HUB_PYTHON is None, reason="jupyterhub is not installed (pip install -r "
                                                  "instructors/jupyterhub/requirements.txt)"),
    pytest.mark.skipif(PROXY is None, reason="configurable-http-proxy is not installed "
                                             "(npm ci --prefix instructors/jupyterhub)"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def processes_of(user: str) -> list[int]:
    """Processes whose environment says they run for hub user ``user`` (server and kernels)."""
    pids = []
    needle = f"JUPYTERHUB_USER={user}".encode()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    pids.append(int(entry.name))
            except OSError:
                pass
    return pids


def command_line(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()[:200]
    except OSError:
        return f"{pid} (gone)"


def rss_mib(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except OSError:
            continue
        match = re.search(r"VmRSS:\s+(\d+) kB", status)
        total += int(match.group(1)) if match else 0
    return total / 1024


class Hub:
    def __init__(self, tmp: Path):
        import requests

        self.requests = requests
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.token = secrets.token_hex(16)
        self.state = tmp / "hub"
        self.homes = tmp / "homes"
        env = dict(os.environ)
        env.update({
            "COURSE_ROOT": str(ROOT),
            "COURSE_HUB_STATE": str(self.state),
            "COURSE_HUB_HOMES": str(self.homes),
            "COURSE_HUB_MODE": "test",
            "COURSE_HUB_PASSWORD": PASSWORD,
            "COURSE_HUB_BIND": self.url,
            "COURSE_HUB_PROXY_API": f"http://127.0.0.1:{free_port()}",
            "COURSE_HUB_INTERNAL_PORT": str(free_port()),
            "COURSE_HUB_API_TOKEN": self.token,
            "CONFIGURABLE_HTTP_PROXY": PROXY,
            "COURSE_HUB_MEM": "3G",
            "COURSE_HUB_IDLE": "3600",
        })
        self.log = (tmp / "hub.log").open("wb")
        self.started = time.monotonic()
        self.proc = subprocess.Popen(
            [HUB_PYTHON, "-m", "jupyterhub", "-f", str(HUB / "jupyterhub_config.py")],
            cwd=tmp, env=env, stdout=self.log, stderr=subprocess.STDOUT, start_new_session=True)
        self.log_path = tmp / "hub.log"

    def api(self, method: str, path: str, **kwargs):
        headers = {"Authorization": f"token {self.token}"}
        return self.requests.request(method, f"{self.url}/hub/api{path}", headers=headers,
                                     timeout=30, **kwargs)

    def wait_up(self, timeout: float = 90) -> float:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            assert self.proc.poll() is None, f"the hub exited:\n{self.tail()}"
            try:
                if self.requests.get(f"{self.url}/hub/api/", timeout=2).ok:
                    return time.monotonic() - self.started
            except self.requests.ConnectionError:
                pass
            time.sleep(0.25)
        raise AssertionError(f"the hub did not answer within {timeout} s:\n{self.tail()}")

    def login(self, user: str):
        """Log in through the form, as a browser does; the hub then spawns the user's server."""
        session = self.requests.Session()
        page = session.get(f"{self.url}/hub/login", timeout=30)
        xsrf = session.cookies.get("_xsrf") or re.search(r'name="_xsrf" value="([^"]+)"',
                                                         page.text).group(1)
        answer = session.post(f"{self.url}/hub/login?next=", timeout=120, allow_redirects=False,
                              data={"username": user, "password": PASSWORD, "_xsrf": xsrf})
        assert answer.status_code == 302, (answer.status_code, answer.text[:500])
        wrong = session.post(f"{self.url}/hub/login", timeout=30, allow_redirects=False,
                             data={"username": user, "password": "wrong", "_xsrf": xsrf})
        assert wrong.status_code == 403, "a wrong password was accepted"
        session.get(f"{self.url}/hub/spawn", timeout=120)  # starts the server if not started
        return session

    def wait_server(self, user: str, timeout: float = 180) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            info = self.api("GET", f"/users/{user}").json()
            server = info.get("servers", {}).get("", {})
            if server.get("ready"):
                return
            assert self.proc.poll() is None, f"the hub exited:\n{self.tail()}"
            time.sleep(0.5)
        raise AssertionError(f"{user}'s server did not start within {timeout} s:\n{self.tail()}")

    def user_api(self, user: str, method: str, path: str, **kwargs):
        headers = {"Authorization": f"token {self.token}"}
        return self.requests.request(method, f"{self.url}/user/{user}/api{path}",
                                     headers=headers, timeout=60, **kwargs)

    def tail(self) -> str:
        self.log.flush()
        return self.log_path.read_text(errors="replace")[-4000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)  # the hub stops the servers and the proxy
            try:
                self.proc.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.log.close()


async def run_cells(hub: Hub, user: str, kernel_id: str, sources: list[str]) -> list[str]:
    """Execute cells over the kernel's WebSocket; return each cell's stdout, fail on an error."""
    from tornado.httpclient import HTTPRequest
    from tornado.websocket import websocket_connect

    url = f"ws://127.0.0.1:{hub.port}/user/{user}/api/kernels/{kernel_id}/channels"
    ws = await websocket_connect(HTTPRequest(url, headers={"Authorization": f"token {hub.token}"}))
    session = uuid.uuid4().hex
    outputs = []
    try:
        for source in sources:
            msg_id = uuid.uuid4().hex
            ws.write_message(json.dumps({
                "header": {"msg_id": msg_id, "msg_type": "execute_request", "session": session,
                           "username": user, "version": "5.3", "date": ""},
                "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
                "content": {"code": source, "silent": False, "store_history": True,
                            "user_expressions": {}, "allow_stdin": False, "stop_on_error": True},
            }))
            text, done, status = [], False, None
            while not (done and status):
                raw = await asyncio.wait_for(ws.read_message(), timeout=180)
                assert raw is not None, "the kernel's WebSocket closed"
                msg = json.loads(raw)
                if msg.get("parent_header", {}).get("msg_id") != msg_id:
                    continue
                kind = msg["header"]["msg_type"]
                if kind == "stream" and msg["content"]["name"] == "stdout":
                    text.append(msg["content"]["text"])
                elif kind == "error":
                    raise AssertionError(f"cell failed: {msg['content']['ename']}: "
                                         f"{msg['content']['evalue']}\n{source}")
                elif kind == "execute_reply":
                    status = msg["content"]["status"]
                elif kind == "status" and msg["content"]["execution_state"] == "idle":
                    done = True
            assert status == "ok", source
            outputs.append("".join(text))
    finally:
        ws.close()
    return outputs


def solved(student: Path, solution: Path) -> dict:
    """The student copy with each stub replaced by the solution's code, as a learner would."""
    from utils import generate

    nb = nbformat.read(str(solution), as_version=4)
    nb.cells = [c for c in nb.cells if generate.HIDDEN_TAG not in c.metadata.get("tags", [])]
    for cell in nb.cells:
        cell.source = cell.source.replace(generate.BEGIN + "\n", "").replace(
            generate.END + "\n", "")
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    return json.loads(nbformat.writes(nb))


def test_class_hub(tmp_path):
    hub = Hub(tmp_path)
    report = []
    try:
        start_seconds = hub.wait_up()
        report.append(f"hub answered {start_seconds:.1f} s after start")

        # Three users log in through the form; the hub spawns each user's server.
        sessions, spawn = {}, {}
        for user in USERS:
            t0 = time.monotonic()
            sessions[user] = hub.login(user)
            hub.wait_server(user)
            spawn[user] = time.monotonic() - t0
        report.append("log-in to ready server: " + ", ".join(
            f"{u} {s:.1f} s" for u, s in spawn.items()))

        # Each has a private copy of notebooks/ and links to the shared, read-only folders.
        expected = sorted(p.name for p in (ROOT / "notebooks").glob("*.ipynb"))
        copies = {}
        for user in USERS:
            course = hub.homes / user / "course"
            copies[user] = course / "notebooks"
            assert sorted(p.name for p in copies[user].glob("*.ipynb")) == expected
            assert (course / "assets").resolve() == Path(
                os.environ.get("COURSE_ASSETS_DIR") or ROOT / "assets").resolve()
            assert (course / "scripts").resolve() == (ROOT / "scripts").resolve()
        inodes = {(copies[u] / expected[0]).stat().st_ino for u in USERS}
        assert len(inodes) == 3, "the users share one notebook file"
        listing = hub.user_api("ada", "GET", "/contents/").json()
        assert sorted(i["name"] for i in listing["content"] if i["type"] == "notebook") == expected

        # A change in one user's copy (through their server's contents API) stays theirs.
        work = solved(ROOT / "notebooks" / f"{GRADED}.ipynb",
                      ROOT / "solutions" / f"{GRADED}.ipynb")
        put = hub.user_api("ada", "PUT", f"/contents/{GRADED}.ipynb",
                           json={"type": "notebook", "format": "json", "content": work})
        assert put.status_code == 200, put.text[:500]
        student = (ROOT / "notebooks" / f"{GRADED}.ipynb").read_bytes()
        assert (copies["ada"] / f"{GRADED}.ipynb").read_bytes() != student
        for user in ("grace", "alan"):
            assert (copies[user] / f"{GRADED}.ipynb").read_bytes() == student

        # A second log-in does not copy again over the user's work.
        hub.api("DELETE", "/users/ada/server")
        deadline = time.monotonic() + 60
        while hub.api("GET", "/users/ada").json().get("servers") and time.monotonic() < deadline:
            time.sleep(0.5)
        hub.login("ada")
        hub.wait_server("ada")
        assert (copies["ada"] / f"{GRADED}.ipynb").read_bytes() != student

        # The first cells of a lesson run in ada's kernel, started through the REST API as
        # JupyterLab does when a notebook is opened (a session: the kernel runs in its folder).
        session = hub.user_api("ada", "POST", "/sessions", json={
            "path": f"{LESSON_CELLS}.ipynb", "type": "notebook", "name": "",
            "kernel": {"name": "python3"}})
        assert session.status_code == 201, session.text[:500]
        kernel_id = session.json()["kernel"]["id"]
        nb = nbformat.read(str(ROOT / "notebooks" / f"{LESSON_CELLS}.ipynb"), as_version=4)
        sources = [c.source for c in nb.cells if c.cell_type == "code"][:3]
        sources.append("import os; print(os.getcwd()); print(os.environ['COURSE_ASSETS_DIR'])")
        out = asyncio.run(run_cells(hub, "ada", kernel_id, sources))
        assert "Course setup: local · offline checkpoints" in out[0]
        assert re.search(r"'label': 'POSITIVE', 'score': 0\.\d+", out[2]), out[2]
        cwd, assets_env = out[3].split()
        assert Path(cwd) == copies["ada"]
        assert Path(assets_env) == (hub.homes / "ada" / "course" / "assets").resolve()

        # Memory per user: the server alone, and with a lesson's kernel.
        memory = {u: rss_mib(processes_of(u)) for u in USERS}
        report.append("memory per user (RSS of server + kernels): " + ", ".join(
            f"{u} {m:,.0f} MiB" for u, m in memory.items()))
        assert memory["ada"] > memory["grace"]  # ada's kernel holds a model

        # Collect every user's notebook of the graded lesson and grade them.
        submissions = tmp_path / "submissions"
        collected = subprocess.run(
            [sys.executable, str(ROOT / "instructors" / "collect.py"), GRADED,
             "--homes", str(hub.homes), "--out", str(submissions)],
            capture_output=True, text=True, timeout=60)
        assert collected.returncode == 0, collected.stderr
        assert "copied 3 notebook(s) of 3 learner(s)" in collected.stdout
        t0 = time.monotonic()
        graded = subprocess.run(
            [sys.executable, "-m", "utils.grade", str(submissions), "--timeout", "300",
             "--report-dir", str(tmp_path / "grades")],
            cwd=ROOT, capture_output=True, text=True, timeout=900)
        assert graded.returncode == 0, graded.stdout[-2000:] + graded.stderr[-2000:]
        report.append(f"graded 3 notebooks in {time.monotonic() - t0:.0f} s")
        records = json.loads((tmp_path / "grades" / "grades.json").read_text())["submissions"]
        points = {r["student"]: (r["points"], r["max_points"]) for r in records}
        assert set(points) == set(USERS)
        full = points["ada"][1]
        assert full > 0 and points["ada"] == (full, full), points
        assert points["grace"] == (0, full) and points["alan"] == (0, full), points
    finally:
        hub.stop()
        print("\n" + "\n".join(report))
    # Everything is gone: no server, kernel or proxy of the test is left. A kernel whose server
    # was stopped exits on its own a moment later ("Parent appears to have exited"), so allow
    # it some seconds; one still there after that is a leak, named with its command line.
    deadline = time.monotonic() + 30
    while (left := [pid for u in USERS for pid in processes_of(u)]) and time.monotonic() < deadline:
        time.sleep(0.5)
    assert not left, [command_line(pid) for pid in left]
    assert "Cleaning up" in hub.log_path.read_text(errors="replace")
