"""Grade student notebooks: run each one in a fresh kernel, then the course's own checks.

    python -m utils.grade submissions/                      # every notebook under a folder
    python -m utils.grade submissions/*/03_models_pt.ipynb --timeout 300 --report-dir grades
    python -m utils.grade --self-check notebooks/03_models_pt.ipynb      # a learner, on their own

What is graded is declared once, in the solution notebook of the lesson: every top-level
``check("NN.k", <answer>, ...)`` call in ``solutions/<lesson>.ipynb`` names an exercise and the
expression that holds its answer, and ``utils/exercises/lessonNN.py`` gives its title and points
(``exercise(..., points=)`` / ``quiz(..., points=)``). Cells of the solution tagged
``hidden-tests`` hold extra checks that only the grader runs (the student copy leaves them out).

For each submission the grader

1. copies it to a temporary folder (the submitted file is never changed) and checks that it is
   a notebook (JSON, nbformat 4, a kernel spec);
2. runs it top to bottom in a fresh ``python3`` kernel whose working folder is ``notebooks/``,
   going on after errors; the whole notebook gets ``--timeout`` seconds, after which the kernel
   is interrupted and the remaining cells are not run;
3. in that same kernel, imports fresh copies of the course's modules (``utils`` and
   ``utils.exercises.lessonNN``, so a redefined ``check``, an edited check cell or a patched
   registry count for nothing), evaluates each declared answer expression in the notebook's
   namespace and runs the real check on it, then the hidden tests (not with ``--self-check``);
   this step also gets up to ``--timeout`` seconds;
4. gives each exercise its points when its check and all its hidden tests pass, else 0.

The student id is the folder right below a ``submissions`` folder
(``submissions/<student>/.../03_models_pt.ipynb``), else the notebook's file stem. A notebook is
matched to the solution with the same file name (``03_models_pt.ipynb``); a name that contains
exactly one lesson's name (``Copy of 03_models_pt (1).ipynb``) is matched too, with a note.

The report is printed as a table and written to ``--report-dir`` (default ``grades/``) as
``grades.csv`` and ``grades.json``, with the executed copies under ``executed/<student>/``.
The exit status is 0 whatever the grades; 2 for a usage error (a path that does not exist, a
named notebook that matches no lesson), 1 when the course itself is broken (a solution whose
declarations cannot be read, or a submission that changed the course's ``utils`` files).
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import csv
import hashlib
import inspect
import json
import math
import os
import shutil
import sys
import tempfile
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import nbformat

from utils import generate
from utils.generate import BEGIN, HIDDEN_TAG

REPO_ROOT = generate.REPO_ROOT
SOLUTIONS = REPO_ROOT / "solutions"
NOTEBOOKS = REPO_ROOT / "notebooks"
DEFAULT_TIMEOUT = 600
DEFAULT_REPORT_DIR = Path("grades")
MAX_OUTPUT_CHARS = 200_000  # per cell: a notebook that prints forever must not fill the memory
KERNEL_ENV = {  # what conftest.py sets for the test suite: offline, quiet, Keras 2
    "HF_HUB_OFFLINE": "1", "HF_DATASETS_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1",
    "TF_USE_LEGACY_KERAS": "1", "TF_CPP_MIN_LOG_LEVEL": "3", "TOKENIZERS_PARALLELISM": "false",
}

# Statuses of one exercise.
PASSED, FAILED, ERROR = "passed", "failed", "error"
NOT_ANSWERED, NOT_RUN = "not answered", "not run"


class UsageError(Exception):
    """Bad command-line input; the message says what to do."""


class LessonError(Exception):
    """A solution notebook whose exercises cannot be read (a course bug, not a student's)."""


# ---------------------------------------------------------------- the declaration: solutions

@dataclass
class Declared:
    """One exercise as the solution declares it: ``check(id, answer, *args, **kwargs)``."""
    id: str
    title: str
    points: int
    answer: str                      # source of the answer expression
    args: list[str] = field(default_factory=list)
    kwargs: dict[str, str] = field(default_factory=dict)
    cell: int = 0                    # index of the cell in the solution notebook

    @property
    def names(self) -> list[str]:
        """The free names of the answer and argument expressions."""
        found = []
        for source in [self.answer, *self.args, *self.kwargs.values()]:
            for node in ast.walk(ast.parse(source, mode="eval")):
                if isinstance(node, ast.Name) and node.id not in found:
                    found.append(node.id)
        return found


@dataclass
class Lesson:
    path: Path
    exercises: list[Declared]
    hidden: list[list[dict]]         # per hidden cell: [{"source": ..., "ids": [...]}, ...]
    warnings: list[str]

    @property
    def name(self) -> str:
        return self.path.name

    @property
    def max_points(self) -> int:
        return sum(ex.points for ex in self.exercises)

    @property
    def modules(self) -> list[str]:
        return sorted({f"utils.exercises.lesson{ex.id.split('.')[0]}" for ex in self.exercises})


def python_source(cell_source: str) -> str:
    """A cell's source as plain Python (IPython magics and ``!commands`` turned into calls)."""
    from IPython.core.inputtransformer2 import TransformerManager

    return TransformerManager().transform_cell(cell_source)


def parse_cell(cell_source: str, where: str) -> ast.Module:
    try:
        return ast.parse(python_source(cell_source))
    except SyntaxError as err:
        raise LessonError(f"{where}: not valid Python ({err.msg}, line {err.lineno}).") from None


def check_call(node: ast.AST) -> ast.Call | None:
    """The ``check("NN.k", ...)`` call of a statement or expression, if it is one."""
    if isinstance(node, ast.Expr):
        node = node.value
    if not isinstance(node, ast.Call) or not node.args:
        return None
    func = node.func
    name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", None)
    first = node.args[0]
    if name == "check" and isinstance(first, ast.Constant) and isinstance(first.value, str):
        return node
    return None


def checked_ids(tree: ast.AST) -> list[str]:
    """Every exercise id a piece of code passes to ``check``, in order, without repeats."""
    ids = []
    for node in ast.walk(tree):
        call = check_call(node)
        if call is not None and call.args[0].value not in ids:
            ids.append(call.args[0].value)
    return ids


def registry(exercise_id: str):
    """The registered :class:`utils.checks.Exercise` (title, points) of an exercise id."""
    from utils import checks

    checks._load_lesson(exercise_id)
    return checks.EXERCISES.get(exercise_id)


def load_lesson(path: Path) -> Lesson:
    """Read what a solution notebook declares: its exercises, answers and hidden tests."""
    try:
        nb = generate.read_notebook(path)
    except generate.NotebookError as err:
        raise LessonError(str(err)) from None
    found: dict[str, list[tuple[bool, Declared]]] = {}
    hidden, warnings = [], []
    for index, cell in enumerate(nb.cells):
        if cell.cell_type != "code":
            continue
        where = f"{path.name}, cell {index}"
        tree = parse_cell(cell.source, where)
        if HIDDEN_TAG in cell.metadata.get("tags", []):
            statements = [{"source": ast.unparse(stmt), "ids": checked_ids(stmt)}
                          for stmt in tree.body]
            if not any(s["ids"] for s in statements):
                raise LessonError(f"{where}: a {HIDDEN_TAG} cell without a check(...) call.")
            hidden.append(statements)
            continue
        for stmt in tree.body:
            call = check_call(stmt) if isinstance(stmt, ast.Expr) else None
            if call is None:
                continue
            exercise_id = call.args[0].value
            if len(call.args) < 2 or any(isinstance(a, ast.Starred) for a in call.args) or \
                    any(k.arg is None for k in call.keywords):
                raise LessonError(f"{where}: check({exercise_id!r}, ...) needs an answer and "
                                  "plain arguments (no * or **).")
            registered = registry(exercise_id)
            if registered is None:
                raise LessonError(f"{where}: check({exercise_id!r}, ...) but "
                                  f"utils/exercises/lesson{exercise_id.split('.')[0]}.py "
                                  "registers no such exercise.")
            declared = Declared(exercise_id, registered.title, registered.points,
                                ast.unparse(call.args[1]),
                                [ast.unparse(a) for a in call.args[2:]],
                                {k.arg: ast.unparse(k.value) for k in call.keywords}, index)
            found.setdefault(exercise_id, []).append((BEGIN in cell.source, declared))
    exercises = []
    for exercise_id, candidates in found.items():
        in_exercise_cells = [d for has_block, d in candidates if has_block] or \
            [d for _, d in candidates]
        if len({(d.answer, tuple(d.args), tuple(d.kwargs.items()))
                for d in in_exercise_cells}) > 1:
            cells = ", ".join(str(d.cell) for d in in_exercise_cells)
            raise LessonError(f"{path.name}: exercise {exercise_id} is checked with different "
                              f"answers in cells {cells}; keep one check call per exercise.")
        exercises.append(in_exercise_cells[-1])
    if not exercises:
        raise LessonError(f"{path.name}: no check(\"NN.k\", answer) call, nothing to grade.")
    declared_ids = {ex.id for ex in exercises}
    for statements in hidden:
        for statement in statements:
            for exercise_id in statement["ids"]:
                if exercise_id not in declared_ids:
                    raise LessonError(f"{path.name}: a {HIDDEN_TAG} cell checks {exercise_id}, "
                                      "which no exercise cell of the notebook checks.")
    from utils import checks

    for module in sorted({ex.id.split(".")[0] for ex in exercises}):
        for exercise_id in sorted(checks.EXERCISES):
            if exercise_id.split(".")[0] == module and exercise_id not in declared_ids:
                warnings.append(f"{path.name}: lesson{module}.py registers {exercise_id}, but "
                                "the notebook never checks it (it is not graded).")
    return Lesson(path, exercises, hidden, warnings)


def _bound_names(tree: ast.AST) -> set[str]:
    """Names a cell binds at the top level of the notebook (not inside functions/classes)."""
    names: set[str] = set()

    def visit(node):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
                names.add(child.name)
                continue  # their bodies have their own scope
            if isinstance(child, (ast.Lambda, ast.ListComp, ast.SetComp, ast.DictComp,
                                  ast.GeneratorExp)):
                continue
            if isinstance(child, ast.Name) and isinstance(child.ctx, (ast.Store, ast.Del)):
                names.add(child.id)
            elif isinstance(child, ast.alias):
                names.add((child.asname or child.name).split(".")[0])
            elif isinstance(child, ast.NamedExpr):
                names.add(child.target.id)
            visit(child)

    visit(tree)
    return names


def lesson_problems(lesson: Lesson) -> list[str]:
    """Authoring mistakes that would grade wrongly, found without running anything.

    Answers are read at the END of the notebook, so (1) two exercises must not keep their answer
    in the same variable, and (2) no cell of the student copy other than the exercise's own may
    bind a name of the answer expression (else an untouched copy would earn the points)."""
    problems = []
    by_answer: dict[str, list[str]] = {}
    for ex in lesson.exercises:
        by_answer.setdefault(ex.answer, []).append(ex.id)
    for answer, ids in by_answer.items():
        if len(ids) > 1:
            problems.append(f"{lesson.name}: exercises {', '.join(ids)} all keep their answer in "
                            f"`{answer}`; the grader reads answers at the end of the notebook, "
                            "so give each exercise its own variable.")
    student = generate.student_notebook(generate.read_notebook(lesson.path))
    cells = []
    for cell in student.cells:
        if cell.cell_type == "code":
            tree = parse_cell(cell.source, lesson.name)
            cells.append((set(checked_ids(tree)), _bound_names(tree)))
    for ex in lesson.exercises:
        answer_names = {node.id for node in ast.walk(ast.parse(ex.answer, mode="eval"))
                        if isinstance(node, ast.Name)}
        for ids, bound in cells:
            if ex.id not in ids and answer_names & bound:
                name = sorted(answer_names & bound)[0]
                problems.append(f"{lesson.name}: `{name}`, the answer of {ex.id}, is also set "
                                "outside its exercise cell, so an unanswered copy could pass; "
                                "rename the exercise's variable.")
                break
    return problems


# ---------------------------------------------------------------- submissions

@dataclass
class Submission:
    path: Path
    student: str
    solution: Path | None
    note: str = ""


def student_id(path: Path) -> str:
    """The folder right below the last ``submissions`` folder in the path, else the file stem."""
    parts = path.resolve().parts[:-1]
    if "submissions" in parts:
        below = len(parts) - parts[::-1].index("submissions")
        if below < len(parts):
            return parts[below]
    return path.stem


def match_solution(path: Path, solutions: Path = SOLUTIONS) -> tuple[Path | None, str]:
    """The solution notebook a submission belongs to: same file name, or else the one lesson
    name the file name contains."""
    exact = solutions / path.name
    if exact.is_file():
        return exact, ""
    names = [p for p in sorted(solutions.glob("*.ipynb")) if p.stem in path.stem]
    longest = max((len(p.stem) for p in names), default=0)
    names = [p for p in names if len(p.stem) == longest]
    if len(names) == 1:
        return names[0], f"matched to {names[0].name} by its name"
    return None, ""


def collect(paths: list[str], solutions: Path = SOLUTIONS) -> tuple[list[Submission], list[str]]:
    """Submissions named on the command line (files, or folders searched for ``*.ipynb``)."""
    submissions, skipped = [], []
    known = ", ".join(p.name for p in sorted(solutions.glob("*.ipynb")))
    for raw in paths:
        path = Path(raw)
        if not path.exists():
            raise UsageError(f"{raw}: no such file or folder.")
        if path.is_dir():
            found = sorted(p for p in path.rglob("*.ipynb")
                           if ".ipynb_checkpoints" not in p.parts and p.is_file())
            if not found:
                raise UsageError(f"{raw}: no .ipynb notebook in this folder.")
            for p in found:
                solution, note = match_solution(p, solutions)
                if solution is None:
                    skipped.append(f"{p}: no lesson of this name (lessons: {known}); skipped.")
                else:
                    submissions.append(Submission(p, student_id(p), solution, note))
        else:
            solution, note = match_solution(path, solutions)
            if solution is None:
                raise UsageError(f"{raw}: no solution notebook matches this file name. Name the "
                                 f"notebook like its lesson, one of: {known}.")
            submissions.append(Submission(path, student_id(path), solution, note))
    return submissions, skipped


def read_submission(path: Path):
    """(notebook, None) for a usable notebook, else (None, what is wrong with it)."""
    raw = path.read_bytes()
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        return None, "not a notebook: the file is not UTF-8 text."
    except json.JSONDecodeError as err:
        return None, f"not a notebook: not valid JSON ({err.msg}, line {err.lineno})."
    if not isinstance(data, dict) or not isinstance(data.get("cells"), list):
        return None, "not a notebook: valid JSON, but it has no list of cells."
    try:
        nb = nbformat.reads(raw.decode("utf-8"), as_version=4)
        if nb.nbformat_minor < 5 and any("id" in cell for cell in nb.cells):
            nb.nbformat_minor = 5  # cell ids came with 4.5; some front-ends write them earlier
        with warnings.catch_warnings():  # a missing cell id is repaired here, not an error
            warnings.simplefilter("ignore")
            _, fixed = nbformat.validator.normalize(nb, strip_invalid_metadata=True)
        nb = nbformat.from_dict(fixed)  # front-ends' harmless quirks repaired, then validated
        nbformat.validate(nb)
    except Exception as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        return None, f"not a valid notebook: {first[:200]}"
    spec = nb.metadata.get("kernelspec")
    if not spec:
        return None, ("the notebook has no kernel spec (metadata.kernelspec): save it from "
                      "Jupyter with a Python 3 kernel.")
    language = str(spec.get("language", "python")).lower()
    if not language.startswith("python"):
        return None, f"the notebook's kernel runs {language}, not Python."
    return nb, None


# ---------------------------------------------------------------- running a notebook

def _kernel_grade(spec):
    """Runs INSIDE the student's kernel, in its own namespace (sent as source code).

    Imports fresh copies of the course modules, evaluates each declared answer in the student's
    namespace, runs the real checks and the hidden tests, and writes the results as JSON."""
    import builtins
    import contextlib
    import importlib
    import io
    import json
    import os
    import sys

    try:
        from IPython import get_ipython
        user_ns = get_ipython().user_ns
    except Exception:
        user_ns = sys.modules["__main__"].__dict__
    result = {"exercises": {}, "hidden": {}, "error": None}

    def describe(err):
        if type(err).__name__ == "ExerciseFailed" and hasattr(err, "problem"):
            hint = f" Hint: {err.hint}" if getattr(err, "hint", "") else ""
            return " ".join(f"{err.problem}{hint}".split())
        text = " ".join(str(err).split())
        return f"{type(err).__name__}: {text[:300]}" if text else type(err).__name__

    def silenced():
        stack = contextlib.ExitStack()
        stack.enter_context(contextlib.redirect_stdout(io.StringIO()))
        stack.enter_context(contextlib.redirect_stderr(io.StringIO()))
        return stack

    try:
        repo = spec["repo"]
        for name in list(sys.modules):
            if name == "utils" or name.startswith("utils."):
                del sys.modules[name]
        sys.path.insert(0, repo)
        importlib.invalidate_caches()
        try:
            checks = importlib.import_module("utils.checks")
            for module in spec["modules"]:
                importlib.import_module(module)
        finally:
            sys.path.remove(repo)
        home = os.path.realpath(os.path.join(repo, "utils"))
        for name, module in list(sys.modules.items()):
            where = getattr(module, "__file__", None)
            if (name == "utils" or name.startswith("utils.")) and where and \
                    not os.path.realpath(where).startswith(home + os.sep):
                raise RuntimeError(f"the course module {name} was not loaded from the course")

        for ex in spec["exercises"]:
            ex_id = ex["id"]
            missing = [n for n in ex["names"] if n not in user_ns and not hasattr(builtins, n)]
            if missing:
                result["exercises"][ex_id] = {"status": "not answered",
                                              "feedback": f"`{missing[0]}` is not defined."}
                continue
            try:
                answer = eval(compile(ex["answer"], f"<answer {ex_id}>", "eval"), user_ns)
                args = [eval(compile(a, f"<argument {ex_id}>", "eval"), user_ns)
                        for a in ex["args"]]
                kwargs = {k: eval(compile(v, f"<argument {ex_id}>", "eval"), user_ns)
                          for k, v in ex["kwargs"].items()}
            except BaseException as err:
                result["exercises"][ex_id] = {
                    "status": "error", "feedback": f"`{ex['answer']}` raised {describe(err)}"}
                continue
            printed = io.StringIO()
            try:
                with contextlib.redirect_stdout(printed), \
                        contextlib.redirect_stderr(io.StringIO()):
                    checks.check(ex_id, answer, *args, **kwargs)
            except checks.ExerciseFailed as err:
                result["exercises"][ex_id] = {"status": "failed", "feedback": describe(err)}
            except BaseException as err:
                result["exercises"][ex_id] = {
                    "status": "error",
                    "feedback": f"the check could not handle this answer: {describe(err)}"}
            else:
                lines = [line for line in printed.getvalue().splitlines() if "✅" in line]
                praise = lines[-1].split("): ", 1)[-1] if lines else "correct."
                result["exercises"][ex_id] = {"status": "passed", "feedback": praise.strip()}

        namespace = dict(user_ns)
        namespace["check"] = checks.check
        for statements in spec["hidden"]:
            for index, statement in enumerate(statements):
                for ex_id in statement["ids"]:
                    result["hidden"].setdefault(ex_id, {"run": 0, "failed": None})
                try:
                    with silenced():
                        exec(compile(statement["source"], "<hidden test>", "exec"), namespace)
                except BaseException as err:
                    if statement["ids"]:
                        targets = statement["ids"]
                    else:  # set-up code failed: the rest of this cell cannot run
                        targets = [i for s in statements[index:] for i in s["ids"]]
                    for ex_id in targets:
                        entry = result["hidden"].setdefault(ex_id, {"run": 0, "failed": None})
                        entry["run"] += 1
                        entry["failed"] = entry["failed"] or describe(err)
                    if not statement["ids"]:
                        break
                else:
                    for ex_id in statement["ids"]:
                        result["hidden"][ex_id]["run"] += 1
    except BaseException as err:
        result["error"] = describe(err)
    with open(spec["result"], "w", encoding="utf-8") as out:
        json.dump(result, out)


def grading_source(spec: dict) -> str:
    """The cell the grader runs in the student's kernel: it defines nothing in the student's
    namespace (the grading code runs in a fresh dictionary of its own)."""
    code = inspect.getsource(_kernel_grade) + \
        f"\n_kernel_grade(__import__('json').loads({json.dumps(spec)!r}))\n"
    return (f"(lambda b: b.exec(b.compile({code!r}, '<grader>', 'exec'), "
            "{'__builtins__': b, '__name__': '__grader__'}))(__import__('builtins'))")


def _client_class():
    from nbclient import NotebookClient

    class Client(NotebookClient):
        """nbclient's client that notes timeouts and caps what one cell may print."""

        timed_out = False

        async def _async_handle_timeout(self, timeout, cell=None):
            self.timed_out = True  # the kernel is interrupted; the reply is error_on_timeout
            return await super()._async_handle_timeout(timeout, cell)

        def output(self, outs, msg, display_id, cell_index):
            if msg["msg_type"] == "error":  # always kept: the report lists errors
                return super().output(outs, msg, display_id, cell_index)
            used = self.__dict__.setdefault("_printed", {})
            before, content = used.get(cell_index, 0), msg["content"]
            stream = msg["msg_type"] == "stream"
            size = len(content.get("text", "")) if stream else len(json.dumps(content))
            used[cell_index] = before + size
            if before + size <= MAX_OUTPUT_CHARS:
                return super().output(outs, msg, display_id, cell_index)
            kept = None
            if stream and before < MAX_OUTPUT_CHARS:  # keep the start of this text
                text = content["text"][:MAX_OUTPUT_CHARS - before]
                kept = super().output(outs, {**msg, "content": {**content, "text": text}},
                                      display_id, cell_index)
            if before <= MAX_OUTPUT_CHARS:  # the first time over the cap
                outs.append(nbformat.v4.new_output(
                    "stream", name="stderr",
                    text="\n[the grader dropped the rest of this cell's output]\n"))
            return kept

    return Client


def kernel_env() -> dict[str, str]:
    env = dict(os.environ)
    env.update(KERNEL_ENV)
    env.pop("COURSE_ONLINE", None)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env


def _first_line(source: str) -> str:
    line = next((s.strip() for s in source.splitlines() if s.strip()), "")
    return line if len(line) <= 60 else line[:57] + "..."


async def _run(nb, spec: dict, timeout: float, log: Path) -> dict:
    """Execute ``nb`` in place in a fresh kernel, then the grading cell; what happened."""
    from nbclient.exceptions import DeadKernelError

    run = {"timed_out_cell": None, "dead_cell": None, "grading": "ok", "seconds": 0.0}
    deadline = [math.inf]
    client = _client_class()(
        nb, kernel_name="python3", allow_errors=True, record_timing=False, startup_timeout=120,
        shutdown_kernel="immediate", resources={"metadata": {"path": str(NOTEBOOKS)}},
        interrupt_on_timeout=True, error_on_timeout={
            "ename": "TimeoutError", "evalue": "stopped by the grader", "traceback": []},
        timeout_func=lambda cell: max(1, math.ceil(deadline[0] - time.monotonic())))
    client.km = client.create_kernel_manager()

    async def execute(cell, index, seconds, **kwargs) -> bool:
        """Run one cell with ``seconds`` to go; False when it timed out."""
        deadline[0] = time.monotonic() + seconds
        client.timed_out = False
        await client.async_execute_cell(cell, index, **kwargs)
        return not client.timed_out

    code_number = 0
    try:
        with log.open("wb") as stderr:  # the kernel process's own messages
            await client.async_start_new_kernel(env=kernel_env(), stderr=stderr)
        await client.async_start_new_kernel_client()
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
                    run["timed_out_cell"] = where
                    break
            except DeadKernelError:
                run["dead_cell"] = where
                break
        run["seconds"] = time.monotonic() - start
        if run["dead_cell"] is None:
            extra = nbformat.v4.new_code_cell("None")
            nb.cells.append(extra)
            try:
                if run["timed_out_cell"] and not await execute(
                        extra, len(nb.cells) - 1, min(timeout, 20), store_history=False):
                    run["grading"] = "stuck"  # the interrupt did not stop the notebook's code
                else:
                    extra.source = grading_source(spec)
                    if not await execute(extra, len(nb.cells) - 1, timeout, store_history=False):
                        run["grading"] = "timeout"
            except DeadKernelError:
                run["grading"] = "dead"
            finally:
                nb.cells.pop()
    finally:
        try:
            await client._async_cleanup_kernel()
        except Exception:
            pass
    return run


def execute_and_grade(nb, lesson: Lesson, timeout: float, hidden: bool, workdir: Path) -> dict:
    result_path = workdir / "result.json"
    spec = {
        "repo": str(REPO_ROOT),
        "modules": lesson.modules,
        "exercises": [{"id": ex.id, "answer": ex.answer, "args": ex.args, "kwargs": ex.kwargs,
                       "names": ex.names} for ex in lesson.exercises],
        "hidden": lesson.hidden if hidden else [],
        "result": str(result_path),
    }
    run = asyncio.run(_run(nb, spec, timeout, workdir / "kernel.log"))
    if run["dead_cell"]:
        lines = [line for line in (workdir / "kernel.log").read_text(errors="replace")
                 .splitlines() if line.strip() and "without encryption" not in line]
        run["kernel_log"] = lines[-1][:200] if lines else ""
    try:
        run["result"] = json.loads(result_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        run["result"] = None
    return run


# ---------------------------------------------------------------- one submission

def cell_errors(nb) -> tuple[list[str], set[str]]:
    """Errors the notebook raised ("code cell 3 raised ..."), and the ids of exercises whose
    stub still raises NotImplementedError. Failed checks are feedback, not listed."""
    errors, stubs, number = [], set(), 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        number += 1
        for out in cell.get("outputs", []):
            if out.get("output_type") != "error":
                continue
            name, value = out.get("ename", ""), str(out.get("evalue", ""))
            if name == "NotImplementedError" and value.startswith("Exercise "):
                stubs.add(value.split()[1].rstrip(":"))
            elif name not in ("ExerciseFailed", "KeyboardInterrupt"):  # interrupts: timeouts
                text = " ".join(value.split())[:120]
                errors.append(f"code cell {number} (`{_first_line(cell.source)}`) raised "
                              f"{name}" + (f": {text}" if text else ""))
    return errors, stubs


def _exercise_rows(lesson: Lesson, status: str, feedback: str) -> list[dict]:
    return [{"id": ex.id, "title": ex.title, "points": 0, "max_points": ex.points,
             "status": status, "feedback": feedback, "hidden_tests": None}
            for ex in lesson.exercises]


def grade_one(sub: Submission, lesson: Lesson, timeout: float, hidden: bool,
              report_dir: Path | None) -> dict:
    started = time.monotonic()
    record = {"student": sub.student, "notebook": sub.solution.name, "path": str(sub.path),
              "status": "graded", "message": sub.note, "errors": [],
              "points": 0, "max_points": lesson.max_points, "seconds": 0.0, "run_seconds": 0.0,
              "exercises": []}
    with tempfile.TemporaryDirectory(prefix="grade-") as tmp:
        copy = Path(tmp) / sub.path.name
        shutil.copyfile(sub.path, copy)
        nb, problem = read_submission(copy)
        if problem:
            record.update(status="invalid", message=problem,
                          exercises=_exercise_rows(lesson, NOT_RUN, "the notebook could not "
                                                   "be read"))
            return record
        try:
            run = execute_and_grade(nb, lesson, timeout, hidden, Path(tmp))
        except Exception as err:  # the kernel could not start, ...
            record.update(status="grader error", message=f"could not run the notebook: "
                          f"{type(err).__name__}: {err}",
                          exercises=_exercise_rows(lesson, NOT_RUN, "the notebook could not "
                                                   "be run"))
            return record
    if report_dir is not None:
        executed = report_dir / "executed" / sub.student / sub.path.name
        executed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(executed))
    errors, stubs = cell_errors(nb)
    record["errors"] = errors
    notes = [sub.note] if sub.note else []
    stopped = ""
    if run["timed_out_cell"]:
        number, line = run["timed_out_cell"]
        stopped = f"the notebook timed out in code cell {number} (`{line}`)"
        record["status"] = "timeout"
        notes.append(f"timed out after {timeout:g} s in code cell {number} (`{line}`); "
                     "the cells after it were not run")
    if run["dead_cell"]:
        number, line = run["dead_cell"]
        record["status"] = "kernel died"
        log = f" (its last message: {run['kernel_log']})" if run.get("kernel_log") else ""
        notes.append(f"the kernel died while running code cell {number} (`{line}`){log}; "
                     "nothing could be graded")
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        notes.append(errors[0] + more)
    result = run.get("result")
    if run["dead_cell"] or result is None or result.get("error"):
        if not run["dead_cell"]:
            why = {"timeout": f"the checks did not finish within {timeout:g} s",
                   "stuck": "the notebook's code did not stop when interrupted, so nothing "
                            "could be graded",
                   "dead": "the kernel died while the checks ran"}.get(run["grading"])
            why = why or (f"the checks could not run: {result['error']}" if result
                          else "the checks could not run in this notebook's kernel")
            record["status"] = "grader error" if record["status"] == "graded" else \
                record["status"]
            notes.append(why)
        record["exercises"] = _exercise_rows(lesson, NOT_RUN, "could not be graded")
    else:
        for ex in lesson.exercises:
            got = result["exercises"].get(ex.id, {"status": ERROR, "feedback": "not graded"})
            status, feedback = got["status"], got["feedback"]
            if status == NOT_ANSWERED:
                if ex.id in stubs:
                    feedback = ("the exercise cell still raises NotImplementedError: replace "
                                "that line with your code.")
                elif stopped:
                    status, feedback = NOT_RUN, f"{stopped} before this answer was made."
            tests = result["hidden"].get(ex.id) if hidden and lesson.hidden else None
            hidden_state = None
            if tests is not None and status == PASSED:  # hidden tests count after the check
                hidden_state = "failed" if tests["failed"] else "passed"
                if tests["failed"]:
                    status = FAILED
                    feedback = f"passes the notebook's check, fails a grader test: " \
                               f"{tests['failed']}"
            elif not hidden and any(ex.id in s["ids"] for c in lesson.hidden for s in c):
                hidden_state = "not run"
            points = ex.points if status == PASSED else 0
            record["exercises"].append({"id": ex.id, "title": ex.title, "points": points,
                                        "max_points": ex.points, "status": status,
                                        "feedback": feedback, "hidden_tests": hidden_state})
        record["points"] = sum(e["points"] for e in record["exercises"])
    record["message"] = "; ".join(n for n in notes if n)
    record["seconds"] = round(time.monotonic() - started, 1)
    record["run_seconds"] = round(run["seconds"], 1)
    return record


# ---------------------------------------------------------------- reports

CSV_FIELDS = ["student", "notebook", "exercise", "title", "points", "max_points", "status",
              "feedback"]


def csv_rows(records: list[dict]) -> list[dict]:
    rows = []
    for rec in records:
        for ex in rec["exercises"]:
            rows.append({"student": rec["student"], "notebook": rec["notebook"],
                         "exercise": ex["id"], "title": ex["title"], "points": ex["points"],
                         "max_points": ex["max_points"], "status": ex["status"],
                         "feedback": ex["feedback"]})
        rows.append({"student": rec["student"], "notebook": rec["notebook"],
                     "exercise": "TOTAL", "title": "", "points": rec["points"],
                     "max_points": rec["max_points"], "status": rec["status"],
                     "feedback": rec["message"]})
    for student, total in student_totals(records).items():
        rows.append({"student": student, "notebook": "ALL", "exercise": "TOTAL", "title": "",
                     "points": total["points"], "max_points": total["max_points"],
                     "status": "", "feedback": f"{total['notebooks']} notebook(s)"})
    return rows


def student_totals(records: list[dict]) -> dict[str, dict]:
    totals: dict[str, dict] = {}
    for rec in records:
        total = totals.setdefault(rec["student"], {"points": 0, "max_points": 0, "notebooks": 0})
        total["points"] += rec["points"]
        total["max_points"] += rec["max_points"]
        total["notebooks"] += 1
    return totals


def write_reports(records: list[dict], report_dir: Path, mode: str, timeout: float,
                  skipped: list[str]) -> tuple[Path, Path]:
    report_dir.mkdir(parents=True, exist_ok=True)
    csv_path, json_path = report_dir / "grades.csv", report_dir / "grades.json"
    with csv_path.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=CSV_FIELDS)
        writer.writeheader()
        writer.writerows(csv_rows(records))
    document = {"mode": mode, "timeout_s": timeout, "submissions": records,
                "students": student_totals(records), "skipped": skipped}
    json_path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n",
                         encoding="utf-8")
    return csv_path, json_path


MARKS = {PASSED: "✅", FAILED: "❌", NOT_ANSWERED: "·", ERROR: "❌", NOT_RUN: "·"}


def _clip(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def print_record(rec: dict, out=None) -> None:
    out = out or sys.stdout
    head = f"{rec['student']} · {rec['notebook']}"
    print(f"\n{head}  {rec['points']}/{rec['max_points']} points  ({rec['status']}, "
          f"{rec['seconds']:.1f} s)", file=out)
    if rec["message"]:
        print(f"  ! {_clip(rec['message'], 200)}", file=out)
    for ex in rec["exercises"]:
        hidden = f" [hidden tests {ex['hidden_tests']}]" if ex["hidden_tests"] else ""
        print(f"  {MARKS.get(ex['status'], '?')} {ex['id']:<6} {_clip(ex['title'], 38):<38} "
              f"{ex['points']}/{ex['max_points']}  {ex['status']}{hidden}: "
              f"{_clip(ex['feedback'], 150)}", file=out)


def print_summary(records: list[dict], out=None) -> None:
    out = out or sys.stdout
    if not records:
        return
    width = max(7, *(len(r["student"]) for r in records))
    nb_width = max(8, *(len(r["notebook"]) for r in records))
    print(f"\n{'student':<{width}}  {'notebook':<{nb_width}}  {'points':>9}  status", file=out)
    for rec in records:
        score = f"{rec['points']}/{rec['max_points']}"
        print(f"{rec['student']:<{width}}  {rec['notebook']:<{nb_width}}  {score:>9}  "
              f"{rec['status']}", file=out)


# ---------------------------------------------------------------- command line

def course_fingerprint(lesson: Lesson) -> dict[str, str]:
    """Checksums of the course modules the grading of ``lesson`` uses (``utils/*.py`` and the
    lesson's check modules): a submission must not change them."""
    files = sorted((REPO_ROOT / "utils").glob("*.py")) + \
        [REPO_ROOT / "utils" / "exercises" / "__init__.py"] + \
        [REPO_ROOT / (module.replace(".", "/") + ".py") for module in lesson.modules]
    return {str(p.relative_to(REPO_ROOT)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in files if p.is_file()}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m utils.grade", description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="+", metavar="PATH",
                        help="student notebooks, or folders to search for *.ipynb")
    parser.add_argument("--timeout", type=float, default=DEFAULT_TIMEOUT, metavar="SECONDS",
                        help=f"time for running one notebook, and again for its checks "
                             f"(default {DEFAULT_TIMEOUT})")
    parser.add_argument("--report-dir", type=Path, default=DEFAULT_REPORT_DIR, metavar="DIR",
                        help="where grades.csv, grades.json and executed/ go (default grades/)")
    parser.add_argument("--self-check", action="store_true",
                        help="for learners: the notebook's own checks only, no hidden tests")
    args = parser.parse_args(argv)
    try:
        if not args.timeout > 0 or not math.isfinite(args.timeout):
            raise UsageError("--timeout must be a positive number of seconds.")
        submissions, skipped = collect(args.paths)
    except UsageError as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    mode = "self-check" if args.self_check else "grade"
    for line in skipped:
        print(f"warning: {line}", file=sys.stderr)

    status = 0
    lessons: dict[Path, Lesson | str] = {}  # all read before any student code runs
    for solution in sorted({sub.solution for sub in submissions}):
        try:
            lessons[solution] = load_lesson(solution)
            for line in lessons[solution].warnings + lesson_problems(lessons[solution]):
                print(f"warning: {line}", file=sys.stderr)
        except LessonError as err:
            print(f"error: {err}", file=sys.stderr)
            lessons[solution] = str(err)
            status = 1
    seen: dict[tuple[str, str], Path] = {}
    for sub in submissions:
        first = seen.setdefault((sub.student, sub.solution.name), sub.path)
        if first != sub.path:
            print(f"warning: {sub.student} has two notebooks for {sub.solution.name} ({first} "
                  f"and {sub.path}); both are graded and counted.", file=sys.stderr)
    records = []
    started = time.monotonic()
    for number, sub in enumerate(submissions, 1):
        lesson = lessons[sub.solution]
        print(f"[{number}/{len(submissions)}] {sub.student} · {sub.path.name} ...",
              file=sys.stderr, flush=True)
        if isinstance(lesson, str):
            records.append({"student": sub.student, "notebook": sub.solution.name,
                            "path": str(sub.path), "status": "not graded",
                            "message": f"the lesson's solution cannot be read: {lesson}",
                            "errors": [], "points": 0, "max_points": 0, "seconds": 0.0,
                            "run_seconds": 0.0, "exercises": []})
            continue
        fingerprint = course_fingerprint(lesson)
        record = grade_one(sub, lesson, args.timeout, hidden=not args.self_check,
                           report_dir=args.report_dir)
        changed = [name for name, digest in course_fingerprint(lesson).items()
                   if fingerprint.get(name) != digest]
        if changed:
            record.update(status="tampered", points=0,
                          message=f"the notebook changed course files ({', '.join(changed)}); "
                                  "graded 0. Restore them (git checkout utils) and grade again.")
            for ex in record["exercises"]:
                ex.update(points=0, status=NOT_RUN, feedback="course files were changed",
                          hidden_tests=None)
            records.append(record)
            print_record(record)
            print("error: a submission changed the course's files; stopping. Restore them "
                  "with `git checkout utils` before grading again.", file=sys.stderr)
            status = 1
            break
        records.append(record)
        print_record(record)
    print_summary(records)
    csv_path, json_path = write_reports(records, args.report_dir, mode, args.timeout, skipped)
    elapsed = time.monotonic() - started
    print(f"\n{len(records)} notebook(s) of {len({r['student'] for r in records})} student(s) "
          f"{'self-checked' if args.self_check else 'graded'} in {elapsed:.0f} s; reports: "
          f"{csv_path}, {json_path}")
    if args.self_check and any(lesson.hidden for lesson in lessons.values()
                               if isinstance(lesson, Lesson)):
        print("Self-check runs the checks of your notebook only; the grader also runs hidden "
              "tests (e.g. your functions on other inputs).")
    return status


if __name__ == "__main__":
    sys.exit(main())
