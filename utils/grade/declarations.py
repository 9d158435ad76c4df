"""What a lesson grades, read from its solution notebook: each top-level ``check("NN.k", answer,
...)`` call names an exercise and the expression that holds its answer; the registry in
``utils/exercises/lessonNN.py`` gives its title and points; cells tagged ``hidden-tests`` hold
grader-only checks. Nothing here runs student code."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field
from pathlib import Path

from utils import generate
from utils.generate import BEGIN, HIDDEN_TAG

RECORDER = "__grader_record__"  # what a hidden test's check(...) becomes in the kernel


class LessonError(Exception):
    """A solution notebook whose exercises cannot be read (a course bug, not a student's)."""


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
class HiddenStatement:
    """One top-level statement of a hidden-tests cell. ``source`` is the statement with each
    ``check(...)`` call replaced by a call that only records its arguments: the kernel first
    runs the student's code to get the values, then the grader's own checks on them."""
    source: str
    ids: list[str]


@dataclass
class Lesson:
    path: Path
    exercises: list[Declared]
    hidden: list[list[HiddenStatement]]
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

    def has_hidden(self, exercise_id: str) -> bool:
        return any(exercise_id in s.ids for cell in self.hidden for s in cell)


class _RecordChecks(ast.NodeTransformer):
    def visit_Call(self, node):
        self.generic_visit(node)
        if check_call(node) is not None:
            node.func = ast.copy_location(ast.Name(RECORDER, ast.Load()), node.func)
        return node


def recording_source(stmt: ast.stmt) -> str:
    import copy

    tree = _RecordChecks().visit(copy.deepcopy(stmt))
    return ast.unparse(ast.fix_missing_locations(tree))


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
            statements = [HiddenStatement(recording_source(stmt), checked_ids(stmt))
                          for stmt in tree.body]
            if not any(s.ids for s in statements):
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
            for exercise_id in statement.ids:
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

