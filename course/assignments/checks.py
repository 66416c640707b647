r"""Comparison helpers used by the assignments' tests: clear failure messages, nothing else.

Every check raises ``AssertionError`` with a message that names the call that failed, the
input it was given, the expected value and what your code returned, e.g.::

    predict(w, X) on case 3 of 20: wrong value at index (1,): expected 1.0, got 0.0
      inputs: w = [-0.3  1.2 -0.7], X = [[0.5 1.1], [-0.2 0.4]]

The grader's hidden tests use the same helpers; their cases (inputs with expected outputs)
arrive as a string made by :func:`encode_cases` and are read back by :func:`decode_cases`.
This module contains no answers.
"""
from __future__ import annotations

import base64
import json
import numbers

import numpy as np

__all__ = ["assert_close", "assert_close_dict", "assert_dict", "assert_equal", "assert_shape", "assert_type",
           "unpack", "call_without_warnings", "describe", "encode_cases", "decode_cases", "LIMIT"]

_PRINT = dict(precision=6, threshold=60, edgeitems=3, linewidth=100)

#: how many wrong entries a failure lists (the count says how many there are in all)
LIMIT = 10


def _fmt(value) -> str:
    """A short one-line text for a value (arrays are summarised, long ones truncated)."""
    if isinstance(value, np.ndarray):
        with np.printoptions(**_PRINT):
            text = np.array2string(value, separator=" ")
    else:
        text = repr(value)
    text = " ".join(text.split())
    return text if len(text) <= 300 else text[:297] + "..."


def describe(inputs) -> str:
    """``"name = value, ..."`` for a dict of inputs (arrays abbreviated), or ``""`` for ``None``."""
    if not inputs:
        return ""
    return ", ".join(f"{k} = {_fmt(v)}" for k, v in inputs.items())


def _fail(what: str, problem: str, inputs) -> None:
    lines = [f"{what}: {problem}"]
    if inputs:
        lines.append(f"  inputs: {describe(inputs)}")
    raise AssertionError("\n".join(lines))


def _as_array(got, what, inputs):
    if got is None:
        _fail(what, "returned None (is a `return` statement missing?)", inputs)
    if isinstance(got, (dict, str, bytes)):
        _fail(what, f"returned a {type(got).__name__} where a number or an array of numbers is expected", inputs)
    try:
        return np.asarray(got, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        _fail(what, f"returned {type(got).__name__} that is not a numeric array ({exc})", inputs)


def _item(a, idx):
    return np.asarray(a[idx] if np.ndim(a) else a).item()


def _wrong_entries(got, expected, ok) -> str:
    """Every wrong entry (at most :data:`LIMIT`), one line each: index, expected, got."""
    bad = [tuple(int(i) for i in idx) for idx in np.argwhere(~ok)] if np.ndim(ok) else [()]
    lines = [f"    at index {idx}: expected {_item(expected, idx)!r}, got {_item(got, idx)!r}" for idx in bad[:LIMIT]]
    if len(bad) > LIMIT:
        lines.append(f"    ... and {len(bad) - LIMIT} more")
    return "\n".join(lines)


def assert_shape(got, shape, what: str, inputs=None) -> None:
    """Fail unless ``np.shape(got) == shape``, naming both shapes."""
    got_shape = np.shape(got) if got is not None else None
    if got is None or tuple(got_shape) != tuple(shape):
        _fail(what, f"wrong shape: expected {tuple(shape)}, got "
                    f"{'None' if got is None else tuple(got_shape)}", inputs)


def _same_shape(got_arr, expected, what, inputs) -> None:
    if got_arr.shape != expected.shape:
        _fail(what, f"wrong shape: expected {expected.shape}, got {got_arr.shape}\n"
                    f"  whole result: expected {_fmt(expected)}, got {_fmt(got_arr)}", inputs)


def assert_close(got, expected, what: str, inputs=None, rtol: float = 1e-6, atol: float = 1e-9) -> None:
    r"""Fail unless ``got`` has ``expected``'s shape and :math:`|got - expected| \le atol + rtol |expected|`.

    NaN or infinite values in ``got`` fail (unless ``expected`` has them at the same place).
    """
    expected = np.asarray(expected, dtype=np.float64)
    got_arr = _as_array(got, what, inputs)
    _same_shape(got_arr, expected, what, inputs)
    ok = np.isclose(got_arr, expected, rtol=rtol, atol=atol, equal_nan=True)
    if not np.all(ok):
        bad = tuple(int(i) for i in np.argwhere(~ok)[0]) if expected.ndim else ()
        n_bad = int(np.size(ok) - np.count_nonzero(ok))
        where = f" at index {bad}" if expected.ndim else ""
        every = f"\n  wrong entries:\n{_wrong_entries(got_arr, expected, ok)}" if n_bad > 1 else ""
        _fail(what, f"wrong value{where} ({n_bad} of {ok.size} entries differ): expected "
                    f"{np.asarray(expected[bad]).item()!r}, got {np.asarray(got_arr[bad]).item()!r}{every}\n"
                    f"  whole result: expected {_fmt(expected)}, got {_fmt(got_arr)}", inputs)


def _kind(expected) -> str:
    """How a type is named in a hint: ``"a dict"``, ``"a Value"``, ``"a float or an int"``."""
    kinds = expected if isinstance(expected, tuple) else (expected,)
    return " or ".join(f"{'an' if k.__name__[0] in 'aeiouAEIOU' else 'a'} {k.__name__}" for k in kinds)


def assert_type(got, expected, what: str, inputs=None):
    """Fail unless ``got`` is an instance of ``expected`` (a type or a tuple of types); return ``got``.

    ``None`` gets the hint that a ``return`` statement may be missing; another type is named.
    """
    if isinstance(got, expected):
        return got
    if got is None:
        _fail(what, f"returned None (is a `return` statement missing?); it must return {_kind(expected)}", inputs)
    _fail(what, f"returned a {type(got).__name__}; it must return {_kind(expected)}", inputs)


def unpack(got, names, what: str, inputs=None) -> tuple:
    """``tuple(got)`` when ``got`` holds one value per name in ``names`` (as ``a, b = got`` would unpack it).

    Fails in plain words for ``None`` (a missing ``return``), a single value, or the wrong number of values::

        train_minibatch(...): returned None (is a `return` statement missing?); it must return the pair (params, losses)
    """
    shape = f"the {'pair' if len(names) == 2 else 'tuple'} ({', '.join(names)})"
    if got is None:
        _fail(what, f"returned None (is a `return` statement missing?); it must return {shape}", inputs)
    if isinstance(got, (dict, str, bytes)):
        _fail(what, f"returned a {type(got).__name__}; it must return {shape}", inputs)
    try:
        values = tuple(got)
    except TypeError:
        _fail(what, f"returned a {type(got).__name__}; it must return {shape}", inputs)
    if len(values) != len(names):
        _fail(what, f"returned {len(values)} values; it must return {shape}", inputs)
    return values


def assert_dict(got, keys, what: str, inputs=None) -> dict:
    """Fail unless ``got`` is a dict holding every key in ``keys``; return ``got``.

    The message says in plain words what is wrong: ``None`` (a missing ``return``), another type, or which keys
    are missing (and which the dict has).
    """
    keys = list(keys)
    listed = ", ".join(map(str, keys))
    if got is None:
        _fail(what, f"returned None (is a `return` statement missing?); it must return a dict with the keys {listed}",
              inputs)
    if not isinstance(got, dict):
        _fail(what, f"returned a {type(got).__name__}; it must return a dict with the keys {listed}", inputs)
    missing = [k for k in keys if k not in got]
    if missing:
        _fail(what, f"the result has no key {', '.join(repr(k) for k in missing)} (it must have the keys "
                    f"{listed}; it has {', '.join(map(str, got)) or 'none'})", inputs)
    return got


def assert_close_dict(got, expected: dict, what: str, inputs=None, rtol: float = 1e-6, atol: float = 1e-9,
                      label=lambda key: f"[{key!r}]") -> None:
    """Fail unless ``got`` is a dict with every key of ``expected``, each value close to the expected one.

    The message names *every* wrong key (at most :data:`LIMIT`) with its expected and returned value, or
    says in plain words what is wrong with the result itself: ``None`` (a missing ``return``), another
    type, or missing keys (:func:`assert_dict`). ``label(key)`` is how a key is written in the message.
    """
    assert_dict(got, expected, what, inputs)
    wrong = []
    for key, value in expected.items():
        value = np.asarray(value, dtype=np.float64)
        item = got[key]
        if item is None or isinstance(item, (dict, str, bytes)):
            wrong.append(f"  {label(key)}: expected {_fmt(value)}, got {item!r} (a number or array is needed)")
            continue
        try:
            arr = np.asarray(item, dtype=np.float64)
        except (TypeError, ValueError):
            wrong.append(f"  {label(key)}: expected {_fmt(value)}, got a {type(item).__name__}")
            continue
        if arr.shape != value.shape:
            wrong.append(f"  {label(key)}: wrong shape, expected {value.shape}, got {arr.shape}")
            continue
        ok = np.isclose(arr, value, rtol=rtol, atol=atol, equal_nan=True)
        if not np.all(ok):
            if value.ndim == 0:
                wrong.append(f"  {label(key)}: expected {value.item()!r}, got {arr.item()!r}")
            else:
                n_bad = int(ok.size - np.count_nonzero(ok))
                wrong.append(f"  {label(key)}: {n_bad} of {ok.size} entries differ\n{_wrong_entries(arr, value, ok)}")
    if wrong:
        shown = wrong[:LIMIT] + ([f"  ... and {len(wrong) - LIMIT} more"] if len(wrong) > LIMIT else [])
        _fail(what, f"{len(wrong)} of {len(expected)} values are wrong:\n" + "\n".join(shown), inputs)


def assert_equal(got, expected, what: str, inputs=None) -> None:
    """Fail unless ``got`` equals ``expected`` exactly (same shape, same values; for labels, counts, flags)."""
    if isinstance(expected, bool):
        if not isinstance(got, (bool, np.bool_)) or bool(got) != expected:
            _fail(what, f"expected {expected!r}, got {got!r}", inputs)
        return
    # Compare values, never through ``got``'s own ``==``/``!=`` (an object can claim to equal anything).
    if expected is None:
        if got is not None:
            _fail(what, f"expected None, got {got!r}", inputs)
        return
    if isinstance(expected, str):
        if type(got) is not str or got != expected:
            _fail(what, f"expected {expected!r}, got {got!r}", inputs)
        return
    if isinstance(expected, int):
        if (isinstance(got, (bool, np.bool_)) or not isinstance(got, numbers.Real)
                or float(got) != float(expected)):
            _fail(what, f"expected {expected!r}, got {got!r}", inputs)
        return
    expected = np.asarray(expected)
    got_arr = _as_array(got, what, inputs)
    _same_shape(got_arr, expected, what, inputs)
    same = got_arr == expected
    if not np.all(same):
        bad = tuple(int(i) for i in np.argwhere(~same)[0]) if expected.ndim else ()
        _fail(what, f"wrong value at index {bad}: expected {np.asarray(expected[bad]).item()!r}, got {np.asarray(got_arr[bad]).item()!r}; "
                    f"whole result: expected {_fmt(expected)}, got {_fmt(got_arr)}", inputs)


def call_without_warnings(fn, *args, what: str = None, inputs=None, **kwargs):
    """``fn(*args, **kwargs)``, failing if it emits any warning (e.g. numpy's "overflow in exp").

    Numerically stable code gives finite results for huge inputs without warnings.
    """
    import warnings

    what = what or f"{getattr(fn, '__name__', 'function')}(...)"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        result = fn(*args, **kwargs)
    if caught:
        first = caught[0]
        _fail(what, f"emitted {first.category.__name__}: {first.message} (not numerically stable)", inputs)
    return result


# --------------------------------------------------------------------------- case encoding
def _encode(value):
    if isinstance(value, np.ndarray):
        arr = np.asarray(value)  # tobytes() below writes C order; keeps 0-d arrays 0-d
        if arr.dtype.kind not in "biuf":
            raise TypeError(f"cannot encode an array of dtype {arr.dtype}")
        dtype = {"b": "|b1", "i": "<i8", "u": "<i8", "f": "<f8"}[arr.dtype.kind]
        data = arr.astype(dtype).tobytes()
        return {"__ndarray__": base64.b64encode(data).decode("ascii"), "dtype": dtype, "shape": list(arr.shape)}
    if isinstance(value, dict):
        return {str(k): _encode(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_encode(v) for v in value]
    if isinstance(value, (np.floating, np.integer, np.bool_)):
        return value.item()
    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    raise TypeError(f"cannot encode a value of type {type(value).__name__}")


def _decode(value):
    if isinstance(value, dict):
        if "__ndarray__" in value:
            raw = base64.b64decode(value["__ndarray__"])
            return np.frombuffer(raw, dtype=value["dtype"]).reshape(value["shape"]).copy()
        return {k: _decode(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_decode(v) for v in value]
    return value


def encode_cases(cases) -> str:
    """A deterministic text form of ``cases`` (dicts/lists of arrays and scalars); arrays are stored exactly."""
    return json.dumps(_encode(cases), sort_keys=True, separators=(",", ":"), allow_nan=False)


def decode_cases(text: str):
    """The inverse of :func:`encode_cases`."""
    return _decode(json.loads(text))
