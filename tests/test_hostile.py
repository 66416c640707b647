"""Hostile and broken submissions (issues 7 and 12): every student graded, nothing lost, plain reasons.

One class of crafted submissions of the fixture assignment (``add`` 3 points, ``mul`` 3 points, a
manual answer 1 point) is graded in a single run with a 5 s cell timeout and a 2 GB kernel memory
limit, in the sandbox. Each case asserts its scores and the reason the instructor and the student read;
every limit a notebook hits (memory, file size, disk, output, time) is a reason naming the cell. Attacks on
other students and on the instructor's files, the process and CPU limits are in ``test_isolation.py``.
"""
from __future__ import annotations

import copy
import csv
import json
import os
import socket
import subprocess
import sys

import nbformat
import pytest

from autograder import nbcells, synthetic
from autograder.grading import coursedir
from test_isolation import digest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURE_SOURCE = os.path.join(ROOT, "tests", "fixtures", "grading", "source")
NAME = "00_fixture"

pytestmark = pytest.mark.timeout(420)  # generous: the machine may be shared


def _correct(release, source):
    return synthetic.make_student(release, source, set(synthetic.answer_cells(source)))


def _index(nb, grade_id):
    return next(i for i, c in enumerate(nb.cells) if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def _with_answer(base, grade_id, code):
    nb = copy.deepcopy(base)
    nb.cells[_index(nb, grade_id)].source = code
    return nb


ADD = "def add(a, b):\n    return a + b"
MUL = "def mul(a, b):\n    return a * b"


def crafted(release, source, canary, port=0) -> dict:
    """{student: notebook or raw bytes or None (nothing submitted) or (filename, notebook)}."""
    ok = _correct(release, source)
    out = {"control": ok}
    out["loop_top_level"] = _with_answer(ok, "add", ADD + "\nwhile True:\n    pass")
    out["loop_in_function"] = _with_answer(ok, "add", "def add(a, b):\n    while True:\n        pass")
    out["ignores_interrupt"] = _with_answer(ok, "mul", MUL + "\nimport time\nwhile True:\n    try:\n"
                                            "        time.sleep(0.1)\n    except KeyboardInterrupt:\n        pass")
    out["os_exit"] = _with_answer(ok, "mul", "import os\nos._exit(1)\n" + MUL)
    out["sys_exit"] = _with_answer(ok, "mul", "import sys\nsys.exit()\n" + MUL)
    out["segfault"] = _with_answer(ok, "mul", "import ctypes\nctypes.string_at(0)\n" + MUL)
    out["sigkill"] = _with_answer(ok, "mul", "import os\nos.kill(os.getpid(), 9)\n" + MUL)
    out["memory_bomb"] = _with_answer(ok, "add", "def add(a, b):\n    hog = bytearray(64 * 1024 ** 3)\n"
                                      "    return a + b")
    out["memory_bomb_loop"] = _with_answer(ok, "mul", MUL + "\nimport numpy as np\nhogs = []\nwhile True:\n"
                                           "    hogs.append(np.zeros(25 * 1024 ** 2))  # 200 MB each")
    deleted = copy.deepcopy(ok)
    del deleted.cells[_index(deleted, "test_add_hidden")]
    out["deleted_test"] = deleted
    edited = _with_answer(ok, "mul", "def mul(a, b):\n    return 0")
    edited.cells[_index(edited, "test_mul")].source = "pass  # all good"
    out["edited_test"] = edited
    meta = _with_answer(ok, "mul", "def mul(a, b):\n    return 0")
    cell = meta.cells[_index(meta, "test_mul")]
    cell.metadata["nbgrader"].update(points=100, grade=False, locked=False)
    cell.source = "pass"
    out["changed_metadata"] = meta
    reordered = copy.deepcopy(ok)
    test = reordered.cells.pop(_index(reordered, "test_add_visible"))
    reordered.cells.insert(_index(reordered, "add"), test)
    out["reordered"] = reordered
    dup = copy.deepcopy(ok)
    i = _index(dup, "test_mul")
    twin = copy.deepcopy(dup.cells[i])
    twin["id"] = "twin"
    dup.cells.insert(i + 1, twin)
    out["duplicated_test"] = dup
    out["invalid_json"] = b'{"cells": [ this is not json'
    out["empty_file"] = b""
    out["old_format_v3"] = nbformat.writes(nbformat.convert(copy.deepcopy(ok), 3)).encode()
    out["future_format"] = json.dumps({"nbformat": 5, "nbformat_minor": 0, "cells": [], "metadata": {}}).encode()
    out["no_notebook"] = None
    out["misnamed"] = ("my_homework_final.ipynb", ok)
    huge = copy.deepcopy(ok)
    huge.cells[_index(huge, "add")].outputs = [nbformat.v4.new_output("stream", name="stdout",
                                                                      text="x" * (50 * 1024 * 1024))]
    out["huge_50mb"] = huge
    out["writes_outside"] = _with_answer(ok, "mul", MUL + "\nimport os, shutil\n"
                                         "open('../../../../../../../../escaped_by_student.txt', 'w').write('x')\n"
                                         "open(os.path.expanduser('~/escaped_home.txt'), 'w').write('x')\n"
                                         "for up in ('..', '../..', '../../..'):\n"
                                         "    for entry in os.listdir(up):\n"
                                         "        shutil.rmtree(os.path.join(up, entry), ignore_errors=True)")
    out["absolute_paths"] = _with_answer(ok, "mul", MUL + "\nimport os, shutil\n"
                                         f"open({str(canary)!r}, 'a').write('pwned')\n")
    out["reads_reference"] = _with_answer(ok, "add", "def add(a, b):\n"
                                          f"    open({os.path.join(ROOT, 'solutions', 'mlp.py')!r}).read()\n"
                                          "    return a + b")
    out["imports_solutions"] = _with_answer(ok, "add", "def add(a, b):\n    import solutions\n    return a + b")
    # tampering with how later cells run or check (each with a wrong answer that would then pass)
    wrong_mul = "def mul(a, b):\n    return 0\n"
    out["blanks_later_cells"] = _with_answer(ok, "mul", wrong_mul + "get_ipython().input_transformers_cleanup"
                                             ".append(lambda lines: ['pass\\n'])")
    out["strips_asserts"] = _with_answer(ok, "mul", wrong_mul + "import ast\nclass NoAsserts(ast.NodeTransformer):\n"
                                         "    def visit_Assert(self, node):\n        return ast.Pass()\n"
                                         "get_ipython().ast_transformers.append(NoAsserts())")
    out["patches_isclose"] = _with_answer(ok, "add", "def add(a, b):\n    return a + b if a >= 0 else 99\n"
                                          "import math\nmath.isclose = lambda *args, **kwargs: True")
    out["replaces_run_cell"] = _with_answer(ok, "mul", wrong_mul + "shell = get_ipython()\nreal = shell.run_cell\n"
                                            "shell.run_cell = lambda cell, *a, **k: real('pass', *a, **k)")
    out["swallows_errors"] = _with_answer(ok, "mul", wrong_mul + "get_ipython().set_custom_exc((AssertionError,), "
                                          "lambda *args, **kwargs: None)")
    out["patches_while_tested"] = _with_answer(ok, "add", "def add(a, b):\n    import math\n"
                                               "    math.isclose = lambda *args, **kwargs: True\n"
                                               "    return a + b if a >= 0 else 99")
    out["patching_thread"] = _with_answer(ok, "mul", wrong_mul + "import threading, time\n"
                                          "def keep_patching(shell=get_ipython(), blank=lambda lines: ['pass\\n']):\n"
                                          "    while True:\n"
                                          "        if blank not in shell.input_transformers_cleanup:\n"
                                          "            shell.input_transformers_cleanup.append(blank)\n"
                                          "        time.sleep(0.001)\n"
                                          "threading.Thread(target=keep_patching, daemon=True).start()")
    out["innocent_hooks"] = _with_answer(ok, "mul", "%load_ext autoreload\n%autoreload 2\n%matplotlib inline\n"
                                         "import matplotlib.pyplot as plt\nimport warnings\n"
                                         "warnings.filterwarnings('ignore')\nplt.plot([1, 2])\nplt.show()\n" + MUL)
    out["uses_network"] = _with_answer(ok, "mul", MUL + "\nimport socket\ntry:\n"
                                       f"    socket.create_connection(('127.0.0.1', {port}), timeout=2).sendall(b'leak')\n"
                                       "    print('network reached')\nexcept OSError as exc:\n"
                                       "    print('no network:', exc)")
    out["breaks_the_guard"] = _with_answer(ok, "mul", MUL + "\nimport sys\nsys.modules.pop('_autograder_guard', None)")
    # limits: each one hit becomes a reason naming the cell
    out["fills_the_disk"] = _with_answer(ok, "mul", MUL + "\nfor i in range(1000):\n"
                                         "    with open(f'filler{i}.bin', 'wb') as f:\n"
                                         "        f.write(b'x' * 10 * 1024 ** 2)")
    out["huge_file"] = _with_answer(ok, "mul", MUL + "\nwith open('huge.bin', 'wb') as f:\n"
                                    "    f.truncate(10 * 1024 ** 3)")
    out["prints_too_much"] = _with_answer(ok, "mul", MUL + "\nprint('x' * (20 * 1024 ** 2))")
    out["signals_everyone"] = _with_answer(ok, "mul", MUL + "\nimport os, signal\n"
                                           "for entry in os.listdir('/proc'):\n"
                                           "    if entry.isdigit() and int(entry) != os.getpid():\n"
                                           "        for sig in (signal.SIGTERM, signal.SIGKILL):\n"
                                           "            try:\n                os.kill(int(entry), sig)\n"
                                           "            except OSError:\n                pass\n"
                                           "try:\n    os.kill(-1, signal.SIGKILL)\nexcept OSError:\n    pass")
    return out


#: student -> (status, add points, mul points, words the reason/notes must contain)
EXPECTED = {
    "control": ("graded", 3, 3, None),
    "loop_top_level": ("graded", 3, 3, "timed out in cell `add` after 5 s"),
    "loop_in_function": ("graded", 0, 3, "timed out in cell `test_add_visible` after 5 s"),
    "ignores_interrupt": ("graded", 3, 0, "the kernel stopped responding after cell `mul` timed out"),
    "os_exit": ("graded", 3, 0, "the kernel died in cell `mul` (exit code 1)"),
    "sys_exit": ("graded", 3, 0, None),
    "segfault": ("graded", 3, 0, "the kernel died in cell `mul` (killed by signal SIGSEGV"),
    "sigkill": ("graded", 3, 0, "the kernel died in cell `mul` (killed by signal SIGKILL)"),
    "memory_bomb": ("graded", 0, 3, "the notebook hit the memory limit (2048 MB) in cell `test_add_visible`"),
    "memory_bomb_loop": ("graded", 3, 3, "the notebook hit the memory limit (2048 MB) in cell `mul`"),
    "deleted_test": ("graded", 3, 3, "graded cell `test_add_hidden` was missing; the instructor's version was put back"),
    "edited_test": ("graded", 3, 0, "locked cell `test_mul` had been edited; the instructor's version was graded"),
    "changed_metadata": ("graded", 3, 0, "the grading settings of cell `test_mul` had been changed"),
    "reordered": ("graded", 2, 3, None),
    "duplicated_test": ("graded", 3, 3, "cell `test_mul` appeared more than once"),
    "invalid_json": ("invalid", 0, 0, "the notebook is not valid JSON"),
    "empty_file": ("invalid", 0, 0, "the notebook file is empty"),
    "old_format_v3": ("graded", 3, 3, "converted to version 4"),
    "future_format": ("invalid", 0, 0, "format version 5, which cannot be read"),
    "no_notebook": ("missing", 0, 0, "no notebook was submitted (expected '00_fixture.ipynb')"),
    "misnamed": ("graded", 3, 3, "the notebook was named 'my_homework_final.ipynb'; it was graded as '00_fixture.ipynb'"),
    "huge_50mb": ("graded", 3, 3, None),
    "writes_outside": ("graded", 3, 3, None),
    "imports_solutions": ("graded", 0, 3, None),
    "absolute_paths": ("graded", 3, 3, None),
    "reads_reference": ("graded", 0, 3, None),
    "blanks_later_cells": ("graded", 3, 0, "the notebook had changed how the kernel runs or checks code "
                           "(shell.input_transformers_cleanup); the grader undid this before cell `test_mul`"),
    "strips_asserts": ("graded", 3, 0, "changed how the kernel runs or checks code (shell.ast_transformers)"),
    "patches_isclose": ("graded", 1, 3, "changed how the kernel runs or checks code (math.isclose); the grader "
                        "undid this before cell `test_add_visible`"),
    "replaces_run_cell": ("graded", 3, 0, "changed how the kernel runs or checks code (shell.run_cell)"),
    "swallows_errors": ("graded", 3, 0, "changed how the kernel runs or checks code (shell.set_custom_exc)"),
    "patches_while_tested": ("graded", 0, 3, "the notebook changed how the kernel runs or checks code while test "
                             "cell `test_add_visible` ran (math.isclose); the test scores zero"),
    "patching_thread": ("graded", 3, 0, "the notebook interfered with the grader's integrity check before cell "
                        "`test_mul` (a background thread started by the notebook is still running its code: "
                        "Thread-"),
    "innocent_hooks": ("graded", 3, 3, None),
    "uses_network": ("graded", 3, 3, None),
    "breaks_the_guard": ("graded", 3, 0, "the notebook interfered with the grader's integrity check before cell "
                         "`test_mul` (KeyError: '_autograder_guard'); this and later cells were not run"),
    "fills_the_disk": ("graded", 3, 3, "the notebook hit the disk limit (256 MB of scratch space) in cell `mul`"),
    "huge_file": ("graded", 3, 3, "the notebook hit the file-size limit (256 MB per file) in cell `mul`"),
    "prints_too_much": ("graded", 3, 3, "the notebook hit the output limit (16 MB) in cell `mul`; the rest of its "
                        "output was dropped"),
    "signals_everyone": ("graded", 3, 3, None),
}


def _autograded(course, student):
    return (course / "autograded" / student / NAME / f"{NAME}.ipynb").read_text()


@pytest.fixture(scope="module")
def hostile_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("hostile")
    prepared = coursedir.prepare_assignment(str(tmp / "prep"), NAME, nbcells.sqlite_url(str(tmp / "p.db")),
                                            FIXTURE_SOURCE)
    release = nbformat.read(prepared.release_path, as_version=4)
    source = nbformat.read(os.path.join(prepared.source_dir, f"{NAME}.ipynb"), as_version=4)
    submitted = tmp / "in" / "submitted"
    canary = tmp / "instructor_file.txt"  # an absolute path outside the submission's folder
    canary.write_text("the instructor's file\n")
    listener = socket.socket()  # a service of the grading machine that a kernel should not reach
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    listener.setblocking(False)
    for student, item in crafted(release, source, canary, listener.getsockname()[1]).items():
        folder = submitted / student / NAME
        folder.mkdir(parents=True)
        filename = f"{NAME}.ipynb"
        if isinstance(item, tuple):
            filename, item = item
        if item is None:
            (folder / "notes.txt").write_text("I forgot the notebook")
            continue
        data = item if isinstance(item, bytes) else nbformat.writes(item).encode()
        (folder / filename).write_bytes(data)
    (submitted / "control" / NAME / "data.csv").write_text("x,y\n1,2\n")  # extra files are fine
    before = {"input": digest(tmp / "in"), "source": digest(FIXTURE_SOURCE)}
    course = tmp / "course"
    env = dict(os.environ, PYTHONPATH=ROOT, MPLBACKEND="Agg")
    proc = subprocess.run([sys.executable, "-m", "autograder", "grade", str(tmp / "in"), "--course-dir", str(course),
                           "--source-dir", FIXTURE_SOURCE, "--workers", "2", "--timeout", "5",
                           "--memory-mb", "2048", "--skip-preflight"],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=400)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(course / "reports" / "grades.csv", newline="") as f:
        rows = {r["student"]: r for r in csv.DictReader(f)}
    try:
        listener.accept()
        before["network_reached"] = True
    except BlockingIOError:
        before["network_reached"] = False
    finally:
        listener.close()
    return tmp, course, rows, before, proc


@pytest.mark.parametrize("student", sorted(EXPECTED))
def test_each_case_is_graded_with_a_plain_reason(hostile_run, student):
    tmp, course, rows, _, _ = hostile_run
    status, add, mul, words = EXPECTED[student]
    row = rows[student]
    assert row["status"] == status, row
    assert (float(row["add"]), float(row["mul"])) == (add, mul), row
    assert float(row["score"]) == add + mul
    assert row["max_score"] == "7"  # edited points never change the maximum
    if words:
        assert words in row["problems"], row["problems"]
        feedback = (course / "feedback" / student / NAME / f"{NAME}.html").read_text()
        assert words.split("`")[0].replace("'", "&#x27;") in feedback
    assert "Traceback" not in row["problems"]


def test_ordinary_notebook_habits_are_not_reported_as_tampering(hostile_run):
    rows = hostile_run[2]
    for student in ("control", "innocent_hooks"):  # %autoreload, %matplotlib inline, a warnings filter
        assert rows[student]["problems"] == "", rows[student]


def test_failure_messages_name_the_cause(hostile_run):
    tmp, course, rows, _, _ = hostile_run
    fb = lambda s: (course / "feedback" / s / NAME / f"{NAME}.html").read_text()  # noqa: E731
    assert "MemoryError" in fb("memory_bomb")
    assert "No module named &#x27;solutions&#x27;" in fb("imports_solutions")
    assert "not run: the kernel died in cell `mul`" in fb("os_exit")
    assert "CellTimeoutError: the cell did not finish within 5 s" in fb("loop_in_function")
    assert "NameError" in fb("reordered")
    # the sandbox shows neither the instructor's file nor the repository
    assert "No such file or directory" in _autograded(course, "absolute_paths")
    assert "FileNotFoundError" in fb("reads_reference")  # graded in the student's order: the test ran before `add` existed
    # a network namespace of its own (only its own loopback): no service of the grading machine is reachable
    assert "no network: [Errno 111] Connection refused" in _autograded(course, "uses_network")
    assert not hostile_run[3]["network_reached"]
    assert "the notebook hit the output limit" in _autograded(course, "prints_too_much")
    assert len(_autograded(course, "prints_too_much")) < 20 * 1024 ** 2
    for student in rows:
        for marker in ("SECRET_CASES", "HIDDEN_MUL_CASE", "BEGIN HIDDEN TESTS"):
            assert marker not in fb(student)


def test_summary_lists_every_problem_and_nothing_leaks(hostile_run):
    tmp, course, rows, before, proc = hostile_run
    summary = (course / "reports" / "summary.md").read_text()
    for student, (status, _, _, words) in EXPECTED.items():
        if words:
            assert f"- {student} ({status}): " in summary
    listed = sum(line.startswith("- ") for line in summary.splitlines())
    assert f"{listed} submissions with problems (see the summary)" in proc.stdout  # the command counts as the summary
    assert summary.startswith("# Grading summary")  # isolated: no warning line
    assert len(rows) == len(EXPECTED)
    # the instructor's sources and every student's submitted files are untouched
    assert digest(tmp / "in") == before["input"]
    assert digest(FIXTURE_SOURCE) == before["source"]
    assert (tmp / "instructor_file.txt").read_text() == "the instructor's file\n"
    for folder in (tmp, course, ROOT):
        assert not os.path.exists(os.path.join(folder, "escaped_by_student.txt"))
    assert not os.path.exists(os.path.join(os.path.expanduser("~"), "escaped_home.txt"))
