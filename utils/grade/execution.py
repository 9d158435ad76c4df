"""Running one notebook: a fresh kernel in a fresh workspace (a verified copy of the course's
code, no solutions), the grader's bootstrap before the first cell, the notebook's cells with a
time limit and output caps, then the grading cell; afterwards every process it left is ended."""

from __future__ import annotations

import asyncio
import json
import math
import os
import secrets
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import nbformat

from utils.generate import REPO_ROOT
from utils.grade import kernel
from utils.grade.declarations import RECORDER, Lesson
from utils.grade.isolation import Baseline, end_processes, kernel_env

MAX_OUTPUT_CHARS = 200_000         # per cell: a notebook that prints forever must not fill memory
MAX_NOTEBOOK_OUTPUT = 2_000_000    # all cells together
CHECK_FILES = ["/utils/checks.py", "/utils/exercises/lesson"]  # path parts of check code


@dataclass
class Run:
    """What happened when a notebook ran."""
    timed_out_cell: tuple[int, str] | None = None
    dead_cell: tuple[int, str] | None = None
    grading: str = "ok"          # "ok", "timeout", "stuck", "dead", "no bootstrap"
    seconds: float = 0.0
    kernel_log: str = ""
    result: dict | None = None
    result_problem: str = ""     # why the result cannot be used
    processes_ended: int = 0


def _hmac(key: bytes, data: bytes) -> str:
    import hashlib
    import hmac

    return hmac.new(key, data, hashlib.sha256).hexdigest()


def _first_line(source: str) -> str:
    line = next((s.strip() for s in source.splitlines() if s.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


def _client_class():
    from nbclient import NotebookClient

    class Client(NotebookClient):
        """nbclient's client that notes timeouts and caps what cells may print."""

        timed_out = False

        async def _async_handle_timeout(self, timeout, cell=None):
            self.timed_out = True  # the kernel is interrupted; the reply is error_on_timeout
            return await super()._async_handle_timeout(timeout, cell)

        def output(self, outs, msg, display_id, cell_index):
            used = self.__dict__.setdefault("_printed", {})
            content = msg["content"]
            if msg["msg_type"] == "error":  # kept, shortened: the report lists errors
                content = {**content, "evalue": str(content.get("evalue", ""))[:2000],
                           "traceback": [str(t)[:2000] for t in content.get("traceback", [])[:50]]}
                return super().output(outs, {**msg, "content": content}, display_id, cell_index)
            before, total = used.get(cell_index, 0), used.get("total", 0)
            stream = msg["msg_type"] == "stream"
            size = len(content.get("text", "")) if stream else len(json.dumps(content))
            used[cell_index], used["total"] = before + size, total + size
            limit = min(MAX_OUTPUT_CHARS - before, MAX_NOTEBOOK_OUTPUT - total)
            if size <= limit:
                return super().output(outs, msg, display_id, cell_index)
            kept = None
            if stream and limit > 0:  # keep the start of this text
                kept = super().output(outs, {**msg, "content": {**content,
                                                                "text": content["text"][:limit]}},
                                      display_id, cell_index)
            if limit >= 0 and not used.get(("noted", cell_index)):  # the first time over a cap
                used[("noted", cell_index)] = True
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text="\n[the grader dropped the rest of this cell's output]\n"))
            return kept

    return Client


def _kernel_spec():
    from jupyter_client.kernelspec import KernelSpec

    # Always this environment's own ipykernel: a kernel.json a notebook planted in a Jupyter
    # data folder is never used.
    return KernelSpec(argv=[sys.executable, "-m", "ipykernel_launcher", "-f",
                            "{connection_file}"],
                      display_name="Python 3", language="python", name="python3")


def assets_dir() -> Path:
    return Path(os.environ.get("COURSE_ASSETS_DIR") or REPO_ROOT / "assets").expanduser()


def prepare(baseline: Baseline, lesson: Lesson, hidden: bool, workdir: Path,
            private_paths: list[Path]):
    """The workspace and the one-time files of one run: (workspace, config, payload)."""
    workspace = baseline.make_workspace(workdir / "course")
    (workspace / "notebooks").mkdir()
    assets = assets_dir()
    if assets.exists():
        (workspace / "assets").symlink_to(assets.resolve(), target_is_directory=True)
    private = workdir / "private"
    private.mkdir(mode=0o700)
    (workdir / "ipython").mkdir()
    key = secrets.token_hex(32)
    config = {
        "key": key,
        "workspace": str(workspace),
        "modules": lesson.modules,
        "exercises": [{"id": ex.id, "answer": ex.answer, "args": ex.args, "kwargs": ex.kwargs,
                       "names": ex.names} for ex in lesson.exercises],
        "recorder": RECORDER,
        "hidden_path": str(private / "hidden.json"),
        "result_path": str(private / "result.json"),
        "bootstrap_path": str(private / "bootstrap.py"),
        "private_paths": [str(p) for p in [private, *private_paths]],
        "check_files": CHECK_FILES,
    }
    source = kernel.__loader__.get_source(kernel.__name__)
    source += f"\n_bootstrap(__import__('json').loads({json.dumps(config)!r}))\n"
    Path(config["bootstrap_path"]).write_text(source, encoding="utf-8")
    payload = json.dumps([[{"source": s.source, "ids": s.ids} for s in cell]
                          for cell in lesson.hidden] if hidden else []).encode()
    return workspace, config, payload


async def _run(nb, workspace: Path, config: dict, payload: bytes, timeout: float,
               log: Path, mark: str) -> Run:
    """Execute ``nb`` in place in a fresh kernel, then the grading cell."""
    from nbclient.exceptions import DeadKernelError

    run = Run()
    deadline = [math.inf]
    client = _client_class()(
        nb, kernel_name="python3", allow_errors=True, record_timing=False, startup_timeout=120,
        shutdown_kernel="immediate", resources={"metadata": {"path": str(workspace / "notebooks")}},
        interrupt_on_timeout=True, error_on_timeout={
            "ename": "TimeoutError", "evalue": "stopped by the grader", "traceback": []},
        timeout_func=lambda cell: max(1, math.ceil(deadline[0] - time.monotonic())))
    client.km = client.create_kernel_manager()
    client.km._kernel_spec = _kernel_spec()

    async def execute(cell, index, seconds, **kwargs) -> bool:
        """Run one cell with ``seconds`` to go; False when it timed out."""
        deadline[0] = time.monotonic() + seconds
        client.timed_out = False
        await client.async_execute_cell(cell, index, **kwargs)
        return not client.timed_out

    async def side_cell(source: str, seconds: float):
        """A cell of the grader's own, not part of the notebook: (finished, outputs)."""
        extra = nbformat.v4.new_code_cell(source)
        nb.cells.append(extra)
        try:
            done = await execute(extra, len(nb.cells) - 1, seconds, store_history=False)
        finally:
            nb.cells.pop()
        return done, extra.outputs

    group = None
    code_number = 0
    env = kernel_env(workspace, workspace.parent / "ipython", mark)
    try:
        with log.open("wb") as stderr:  # the kernel process's own messages
            await client.async_start_new_kernel(env=env, stderr=stderr,
                                                cwd=str(workspace / "notebooks"))
        try:
            group = os.getpgid(client.km.provisioner.process.pid)
        except Exception:
            group = None
        if group == os.getpgid(0):
            group = None  # never our own group
        await client.async_start_new_kernel_client()
        boot = (f"exec(compile(open({config['bootstrap_path']!r}, encoding='utf-8').read(), "
                "'<course-grader>', 'exec'), {'__name__': '__course_grader__'})")
        done, outputs = await side_cell(boot, 120)
        failed = [o for o in outputs if o.get("output_type") == "error"]
        if not done or failed:
            run.grading = "no bootstrap"
            why = f"{failed[0].get('ename')}: {failed[0].get('evalue')}" if failed else "timeout"
            run.kernel_log = f"the grader's set-up failed in the kernel ({why})"[:300]
            return run
        start = time.monotonic()
        end = start + timeout
        for index, cell in enumerate(list(nb.cells)):
            if cell.cell_type != "code":
                continue
            code_number += 1
            where = (code_number, _first_line(cell.source))
            try:
                if time.monotonic() >= end or not await execute(
                        cell, index, end - time.monotonic(),
                        execution_count=client.code_cells_executed + 1):
                    run.timed_out_cell = where
                    break
            except DeadKernelError:
                run.dead_cell = where
                break
        run.seconds = time.monotonic() - start
        if run.dead_cell is None:
            key = config["key"].encode()
            hidden_path = Path(config["hidden_path"])
            try:
                if run.timed_out_cell:
                    done, _ = await side_cell("None", min(timeout, 20))
                    if not done:
                        run.grading = "stuck"  # the interrupt did not stop the notebook's code
                        return run
                # Only now, after the notebook's own code ran, do the hidden tests exist.
                with open(hidden_path, "xb") as out:
                    out.write(payload)
                Path(str(hidden_path) + ".sig").write_text(_hmac(key, payload))
                done, _ = await side_cell("__import__('sys').audit('course.grade')", timeout)
                if not done:
                    run.grading = "timeout"
            except FileExistsError:
                run.result_problem = "something in the kernel wrote the grader's private files"
            except DeadKernelError:
                run.grading = "dead"
    finally:
        try:
            await client._async_cleanup_kernel()
        except Exception:
            pass
        run.processes_ended = end_processes(mark, group)
    return run


def execute_and_grade(nb, lesson: Lesson, timeout: float, hidden: bool, workdir: Path,
                      baseline: Baseline, private_paths: list[Path]) -> tuple[Run, Path]:
    """Run ``nb`` (changed in place: outputs) and grade it; (what happened, its workspace)."""
    workspace, config, payload = prepare(baseline, lesson, hidden, workdir, private_paths)
    mark = secrets.token_hex(8)
    log = workdir / "kernel.log"
    run = asyncio.run(_run(nb, workspace, config, payload, timeout, log, mark))
    if run.dead_cell and log.exists():
        lines = [line for line in log.read_text(errors="replace").splitlines()
                 if line.strip() and "without encryption" not in line]
        run.kernel_log = lines[-1][:200] if lines else ""
    result_path = Path(config["result_path"])
    try:
        data = result_path.read_bytes()
        signature = Path(str(result_path) + ".sig").read_text()
    except OSError:
        return run, workspace
    if _hmac(config["key"].encode(), data) != signature:
        run.result_problem = "the grading result was not written by the grader (it was changed)"
        return run, workspace
    try:
        run.result = json.loads(data)
    except ValueError:
        run.result_problem = "the grading result could not be read"
    return run, workspace
