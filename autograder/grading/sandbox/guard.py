"""Inside the grading kernel: undo a submission's tampering with how cells run and how tests check.

This file is *sent to* the kernel (as text, see :mod:`autograder.grading.sandbox.executor`); it imports nothing from the
repository. Before the first cell, :func:`snapshot` records the pristine state; before and after every
graded test cell, :func:`restore` puts it back and says what it had to undo (a change found *after* a
test means the student's function changed the checking while the test ran: that test scores zero).
What it covers:

* ``builtins`` (``abs``, ``isinstance``, ``__import__``, ...), ``sys.modules`` entries, and the
  functions and classes of ``math``, ``operator``, ``warnings`` & co. and of every loaded module of
  ``numpy`` and ``course`` (e.g. ``math.isclose = lambda *a: True``), including a function's swapped
  ``__code__`` or defaults;
* IPython's input and AST transformers (a transformer can turn every later cell into ``pass``), event
  callbacks, custom exception handlers, and the methods of the shell, the kernel, its session, the
  display machinery and the output streams (class attributes, and instance attributes shadowing them,
  e.g. ``get_ipython().run_cell = ...``);
* ``sys.displayhook``/``excepthook``/``stdout``/``stderr`` and trace/profile functions;
* threads: one that is still running notebook code when a test is due could patch and unpatch around
  the test, so :func:`restore` names them and the grader stops (no test after it is trusted).

This is a guard against the tricks one finds on the internet, not a proof: code that reads this file
can aim at the guard itself. The grader therefore fails *closed*: if the guard does not answer as
expected, the remaining cells are not run and score zero (see ``GuardedExecute``).
"""
import builtins
import json
import os
import sys
import types

#: imported at the snapshot; every loaded module of the packages in WATCHED_PACKAGES is watched too
WATCHED_MODULES = ("math", "operator", "functools", "json", "base64", "warnings", "inspect", "numbers",
                   "numpy", "numpy.testing", "numpy.linalg", "course.assignments.checks", "course.protocol")
WATCHED_PACKAGES = ("numpy", "course")
TRANSFORMER_LISTS = (("shell", "input_transformers_cleanup"), ("shell", "input_transformers_post"),
                     ("shell", "ast_transformers"), ("manager", "cleanup_transforms"),
                     ("manager", "line_transforms"), ("manager", "token_transformers"))
SYS_HOOKS = ("displayhook", "excepthook", "stdout", "stderr", "breakpointhook")
SKIP_BUILTINS = ("_", "__", "___")  # results the display hook stores on purpose

_state = {}


def _objects(shell):
    """The machinery a cell runs through, by name."""
    kernel = getattr(shell, "kernel", None)
    found = {"shell": shell, "kernel": kernel, "manager": getattr(shell, "input_transformer_manager", None),
             "events": getattr(shell, "events", None), "compile": getattr(shell, "compile", None),
             "display_pub": getattr(shell, "display_pub", None), "displayhook": getattr(shell, "displayhook", None),
             "display_formatter": getattr(shell, "display_formatter", None),
             "session": getattr(kernel, "session", None), "iopub_socket": getattr(kernel, "iopub_socket", None),
             "iopub_thread": getattr(kernel, "iopub_thread", None),
             "stdout": sys.stdout, "stderr": sys.stderr}
    return {k: v for k, v in found.items() if v is not None}


def _code_state(value):
    code = getattr(value, "__code__", None)
    if isinstance(value, types.FunctionType):
        return (code, value.__defaults__, value.__kwdefaults__)
    return None


def _watchable(value):
    """Code, not data: functions, classes, modules and descriptors (data such as counters and caches
    changes legitimately and is not what tests rely on)."""
    return callable(value) or isinstance(value, (types.ModuleType, property, classmethod, staticmethod))


def _snap_namespace(ns):
    """A copy of a namespace's code entries plus the code of every function in it."""
    ns = {k: v for k, v in ns.items() if _watchable(v)}
    return ns, {k: _code_state(v) for k, v in ns.items() if isinstance(v, types.FunctionType)}


def _python_classes(obj):
    return [c for c in type(obj).__mro__ if c is not object and c.__module__ != "builtins"]


def snapshot(nonce, shell):
    """Record the pristine state of the IPython ``shell`` (run before any cell of the submission)."""
    import importlib
    for name in WATCHED_MODULES:
        try:
            importlib.import_module(name)
        except Exception:
            pass
    objects = _objects(shell)
    try:  # where ipykernel compiles cells to (their frames' filename)
        cell_folder = os.path.dirname(shell.compile.get_code_name("", "", 0))
    except Exception:
        cell_folder = None
    _state.update(
        objects=objects,
        cell_folder=cell_folder,
        builtins=_snap_namespace(vars(builtins)),
        modules={name: (module, _snap_namespace({k: v for k, v in vars(module).items() if not k.startswith("__")}))
                 for name, module in list(sys.modules.items())
                 if isinstance(module, types.ModuleType)
                 and (name in WATCHED_MODULES or name.split(".")[0] in WATCHED_PACKAGES)},
        lists=[(owner, attr, getattr(objects[owner], attr), list(getattr(objects[owner], attr)))
               for owner, attr in TRANSFORMER_LISTS
               if owner in objects and isinstance(getattr(objects[owner], attr, None), list)],
        events={k: (v, list(v)) for k, v in getattr(shell.events, "callbacks", {}).items()},
        custom=(shell.custom_exceptions, shell.CustomTB),
        instances={name: (obj, set(vars(obj))) for name, obj in objects.items() if hasattr(obj, "__dict__")},
        classes={cls: _snap_namespace(vars(cls)) for obj in objects.values() for cls in _python_classes(obj)},
        sys_hooks={name: getattr(sys, name) for name in SYS_HOOKS},
    )
    return json.dumps({"nonce": nonce, "snapshot": len(_state["classes"])})


def _restore_namespace(label, target_set, current, saved, changed, skip=()):
    ns, codes = saved
    for key, value in ns.items():
        if key in skip:
            continue
        if current.get(key, _MISSING) is not value:
            target_set(key, value)
            changed.append(f"{label}.{key}")
        elif key in codes and _code_state(value) != codes[key]:
            value.__code__, value.__defaults__, value.__kwdefaults__ = codes[key]
            changed.append(f"{label}.{key}")


_MISSING = object()
BENIGN_HOOK_PACKAGES = ("IPython", "ipykernel", "matplotlib", "matplotlib_inline", "ipywidgets")


def _benign(callback):
    """An event hook that IPython itself or matplotlib registers (``%autoreload``, ``%matplotlib inline``)."""
    module = getattr(callback, "__module__", None) or type(getattr(callback, "__self__", None)).__module__
    return str(module).split(".")[0] in BENIGN_HOOK_PACKAGES


def restore(nonce):
    """Undo every change to the recorded state; return JSON naming what was undone."""
    if not _state:
        raise RuntimeError("snapshot() was never run")
    changed = []
    _restore_namespace("builtins", lambda k, v: vars(builtins).__setitem__(k, v), vars(builtins),
                       _state["builtins"], changed, SKIP_BUILTINS)
    for name, (module, saved) in _state["modules"].items():
        if sys.modules.get(name) is not module:
            sys.modules[name] = module
            changed.append(f"sys.modules[{name!r}]")
        _restore_namespace(name, lambda k, v, m=module: setattr(m, k, v), vars(module), saved, changed)
    for cls, saved in _state["classes"].items():
        _restore_namespace(cls.__name__, lambda k, v, c=cls: setattr(c, k, v), dict(vars(cls)), saved, changed,
                           skip=("__dict__", "__weakref__", "__doc__", "_abc_impl"))
    for name, (obj, keys) in _state["instances"].items():
        for key, value in list(vars(obj).items()):
            if key not in keys and callable(value) and not isinstance(value, type):
                delattr(obj, key)
                changed.append(f"{name}.{key}")
    objects = _state["objects"]
    for owner, attr, original, contents in _state["lists"]:
        if getattr(objects[owner], attr) is not original:
            setattr(objects[owner], attr, original)
            changed.append(f"{owner}.{attr}")
        if original != contents:
            original[:] = contents
            changed.append(f"{owner}.{attr}")
    shell = objects["shell"]
    callbacks = shell.events.callbacks
    for event, (original, contents) in _state["events"].items():
        current = callbacks.get(event)
        if current is not original or original != contents:
            added = [cb for cb in (current or []) if cb not in contents]
            quiet = current is original and all(c in original for c in contents) and all(map(_benign, added))
            original[:] = contents
            callbacks[event] = original
            if not quiet:  # undone either way; reported unless it is e.g. %matplotlib inline or %autoreload
                changed.append(f"events.{event}")
    if (shell.custom_exceptions, shell.CustomTB) != _state["custom"]:
        shell.custom_exceptions, shell.CustomTB = _state["custom"]
        changed.append("shell.set_custom_exc")
    for name, value in _state["sys_hooks"].items():
        if getattr(sys, name) is not value:
            setattr(sys, name, value)
            changed.append(f"sys.{name}")
    if sys.gettrace() is not None or sys.getprofile() is not None:
        sys.settrace(None)
        sys.setprofile(None)
        changed.append("sys.settrace")
    import threading
    if getattr(threading, "_trace_hook", None) or getattr(threading, "_profile_hook", None):
        threading.settrace(None)
        threading.setprofile(None)
        changed.append("threading.settrace")
    return json.dumps({"nonce": nonce, "changed": list(dict.fromkeys(changed)), "threads": _notebook_threads()})


def _is_notebook_code(filename):
    """Code the notebook defined: a cell (``ipykernel_<pid>/<hash>.py``, ``<ipython-input-…>``) or an
    ``exec``'d string."""
    return (filename.startswith("<ipython-input") or filename == "<string>"
            or os.path.dirname(filename) == _state.get("cell_folder"))


def _notebook_threads():
    """Names of other threads that are running notebook code right now (nothing can undo what such a
    thread does between the guard and a test, so the grader stops trusting the kernel)."""
    import threading
    names = {t.ident: t.name for t in threading.enumerate()}
    found = []
    for ident, frame in sys._current_frames().items():
        if ident == threading.get_ident():
            continue
        while frame is not None:
            if _is_notebook_code(frame.f_code.co_filename):
                found.append(names.get(ident, str(ident)))
                break
            frame = frame.f_back
    return sorted(found)
