r"""Your own numbers: the personalised parts of an assignment are worked on a network that is yours alone.

In the personalised assignments (:data:`PERSONALISED`) one cell near the top reads ::

    MY = personal.numbers("04_backprop", student_id="s1234567", code="7KQ2M-X9D4P")

with your student id and the **personal code** your instructor gave you (it is ten letters and digits; case,
spaces and dashes do not matter). ``MY`` then holds your network and inputs; your classmates have others.
Without an id and a code, the cell gives the *example* numbers, the same for everyone, so that the notebook
runs before you have them. The grader always grades the personalised tests on the numbers of the student
who submitted the notebook (never on an id typed into it).

How the numbers are made (nothing here is secret, and nothing here is an answer):

* your instructor derives your code from your id with a course secret that only they hold
  (HMAC-SHA256); the last symbol of the code is a check symbol that also depends on your id, so a typo in
  either is caught here (:func:`normalise_code`);
* the numbers are drawn, deterministically, from HMAC-SHA256 keyed by your code over (assignment, id):
  the same id and code always give the same numbers, on any machine, in any year;
* each value comes from a range chosen so that the arithmetic stays meaningful: no sigmoid is saturated,
  no gradient of the worked example rounds to zero at four decimals, and one gradient step changes every
  weight visibly (:data:`DRAWS`; the tests check these properties on thousands of ids).

Without your code nobody can compute your numbers, and your code tells nothing about anyone else's.
"""
from __future__ import annotations

import hashlib
import hmac
import re

import numpy as np

from .core.lecture import LECTURE_221_LAYOUT, LECTURE_221_SHAPES, build_params

__all__ = ["PERSONALISED", "DRAWS", "EXAMPLE_ID", "EXAMPLE_CODE", "Numbers", "numbers", "normalise_code",
           "check_symbol", "valid_student_id", "report", "REPORT_MIME"]

#: Crockford's base 32: digits and capitals without I, L, O, U (read back as 1, 1, 0; U is refused)
ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
CODE_BODY = 9                       #: symbols carrying the instructor's HMAC (45 bits)
CODE_LENGTH = CODE_BODY + 1         #: ... and one check symbol
EXAMPLE_ID = "example"              #: the id of the example numbers (a cell without id and code)
EXAMPLE_CODE = "EXAMP1E005"         #: its code (public; fits EXAMPLE_ID)
STUDENT_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}")
#: the output type the hidden tests use to hand what your code computed on ``MY`` to the grader
REPORT_MIME = "application/vnd.backprop-personal+json"


# --------------------------------------------------------------------------- codes
def valid_student_id(student_id) -> bool:
    """Letters, digits and ``. _ @ + -``, starting with a letter or digit, at most 64 characters (the case of the
    letters does not matter: ``S123`` and ``s123`` are one student)."""
    return isinstance(student_id, str) and STUDENT_ID.fullmatch(student_id) is not None


def check_symbol(student_id: str, body: str) -> str:
    r"""The check symbol of a code: :math:`c = (h(\mathrm{id}) + \sum_i (2i+1)\,v_i) \bmod 32`.

    ``v_i`` are the values of the body's symbols and ``h`` the first byte of a SHA-256 of the id. The odd
    weights make every single mistyped symbol change ``c`` (32 is a power of two); the id term makes a code
    fit one id only (a wrong id is caught 31 times in 32).
    """
    total = hashlib.sha256(("backprop-personal-check\0" + student_id.lower()).encode()).digest()[0]
    for i, symbol in enumerate(body):
        total += (2 * i + 1) * ALPHABET.index(symbol)
    return ALPHABET[total % 32]


def normalise_code(student_id: str, code: str) -> str:
    """The code in canonical form (capitals, no dashes or spaces; ``O`` read as 0, ``I``/``L`` as 1), after
    checking that it fits ``student_id``; ``ValueError`` with a plain message otherwise."""
    if not isinstance(code, str):
        raise TypeError(f"the personal code must be a string, like \"7KQ2M-X9D4P\"; got {type(code).__name__}")
    text = re.sub(r"[\s-]", "", code).upper().translate(str.maketrans("OIL", "011"))
    bad = sorted(set(ch for ch in text if ch not in ALPHABET))
    if bad or len(text) != CODE_LENGTH:
        what = f"the characters {''.join(bad)!r} cannot occur in it" if bad else f"it has {len(text)} symbols"
        raise ValueError(f"the personal code {code!r} is not a code: it is {CODE_LENGTH} letters and digits "
                         f"(like 7KQ2M-X9D4P), and {what}; copy it again from your instructor's message")
    if check_symbol(student_id, text[:-1]) != text[-1]:
        raise ValueError(f"the personal code {code!r} does not fit the student id {student_id!r}: one of them "
                         "has a typo (check both against your instructor's message)")
    return text


# --------------------------------------------------------------------------- deterministic draws
class _Draws:
    """Uniform integers from HMAC-SHA256(key = code, message = assignment, id, block number), 32 bits each."""

    def __init__(self, code: str, assignment: str, student_id: str):
        self.key = code.encode()
        self.prefix = f"backprop-personal\0{assignment}\0{student_id.lower()}\0".encode()
        self.block, self.words = 0, []

    def integer(self, n: int) -> int:
        """One of ``0 .. n-1`` (bias below ``n / 2**32``)."""
        if not self.words:
            digest = hmac.new(self.key, self.prefix + str(self.block).encode(), hashlib.sha256).digest()
            self.words = [int.from_bytes(digest[i:i + 4], "big") for i in range(0, 32, 4)]
            self.block += 1
        return self.words.pop(0) % n

    def grid(self, low: float, high: float) -> float:
        """A multiple of 0.01 in ``[low, high]`` (short numbers, easy to read and to type)."""
        lo, hi = round(low * 100), round(high * 100)
        return (lo + self.integer(hi - lo + 1)) / 100

    def signed(self, low: float, high: float) -> float:
        """``± grid(low, high)``: a magnitude in ``[low, high]`` with either sign."""
        return self.grid(low, high) * (1 if self.integer(2) else -1)

    def array(self, shape, draw) -> np.ndarray:
        return np.array([draw() for _ in range(int(np.prod(shape)))], dtype=float).reshape(shape)


def _worked_example_221(d: _Draws) -> dict:
    r"""The backprop lecture's 2-2-1 sigmoid network with your own weights, input, target and learning rate.

    Ranges: :math:`|x_i| \in [0.3, 0.9]`, :math:`|w_i| \in [0.3, 0.6]`, :math:`b_i \in [-0.3, 0.3]`,
    :math:`y \in \{0, 1\}`, :math:`\eta \in \{0.5, 1\}`. Hence every :math:`|s_i| \le 1.5` (each sigmoid
    between 0.18 and 0.82: not saturated), :math:`|\delta_3| \ge 0.027`, and the smallest gradient,
    :math:`|\partial E/\partial w_1| \ge 0.027 \cdot 0.3 \cdot 0.149 \cdot 0.3 \approx 3.6\cdot10^{-4}`, is
    visible at four decimals, as is :math:`\eta` times it after one step.
    """
    x = (d.signed(0.30, 0.90), d.signed(0.30, 0.90))
    y = float(d.integer(2))
    w = tuple(d.signed(0.30, 0.60) for _ in range(6))
    b = tuple(d.grid(-0.30, 0.30) for _ in range(3))
    eta = (0.5, 1.0)[d.integer(2)]
    values = dict(zip(("w1", "w2", "w3", "w4", "w5", "w6", "b1", "b2", "b3"), w + b))
    return {"x": x, "y": y, "w": w, "b": b, "eta": eta,
            "params": build_params(values, LECTURE_221_LAYOUT, LECTURE_221_SHAPES)}


def _forward_231(d: _Draws) -> dict:
    r"""A 2-3-1 network (hidden units sigmoid or tanh, a sigmoid output) and a batch of three inputs.

    Ranges: :math:`|W^1_{ij}| \in [0.2, 0.7]`, :math:`|W^2_{j}| \in [0.2, 0.5]`, biases in
    :math:`[-0.2, 0.2]`, inputs in :math:`[-1, 1]`: every :math:`|z| \le 1.7`, so no sigmoid is saturated
    (outputs between 0.15 and 0.85).
    """
    params = {"W1": d.array((2, 3), lambda: d.signed(0.20, 0.70)), "b1": d.array((3,), lambda: d.grid(-0.20, 0.20)),
              "W2": d.array((3, 1), lambda: d.signed(0.20, 0.50)), "b2": d.array((1,), lambda: d.grid(-0.20, 0.20))}
    X = d.array((3, 2), lambda: d.grid(-1.0, 1.0))
    return {"params": params, "X": X, "activations": [("sigmoid", "tanh")[d.integer(2)], "sigmoid"]}


#: assignment -> how its personal numbers are drawn (scikit-learn-like lookup table)
DRAWS = {"02_xor_forward": _forward_231, "04_backprop": _worked_example_221}
PERSONALISED = tuple(DRAWS)


class Numbers(dict):
    """A student's numbers for one assignment (a dict), with ``assignment``, ``student_id``, ``code`` and
    ``example`` (True for the example numbers) as attributes."""

    def __init__(self, values: dict, assignment: str, student_id: str, code: str, example: bool):
        super().__init__(values)
        self.assignment, self.student_id, self.code, self.example = assignment, student_id, code, example

    def __repr__(self) -> str:
        def show(v):
            if isinstance(v, dict):
                return "{" + ", ".join(f"{k!r}: {show(a)}" for k, a in v.items()) + "}"
            if isinstance(v, np.ndarray):
                return np.array2string(v, separator=", ").replace("\n", "")
            return repr(v)

        whose = "the example numbers (the same for everyone)" if self.example else f"student {self.student_id}"
        lines = [f"{self.assignment}, {whose}:"] + [f"  {k} = {show(v)}" for k, v in self.items()]
        return "\n".join(lines)


def numbers(assignment: str, student_id: str = "", code: str = "") -> Numbers:
    """Your numbers for ``assignment``, from your student id and personal code (both empty: the example's).

    ``ValueError`` names what is wrong: an assignment without personal numbers, an id without a code (or the
    other way round), an id with unusual characters, a code that is mistyped or belongs to another id.
    """
    if assignment not in DRAWS:
        raise ValueError(f"no personal numbers for assignment {assignment!r}; personalised assignments: "
                         f"{', '.join(PERSONALISED)}")
    student_id = student_id.strip() if isinstance(student_id, str) else student_id
    code = code.strip() if isinstance(code, str) else code
    example = not student_id and not code
    if example:
        student_id, code = EXAMPLE_ID, EXAMPLE_CODE
        print("No student id and code set: these are the example numbers, the same for everyone. Type your "
              "student id and personal code in this cell to get yours (they are what the grader uses).")
    elif not student_id or not code:
        missing = "personal code" if student_id else "student id"
        raise ValueError(f"set both your student id and your personal code (the {missing} is missing)")
    if not valid_student_id(student_id):
        raise ValueError(f"{student_id!r} does not look like a student id (letters, digits and . _ @ + -)")
    code = normalise_code(student_id, code)
    values = DRAWS[assignment](_Draws(code, assignment, student_id))
    return Numbers(values, assignment, student_id, code, example)


# --------------------------------------------------------------------------- for the grader
def report(case: str, my, compute) -> None:
    """Hand the grader what the notebook's own code computes on the notebook's own numbers ``my``.

    Called by hidden tests: ``compute(my)`` runs the student's function on ``my``; its result (or the
    error's name) and the id and code typed into the notebook are shown as an output of type
    :data:`REPORT_MIME`, which the grader compares, outside the kernel, with every classmate's reference
    (a notebook copied from someone else computes their numbers). Never raises.
    """
    from .assignments.checks import encode_cases

    payload = {"case": str(case)}
    if my is None or not hasattr(my, "items"):
        payload["missing"] = True
    else:
        payload.update(student_id=str(getattr(my, "student_id", "")), code=str(getattr(my, "code", "")),
                       example=bool(getattr(my, "example", False)))
        try:
            payload["values"] = encode_cases(compute(my))
        except Exception as exc:  # noqa: BLE001 -- the student's code may fail in any way; the test says how
            payload["error"] = type(exc).__name__
    try:
        from IPython.display import display

        display({REPORT_MIME: payload, "text/plain": f"(recorded for the grader: {payload['case']})"}, raw=True)
    except Exception:  # noqa: BLE001 -- outside IPython there is nobody to report to
        pass
