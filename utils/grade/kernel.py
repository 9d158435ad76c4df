"""The grader's code that runs INSIDE a student's kernel. Not imported by the grader: its source
is written to a one-time file that the kernel reads (and deletes) before the notebook's first
cell, so everything here is set up before any student code runs.

``_bootstrap(config)``

* installs the offline guard, whether or not the notebook calls ``setup()``;
* takes private references to what grading needs (builtins, ``os.open``/``os.write``, the
  hash function) and snapshots the module dictionaries of the standard modules it relies on, to
  put them back before grading: patching ``json.dump``, ``importlib.import_module`` or a builtin
  in a cell changes nothing the grader uses;
* loads private copies of the course's check modules from the kernel's pristine course copy
  (never placed where student code can import them);
* installs an audit hook (Python's hooks cannot be removed, and this one refuses any later
  hook) that refuses to open the grader's private files (the instructor's solutions, the
  hidden tests), and, while grading, refuses what student code could use to reach the grader's
  own frames or objects (``sys._getframe``, ``gc.get_objects``, ``sys.settrace``...) or to run
  other programs; it is also the only way in: the grading cell raises the audit event
  ``course.grade``.

Grading (on ``course.grade``, once): the hidden tests are read from a file the grader writes
only after the notebook's cells have run, and checked against a signature; then (A) each
declared answer expression, and each hidden test with its ``check(...)`` calls replaced by a
recorder, is evaluated in the notebook's namespace (the student's code runs here, and a call
from it into any course check function is noted: using the checker as an oracle earns
nothing); (B) every value is converted to an exact built-in / NumPy / tensor type, so that a
subclass with a lying ``__eq__`` compares as what it is; the private checks run on it. The
result is signed and written through the private ``os`` functions.
"""


def _bootstrap(config):
    import builtins
    import hashlib
    import importlib
    import importlib.util
    import json
    import os
    import sys

    pristine_builtins = dict(builtins.__dict__)
    B = pristine_builtins
    _type, _isinstance, _issubclass, _len, _repr = B["type"], B["isinstance"], \
        B["issubclass"], B["len"], B["repr"]
    _str, _int, _float, _list, _tuple, _dict = B["str"], B["int"], B["float"], B["list"], \
        B["tuple"], B["dict"]
    _compile, _eval, _exec = B["compile"], B["eval"], B["exec"]
    _BaseException, _Exception = B["BaseException"], B["Exception"]
    _os_open, _os_write, _os_close, _os_read = os.open, os.write, os.close, os.read
    _os_unlink, _fspath = os.unlink, os.fspath
    _realpath, _sep = os.path.realpath, os.sep
    _sha256 = hashlib.sha256
    _setprofile, _getprofile, _settrace = sys.setprofile, sys.getprofile, sys.settrace
    _modules = sys.modules
    _dumps, _loads = json.dumps, json.loads

    key = config["key"].encode()
    state = {"phase": "run", "self": 0, "done": False, "current": None, "oracle": {}}
    private = [_realpath(p) for p in config["private_paths"]]
    check_files = config["check_files"]  # path parts of the course's check modules

    # ------------------------------------------------------------ what to put back
    guarded_modules = ["builtins", "os", "posixpath", "io", "json", "json.encoder",
                       "json.decoder", "importlib", "importlib._bootstrap",
                       "importlib._bootstrap_external", "importlib.util", "math", "operator",
                       "types", "functools", "collections", "contextlib", "hashlib", "numpy"]
    saved = {}
    for name in guarded_modules:
        if name == "numpy":
            try:
                import numpy  # noqa: F401  (cheap, and its types are needed to convert answers)
            except Exception:
                continue
        module = _modules.get(name)
        if module is not None:
            saved[name] = (module, dict(module.__dict__))

    def put_back():
        for name, (module, content) in saved.items():
            current = module.__dict__
            for attr in [a for a in current if a not in content]:
                if not _isinstance(current[attr], _type(sys)):  # keep submodules imported since
                    del current[attr]
            current.update(content)
            _modules[name] = module

    def hmac(data):
        block = 64
        k = key if _len(key) <= block else _sha256(key).digest()
        k = k + b"\0" * (block - _len(k))
        inner = _sha256(bytes(x ^ 0x36 for x in k) + data).digest()
        return _sha256(bytes(x ^ 0x5C for x in k) + inner).hexdigest()

    def read_file(path):
        fd = _os_open(path, os.O_RDONLY)
        try:
            chunks = []
            while True:
                chunk = _os_read(fd, 1 << 20)
                if not chunk:
                    break
                chunks.append(chunk)
        finally:
            _os_close(fd)
        return b"".join(chunks)

    def write_file(path, data):
        fd = _os_open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        try:
            while data:
                data = data[_os_write(fd, data):]
        finally:
            _os_close(fd)

    # ------------------------------------------------------------ the course's private checks
    from utils import offline as offline_guard

    offline_guard.install()
    from IPython import get_ipython

    shell = get_ipython()
    checks = importlib.import_module("utils.checks")
    lessons = [importlib.import_module(m) for m in config["modules"]]
    home = _realpath(config["workspace"]) + _sep
    for module in [checks, *lessons]:
        if not _realpath(module.__file__).startswith(home):
            raise RuntimeError(f"{module.__name__} was not loaded from the course copy")
    private_course = {n: m for n, m in _modules.items() if n == "utils" or n.startswith("utils.")}
    for name in private_course:  # student code imports its own copies
        del _modules[name]
    Wrong, ExerciseFailed = checks.Wrong, checks.ExerciseFailed
    registry = checks.EXERCISES

    # ------------------------------------------------------------ the audit hook
    blocked_while_grading = {
        "subprocess.Popen", "os.system", "os.exec",
        "os.posix_spawn", "os.spawn", "os.fork", "os.forkpty", "ctypes.cdata",
        "ctypes.addressof"}
    frame_attrs = {"tb_frame", "gi_frame", "cr_frame", "ag_frame", "f_back"}

    def is_private(path):
        if _isinstance(path, _int):
            return False
        try:
            if _isinstance(path, bytes):
                path = path.decode("utf-8", "surrogateescape")
            path = _realpath(_fspath(path))
        except _Exception:
            return False
        return any(path == p or path.startswith(p + _sep) for p in private)

    always_blocked = {"sys.addaudithook", "sys.settrace", "sys.setprofile", "gc.get_objects",
                      "gc.get_referrers", "gc.get_referents", "sys._current_frames"}

    def is_ours(traceback):
        state["self"] += 1
        try:
            return traceback.tb_frame.f_code.co_filename == "<course-grader>"
        except _BaseException:
            return False
        finally:
            state["self"] -= 1

    def hook(event, args):
        if state["self"]:
            return
        if event == "course.grade":
            if state["done"]:
                raise PermissionError("the grader has already graded this notebook")
            grade()
            return
        if event in ("open", "os.listdir", "os.scandir", "os.chdir", "shutil.copyfile",
                     "shutil.copytree", "os.rename", "os.link", "os.symlink"):
            if args and is_private(args[0]) or (event in ("os.rename", "os.link", "os.symlink")
                                                and _len(args) > 1 and is_private(args[1])):
                raise PermissionError("the grader's files cannot be read from a notebook")
            return
        if event in always_blocked:
            raise RuntimeError(f"{event} is not available while the grader runs a notebook")
        if event == "object.__getattr__" and _len(args) > 1 and args[1] in frame_attrs:
            if state["phase"] == "grading" or (args[1] == "tb_frame" and is_ours(args[0])):
                raise RuntimeError("frames are not available while the grader runs checks")
            return
        if state["phase"] != "grading":
            return
        if event == "sys._getframe":
            raise ValueError("call stack is not available while the grader runs checks")
        if event in blocked_while_grading:
            raise RuntimeError(f"{event} is not allowed while the grader runs the checks")

    # ------------------------------------------------------------ oracle detection
    TRAMPOLINES = ("/contextlib.py", "/functools.py")
    def profile(frame, event, arg):
        if event != "call":
            return
        state["self"] += 1
        try:
            name = frame.f_code.co_filename.replace("\\", "/")
            if any(part in name for part in check_files):
                caller = frame.f_back
                # A check's own `with` block enters through contextlib: look past the standard
                # library's trampolines to the code that started it.
                while caller is not None and caller.f_code.co_filename.replace(
                        "\\", "/").endswith(TRAMPOLINES):
                    caller = caller.f_back
                where = caller.f_code.co_filename.replace("\\", "/") if caller else ""
                if not (where == "<course-grader>" or any(part in where
                                                          for part in check_files)):
                    current = state["current"]
                    if current is not None:
                        state["oracle"].setdefault(current, frame.f_code.co_name)
        finally:
            state["self"] -= 1

    # ------------------------------------------------------------ exact types
    np = _modules.get("numpy")
    np_types = (np.ndarray, np.generic) if np is not None else ()
    exact_kinds = (bool, _int, _float, complex, _str, bytes, _list, _tuple, _dict, set,
                   frozenset, type(None))

    def exact(value, notes, depth=0):
        kind = _type(value)
        if depth > 50:
            raise TypeError("the answer is nested too deeply")
        if kind in (bool, _int, _float, complex, _str, bytes, type(None)):
            return value
        if _issubclass(kind, bool):
            return bool.__bool__(value)
        for base, convert in ((_int, lambda v: _int.__add__(v, 0)),
                              (_float, _float.__float__), (_str, _str.__str__),
                              (bytes, lambda v: bytes.__bytes__(v)),
                              (complex, complex.__complex__)):
            if _issubclass(kind, base):
                notes.append(f"{kind.__name__} was read as {base.__name__}")
                return convert(value)
        if _issubclass(kind, _list) or _issubclass(kind, _tuple):
            base = _list if _issubclass(kind, _list) else _tuple
            if kind is not base:
                notes.append(f"{kind.__name__} was read as {base.__name__}")
            items = [exact(v, notes, depth + 1) for v in base.__iter__(value)]
            return items if base is _list else _tuple(items)
        if _issubclass(kind, _dict):
            if kind is not _dict and kind.__module__ != "collections":
                notes.append(f"{kind.__name__} was read as dict")
                return {exact(k, notes, depth + 1): exact(v, notes, depth + 1)
                        for k, v in _dict.items(value)}
            return value
        if _issubclass(kind, (set, frozenset)):
            base = set if _issubclass(kind, set) else frozenset
            if kind is not base:
                notes.append(f"{kind.__name__} was read as {base.__name__}")
            return base(exact(v, notes, depth + 1) for v in base.__iter__(value))
        if np_types and _issubclass(kind, np.ndarray):
            if kind is not np.ndarray:
                notes.append(f"{kind.__name__} was read as numpy.ndarray")
                value = np.ndarray.view(value, np.ndarray)
            if value.dtype == object:
                flat = [exact(v, notes, depth + 1) for v in value.ravel().tolist()]
                value = np.array(flat, dtype=object).reshape(value.shape)
            return value
        if np_types and _issubclass(kind, np.generic):
            if kind.__module__ != "numpy":
                notes.append(f"{kind.__name__} was read as a NumPy number")
                return np.ndarray.view(np.asarray(value), np.ndarray)[()]
            return value
        torch = _modules.get("torch")
        if torch is not None and _issubclass(kind, torch.Tensor):
            if kind is not torch.Tensor and kind is not torch.nn.Parameter:
                notes.append(f"{kind.__name__} was read as torch.Tensor")
                with torch._C.DisableTorchFunction():
                    return torch.Tensor.as_subclass(value, torch.Tensor)
            return value
        if _isinstance(value, exact_kinds + np_types):  # a class that lies about its class
            raise TypeError(f"the answer is a {kind.__name__} that pretends to be a "
                            f"{value.__class__.__name__}")
        return value

    # ------------------------------------------------------------ grading
    def describe(err):
        if _isinstance(err, ExerciseFailed):
            hint = f" Hint: {err.hint}" if err.hint else ""
            return " ".join(f"{err.problem}{hint}".split())
        try:
            text = " ".join(_str(err).split())
        except _BaseException:
            text = ""
        name = _type(err).__name__
        return f"{name}: {text[:300]}" if text else name

    def short(value, limit=200):
        try:
            text = _repr(value)
        except _BaseException:
            text = f"<{_type(value).__name__}>"
        return text if _len(text) <= limit else text[:limit] + "…"

    def run_check(ex_id, answer, args, kwargs, tag):
        """(status, feedback) of the private check on converted values."""
        notes = []
        try:
            answer = exact(answer, notes)
            args = [exact(a, notes) for a in args]
            kwargs = {k: exact(v, notes) for k, v in kwargs.items()}
        except _BaseException as err:
            return "failed", f"the answer cannot be compared: {describe(err)}"
        note = (f" (the grader compares exact types: {notes[0]}; an overridden __eq__ or "
                "__ne__ counts for nothing)") if notes else ""
        exercise = registry.get(ex_id)
        if exercise is None:
            return "error", f"no exercise {ex_id} in the course's checks"
        if answer is Ellipsis or answer is NotImplemented:
            return "not answered", "no answer yet."
        state["current"] = tag
        try:
            praise = exercise.check(answer, *args, **kwargs)
        except Wrong as wrong:
            text = _str(wrong.problem) + (f" Hint: {wrong.hint}" if wrong.hint else "")
            return "failed", " ".join(text.split()) + note
        except KeyboardInterrupt:  # the grader's time limit interrupts the kernel
            return "error", "the check did not finish within the grader's time limit."
        except _BaseException as err:
            return "error", f"the check could not handle this answer: {describe(err)}{note}"
        finally:
            state["current"] = None
        if type(praise).__name__ == "Recorded":  # a quiz in a graded release: not judged here
            return "recorded", _str(praise)
        return "passed", (_str(praise) if praise else "correct.") + note

    def grade():
        state["self"] += 1
        try:
            try:
                payload = read_file(config["hidden_path"])
                signature = read_file(config["hidden_path"] + ".sig").decode()
            except OSError:
                raise PermissionError("the grader grades a notebook after its cells ran") from None
            state["done"] = True
            if hmac(payload) != signature:
                raise RuntimeError("the hidden tests were changed")
            put_back()
            hidden = _loads(payload.decode("utf-8"))
            user_ns = shell.user_ns
            _modules.update(private_course)
            state["phase"] = "grading"
            _setprofile(profile)
        finally:
            state["self"] -= 1
        result = {"exercises": {}, "hidden": {}, "error": None}
        try:
            result.update(evaluate(user_ns, hidden))
        except _BaseException as err:
            result["error"] = describe(err)
        state["self"] += 1
        try:
            _setprofile(None)
            state["phase"] = "done"
            data = _dumps(result).encode("utf-8")
            write_file(config["result_path"], data)
            write_file(config["result_path"] + ".sig", hmac(data).encode())
        finally:
            state["self"] -= 1

    def evaluate(user_ns, hidden):
        exercises, hidden_results = {}, {}
        # (A) the student's code: answers, and the values the hidden tests would check
        answers = {}
        for ex in config["exercises"]:
            ex_id = ex["id"]
            missing = [n for n in ex["names"] if n not in user_ns and n not in B]
            if missing:
                exercises[ex_id] = {"status": "not answered",
                                    "feedback": f"`{missing[0]}` is not defined."}
                continue
            state["current"] = ex_id
            try:
                answer = _eval(_compile(ex["answer"], f"<answer {ex_id}>", "eval"), user_ns)
                args = [_eval(_compile(a, f"<argument {ex_id}>", "eval"), user_ns)
                        for a in ex["args"]]
                kwargs = {k: _eval(_compile(v, f"<argument {ex_id}>", "eval"), user_ns)
                          for k, v in ex["kwargs"].items()}
            except _BaseException as err:
                exercises[ex_id] = {"status": "error",
                                    "feedback": f"`{ex['answer']}` raised {describe(err)}"}
                continue
            finally:
                state["current"] = None
            answers[ex_id] = (answer, args, kwargs)
        recorded = []  # (exercise id, answer, args, kwargs, failure of its statement)
        for statements in hidden:
            namespace = _dict(user_ns)
            for index, statement in enumerate(statements):
                calls = []

                def record(ex_id, answer, *args, **kwargs):
                    calls.append((ex_id, answer, args, kwargs))  # noqa: B023 (used in this pass)

                namespace[config["recorder"]] = record
                state["current"] = "hidden " + statement["ids"][0] if statement["ids"] else None
                try:
                    _exec(_compile(statement["source"], "<hidden test>", "exec"), namespace)
                except _BaseException as err:
                    targets = statement["ids"] or [i for s in statements[index:]
                                                   for i in s["ids"]]
                    for ex_id in targets:
                        recorded.append((ex_id, None, (), {}, f"your code raised "
                                                               f"{describe(err)}"))
                    if not statement["ids"]:
                        break
                finally:
                    state["current"] = None
                recorded.extend((c[0], c[1], c[2], c[3], None) for c in calls)
        # (B) the grader's checks, on exact values. The checks import and call libraries that
        # look at their own call stack, so frames are no longer refused (tracebacks through
        # the grader's own frames still are).
        state["phase"] = "checking"
        oracle = state["oracle"]
        message = ("your code called the course's check functions while it was graded ({}); an "
                   "answer must be computed, not looked up from the checker.")
        for ex_id, (answer, args, kwargs) in answers.items():
            status, feedback = run_check(ex_id, answer, args, kwargs, ex_id)
            exercises[ex_id] = {"status": status, "feedback": feedback[:4000]}
        for ex_id, answer, args, kwargs, failure in recorded:
            entry = hidden_results.setdefault(ex_id, {"run": 0, "failed": None})
            entry["run"] += 1
            if entry["failed"]:
                continue
            inputs = ", ".join([short(a) for a in args] +
                               [f"{k}={short(v)}" for k, v in kwargs.items()])
            if failure is None:
                status, feedback = run_check(ex_id, answer, _list(args), _dict(kwargs),
                                             "hidden " + ex_id)
                if status != "passed":
                    failure = feedback
            if "hidden " + ex_id in oracle:
                failure = message.format(oracle["hidden " + ex_id])
            if failure:
                where = f" (with {inputs})" if inputs else ""
                entry["failed"] = f"{failure[:2000]}{where}"
        for ex_id in exercises:
            if ex_id in oracle and exercises[ex_id]["status"] == "passed":
                exercises[ex_id] = {"status": "failed", "feedback": message.format(oracle[ex_id])}
        return {"exercises": exercises, "hidden": hidden_results}

    hook.__cantrace__ = True  # else Python turns profiling off inside the hook, where grading runs
    sys.addaudithook(hook)
    try:
        _os_unlink(config["bootstrap_path"])
    except OSError:
        pass
