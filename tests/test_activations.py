"""Activations: every derivative against central finite differences and against an independent
sympy oracle (expressions written here from the textbook definitions, never derived from our code),
kink conventions, numerical stability, softmax/log-softmax Jacobians and VJPs, maxout, the registry.
"""
import math
import warnings

import mpmath as mp
import numpy as np
import pytest
import sympy as sp

from solutions import activations as A

Z = sp.Symbol("z", real=True)


# --------------------------------------------------------------------------- the oracle
def _sig(x):
    return 1 / (1 + sp.exp(-x))


def _softplus(x):
    return sp.log(1 + sp.exp(x))


#: name -> (params for our function, sympy expression in Z, kink locations, digits the tail needs at z).
#: Each expression is the textbook definition, typed independently of solutions/activations.py.
def _cases():
    c = {}

    def add(label, name, params, expr, kinks=(), tail_digits=lambda z: 0.87 * 2 * abs(z)):
        c[label] = (name, params, expr, tuple(kinks), tail_digits)

    add("identity", "identity", {}, Z)
    add("step", "step", {"threshold": 0.0}, sp.Piecewise((0, Z < 0), (1, True)), kinks=[0.0])
    add("step[threshold=0.5]", "step", {"threshold": 0.5}, sp.Piecewise((0, Z < sp.Rational(1, 2)), (1, True)),
        kinks=[0.5])
    add("sign", "sign", {}, sp.Piecewise((-1, Z < 0), (1, True)), kinks=[0.0])
    add("sigmoid", "sigmoid", {}, _sig(Z))
    add("tanh", "tanh", {}, (sp.exp(Z) - sp.exp(-Z)) / (sp.exp(Z) + sp.exp(-Z)))
    add("relu", "relu", {}, sp.Piecewise((0, Z < 0), (Z, True)), kinks=[0.0])
    for s in (sp.Rational(1, 10), sp.Rational(1, 100), sp.Rational(3, 10)):
        add(f"leaky_relu[slope={float(s)}]", "leaky_relu", {"slope": float(s)},
            sp.Piecewise((s * Z, Z < 0), (Z, True)), kinks=[0.0])
    for a in (sp.Rational(1, 4), sp.Rational(-1, 2), sp.Rational(7, 10)):
        add(f"prelu[a={float(a)}]", "prelu", {"a": float(a)}, sp.Piecewise((a * Z, Z < 0), (Z, True)), kinks=[0.0])
    for al in (sp.Integer(1), sp.Rational(1, 2), sp.Integer(2)):
        add(f"elu[alpha={float(al)}]", "elu", {"alpha": float(al)},
            sp.Piecewise((al * (sp.exp(Z) - 1), Z < 0), (Z, True)), kinks=[0.0])
    add("softplus", "softplus", {}, _softplus(Z))
    add("softsign", "softsign", {}, Z / (1 + sp.Abs(Z)))
    add("log_sigmoid", "log_sigmoid", {}, sp.log(1 / (1 + sp.exp(-Z))))
    for b in (sp.Integer(1), sp.Rational(1, 2), sp.Integer(2)):
        add(f"swish[beta={float(b)}]", "swish", {"beta": float(b)}, Z / (1 + sp.exp(-b * Z)))
    add("gelu", "gelu", {}, Z / 2 * (1 + sp.erf(Z / sp.sqrt(2))), tail_digits=lambda z: 0.22 * z * z + 2 * abs(z))
    u = sp.sqrt(2 / sp.pi) * (Z + sp.Rational(44715, 10 ** 6) * Z ** 3)
    add("gelu_tanh", "gelu_tanh", {}, Z / 2 * (1 + sp.tanh(u)),
        tail_digits=lambda z: 0.87 * 2 * 0.8 * (abs(z) + 0.045 * abs(z) ** 3) + 2 * abs(z))
    add("mish", "mish", {}, Z * sp.tanh(_softplus(Z)))
    add("sinc", "sinc", {}, sp.sin(Z) / Z, tail_digits=lambda z: 0)
    for lo, hi in ((-1, 1), (0, 6), (sp.Rational(-1, 2), 2)):
        add(f"clip[{float(lo)},{float(hi)}]", "clip", {"low": float(lo), "high": float(hi)},
            sp.Piecewise((lo, Z < lo), (hi, Z > hi), (Z, True)), kinks=[float(lo), float(hi)])
    return c


CASES = _cases()
ORACLE_DIGITS_CAP = 1200  # points whose exact tail needs more digits are covered by test_far_tails_*


def test_every_registered_activation_has_an_oracle():
    assert {name for name, *_ in CASES.values()} == set(A.ACTIVATIONS)


_LAMBDAS = {}


def _oracle(label):
    """mpmath callables for f and f' from the sympy expression (cached)."""
    if label not in _LAMBDAS:
        expr = CASES[label][2]
        _LAMBDAS[label] = (sp.lambdify(Z, expr, "mpmath"), sp.lambdify(Z, sp.diff(expr, Z), "mpmath"))
    return _LAMBDAS[label]


def _exact(fn, z, digits):
    """fn(z) in mpmath at ``digits`` significant digits, checked to have converged (same at digits + 40)."""
    if z == 0:  # removable singularity (sinc): use the limit
        return mp.limit(fn, 0)
    with mp.workdps(digits):
        v1 = fn(mp.mpf(float(z)))
    with mp.workdps(digits + 40):
        v2 = fn(mp.mpf(float(z)))
    assert abs(v1 - v2) <= mp.mpf(10) ** (-30) * abs(v2) + mp.mpf(10) ** (-320), (fn, z)
    return v2


def _points(kinks, extra=()):
    """Many points: a dense grid on [-8, 8] that avoids every kink, points 1e-3 and 1e-7 either side of each
    kink, moderately large |z| (tails) and ``extra``."""
    grid = np.linspace(-8, 8, 41) + 0.0123
    near = [k + s * d for k in kinks for d in (1e-3, 1e-7) for s in (-1, 1)]
    large = [s * v for v in (12.0, 25.0, 37.5, 50.0) for s in (-1, 1)]
    pts = np.concatenate([grid, near, large, extra])
    return pts[[min((abs(p - k) for k in kinks), default=1.0) > 0 for p in pts]]


def _close(ours, exact, z, sinc_like=False):
    """Relative accuracy 1e-12, plus an absolute floor: 1e-15 where an O(1) computation can cross zero
    (|z| <= 8), 1e-15/|z| for sinc's zeros, 1e-300 (underflow) in the tails."""
    floor = 1e-15 / max(1.0, abs(z)) if sinc_like else (1e-15 if abs(z) <= 8 else 1e-300)
    return abs(mp.mpf(float(ours)) - exact) <= 1e-12 * abs(exact) + floor


@pytest.mark.parametrize("label", list(CASES))
def test_function_and_derivative_match_sympy(label):
    name, params, _, kinks, tail_digits = CASES[label]
    f, df = _oracle(label)
    act = A.get(name, **params)
    sinc_extra = (1e3, -1e3, 1e4, -1e4, 0.0, 1e-3, -2e-3, 1e-2, -0.05, 0.3, 0.999, -1.001)
    pts = _points(kinks, extra=sinc_extra if name == "sinc" else ())
    pts = [p for p in pts if tail_digits(p) < ORACLE_DIGITS_CAP]
    assert len(pts) >= 43
    ours_f, ours_df = act(np.array(pts)), act.grad(np.array(pts))
    bad = []
    for z, a, da in zip(pts, ours_f, ours_df):
        digits = 40 + int(tail_digits(z))
        ef, edf = _exact(f, z, digits), _exact(df, z, digits)
        if not _close(a, ef, z, name == "sinc"):
            bad.append(("f", z, a, float(ef)))
        if not _close(da, edf, z, name == "sinc"):
            bad.append(("f'", z, da, float(edf)))
    assert not bad, bad[:5]


def _central_difference(f, z, kinks):
    """Central difference with a step well inside the smooth piece containing z."""
    h = min(1e-6 * max(1.0, abs(z)), 1e-4, min((abs(z - k) for k in kinks), default=1.0) / 4)
    zp, zm = z + h, z - h
    return (f(zp) - f(zm)) / (zp - zm), h


@pytest.mark.parametrize("label", list(CASES))
def test_derivative_matches_finite_differences(label):
    name, params, _, kinks, _ = CASES[label]
    act = A.get(name, **params)
    pts = _points(kinks, extra=(700.0, -700.0, 1e3, -1e3, 1e4, -1e4))
    bad = []
    for z in pts:
        fd, h = _central_difference(lambda t: float(act(t)), float(z), kinks)
        an = float(act.grad(z))
        roundoff = 10 * np.finfo(float).eps * max(1.0, abs(float(act(z)))) / h
        if abs(fd - an) > 1e-6 * abs(an) + 1e-9 + roundoff:
            bad.append((z, an, fd))
    assert not bad, bad[:5]


def test_prelu_derivative_with_respect_to_its_slope_matches_sympy_and_fd():
    a = sp.Symbol("a", real=True)
    d_da = sp.lambdify((Z, a), sp.diff(sp.Piecewise((a * Z, Z < 0), (Z, True)), a), "mpmath")
    z = _points([0.0])
    for slope in (0.25, -0.5):
        ours = A.prelu_grad_a(z, slope)
        assert all(abs(o - float(d_da(mp.mpf(zi), mp.mpf(slope)))) <= 1e-15 * abs(zi) for zi, o in zip(z, ours))
        h = 1e-6
        fd = (A.prelu(z, slope + h) - A.prelu(z, slope - h)) / (2 * h)
        np.testing.assert_allclose(ours, fd, rtol=1e-7, atol=1e-9)


def test_prelu_accepts_one_slope_per_unit():
    z = np.array([[-1.0, -2.0, 3.0], [2.0, -4.0, -1.0]])
    a = np.array([0.1, 0.2, 0.3])
    np.testing.assert_array_equal(A.prelu(z, a), [[-0.1, -0.4, 3.0], [2.0, -0.8, -0.3]])
    np.testing.assert_array_equal(A.prelu_grad(z, a), [[0.1, 0.2, 1.0], [1.0, 0.2, 0.3]])


# --------------------------------------------------------------------------- kinks and limits
KINKED = [label for label, (_, _, _, kinks, _) in CASES.items() if kinks and not label.startswith(("step", "sign"))]


def _one_sided_derivative(expr, k, side):
    """Derivative at the kink k of the Piecewise piece that holds just left (side=-1) or right (+1) of k."""
    kk = sp.nsimplify(k)
    for piece, cond in expr.args:
        if cond.subs(Z, kk + side * sp.Rational(1, 10 ** 9)) == sp.true:
            return float(sp.diff(piece, Z).subs(Z, kk))
    raise AssertionError("no piece holds there")


@pytest.mark.parametrize("label", KINKED)
def test_derivative_at_a_kink_follows_the_documented_convention(label):
    """Rectifiers: the left-hand derivative; clip: 0 at both kinks (the one-sided derivative of the flat piece).
    One-sided derivatives come from the sympy pieces."""
    name, params, expr, kinks, _ = CASES[label]
    for k in kinks:
        left, right = _one_sided_derivative(expr, k, -1), _one_sided_derivative(expr, k, +1)
        # (ELU with alpha = 1 is in fact smooth at 0: left == right there)
        want = (left if k == params["low"] else right) if name == "clip" else left
        assert A.get(name, **params).grad(k) == want


def test_kink_conventions_stated_in_the_docs():
    assert A.relu_grad(0.0) == 0.0
    assert A.leaky_relu_grad(0.0) == 0.1 and A.leaky_relu_grad(0.0, slope=0.01) == 0.01
    assert A.prelu_grad(0.0, a=0.3) == 0.3
    assert A.elu_grad(0.0) == 1.0 and A.elu_grad(0.0, alpha=0.5) == 0.5
    assert A.clip_grad(-1.0) == 0.0 and A.clip_grad(1.0) == 0.0 and A.clip_grad(0.999) == 1.0
    assert A.step(0.0) == 1.0 and A.step(-1e-300) == 0.0 and A.step(0.5, threshold=0.5) == 1.0
    assert A.sign(0.0) == 1.0 and A.sign(-1e-300) == -1.0
    z = np.array([-2.0, -1e-9, 0.0, 1e-9, 2.0])
    for f in (A.step_grad, A.sign_grad):
        np.testing.assert_array_equal(f(z), 0.0)
    for doc in ("relu'(0) = 0", "leaky_relu'(0) = slope", "elu'(0) = alpha", "step'(z) = sign'(z) = 0"):
        assert doc in A.__doc__


def test_sinc_takes_its_limits_at_zero():
    assert sp.limit(sp.sin(Z) / Z, Z, 0) == 1 and sp.limit(sp.diff(sp.sin(Z) / Z, Z), Z, 0) == 0
    assert A.sinc(0.0) == 1.0 and A.sinc_grad(0.0) == 0.0
    # continuous through 0 (the Taylor branch for |z| < 1 joins the closed form smoothly)
    z = np.array([-1e-300, -1e-12, 1e-12, 1e-300])
    np.testing.assert_allclose(A.sinc(z), 1.0, rtol=0, atol=1e-15)
    np.testing.assert_allclose(A.sinc_grad(z), -z / 3, rtol=1e-15)
    edge = np.nextafter(1.0, 0.0)
    assert abs(A.sinc_grad(edge) - A.sinc_grad(1.0)) < 1e-15


# --------------------------------------------------------------------------- stability
BIG = np.array([-1e4, -1e3, -745.0, -710.0, -50.0, 0.0, 50.0, 710.0, 745.0, 1e3, 1e4])


@pytest.mark.parametrize("label", list(CASES))
def test_no_warning_nan_or_inf_for_large_inputs(label):
    name, params, *_ = CASES[label]
    act = A.get(name, **params)
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        for z in (BIG, BIG.reshape(1, -1, 1)):
            v, d = act(z), act.grad(z)
            assert v.shape == z.shape and d.shape == z.shape
            assert v.dtype == np.float64 and d.dtype == np.float64
            assert np.all(np.isfinite(v)) and np.all(np.isfinite(d))


def test_sigmoid_of_plus_minus_1000_is_exactly_one_and_zero_without_warnings():
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        assert A.sigmoid(1000.0) == 1.0
        assert A.sigmoid(-1000.0) == 0.0
        np.testing.assert_array_equal(A.sigmoid(np.array([-1e4, -1000.0, 1000.0, 1e4])), [0.0, 0.0, 1.0, 1.0])
        np.testing.assert_array_equal(A.sigmoid_grad(np.array([-1000.0, 1000.0])), [0.0, 0.0])
        assert A.log_sigmoid(-1e4) == -1e4 and A.softplus(1e4) == 1e4


def _asymptotes(name, p):
    """(slope, offset) of the line f approaches as z -> +inf and as z -> -inf: textbook limits."""
    g = p.get
    return {
        "identity": ((1, 0), (1, 0)), "step": ((0, 1), (0, 0)), "sign": ((0, 1), (0, -1)),
        "sigmoid": ((0, 1), (0, 0)), "tanh": ((0, 1), (0, -1)), "relu": ((1, 0), (0, 0)),
        "leaky_relu": ((1, 0), (g("slope"), 0)), "prelu": ((1, 0), (g("a"), 0)), "elu": ((1, 0), (0, -g("alpha", 1))),
        "softplus": ((1, 0), (0, 0)), "softsign": ((0, 1), (0, -1)), "log_sigmoid": ((0, 0), (1, 0)),
        "swish": ((1, 0), (0, 0)), "gelu": ((1, 0), (0, 0)), "gelu_tanh": ((1, 0), (0, 0)), "mish": ((1, 0), (0, 0)),
        "clip": ((0, g("high")), (0, g("low"))),
    }[name]


ASYMPTOTIC = [label for label, (name, *_rest) in CASES.items() if name != "sinc"]


@pytest.mark.parametrize("label", ASYMPTOTIC)
def test_far_tails_equal_the_asymptotes(label):
    """For |z| >= 700 every function here differs from its asymptote a z + b by less than |z| e^{-700}
    (softsign, whose tail is 1/|z|, is checked with its own tolerance), far below float64 resolution, so
    f(z) must equal a z + b and f'(z) must equal a. (sinc's large-|z| values are in the sympy test.)"""
    name, params, *_ = CASES[label]
    act = A.get(name, **params)
    for side, (a, b) in zip((1, -1), _asymptotes(name, params)):
        for z in (700.0, 1e3, 1e4):
            z *= side / min(1.0, params.get("beta", 1.0))  # swish's tail decays like e^{-beta |z|}
            if name == "softsign":
                assert act(z) == pytest.approx(b - side / (1 + abs(z)), rel=1e-15)
                assert act.grad(z) == pytest.approx(1 / (1 + abs(z)) ** 2, rel=1e-15)
                continue
            assert act(z) == pytest.approx(a * z + b, rel=1e-15, abs=1e-300)
            assert act.grad(z) == pytest.approx(a, rel=1e-15, abs=1e-300)


# --------------------------------------------------------------------------- softmax, log-softmax
def _numerical_jacobian(f, z, h=1e-6):
    J = np.empty((f(z).size, z.size))
    for j in range(z.size):
        e = np.zeros_like(z)
        e[j] = h
        J[:, j] = (f(z + e) - f(z - e)) / (2 * h)
    return J


@pytest.mark.parametrize("seed", range(4))
def test_softmax_and_log_softmax_jacobians_match_finite_differences(seed):
    z = np.random.default_rng(seed).normal(scale=3, size=seed + 2)
    np.testing.assert_allclose(A.softmax_jacobian(z), _numerical_jacobian(A.softmax, z), atol=1e-9)
    np.testing.assert_allclose(A.log_softmax_jacobian(z), _numerical_jacobian(A.log_softmax, z), atol=1e-8)


def test_softmax_jacobian_matches_sympy():
    zs = sp.symbols("z0:3", real=True)
    den = sum(sp.exp(v) for v in zs)
    soft = [sp.exp(v) / den for v in zs]
    J = sp.Matrix(3, 3, lambda i, j: sp.diff(soft[i], zs[j]))
    Jl = sp.Matrix(3, 3, lambda i, j: sp.diff(zs[i] - sp.log(den), zs[j]))
    point = np.array([0.3, -1.7, 2.2])
    sub = dict(zip(zs, point))
    np.testing.assert_allclose(A.softmax_jacobian(point), np.array(J.subs(sub).evalf(30), dtype=float),
                               rtol=1e-14, atol=1e-16)
    np.testing.assert_allclose(A.log_softmax_jacobian(point), np.array(Jl.subs(sub).evalf(30), dtype=float),
                               rtol=1e-14, atol=1e-16)


@pytest.mark.parametrize("axis", [-1, 0, 1])
def test_vjps_match_finite_differences_of_v_dot_f(axis):
    rng = np.random.default_rng(axis + 7)
    z, v = rng.normal(scale=2, size=(4, 3)), rng.normal(size=(4, 3))
    for f, vjp in ((A.softmax, A.softmax_vjp), (A.log_softmax, A.log_softmax_vjp)):
        fd = _numerical_jacobian(lambda t: np.atleast_1d(np.sum(v * f(t.reshape(4, 3), axis=axis))), z.ravel())
        np.testing.assert_allclose(vjp(z, v, axis=axis), fd.reshape(4, 3), atol=1e-8)


def test_vjps_equal_jacobian_transpose_times_v():
    rng = np.random.default_rng(3)
    z, v = rng.normal(size=5), rng.normal(size=5)
    np.testing.assert_allclose(A.softmax_vjp(z, v), A.softmax_jacobian(z).T @ v, rtol=1e-13, atol=1e-15)
    np.testing.assert_allclose(A.log_softmax_vjp(z, v), A.log_softmax_jacobian(z).T @ v, rtol=1e-13, atol=1e-15)


def test_softmax_is_stable_and_normalised():
    with warnings.catch_warnings(), np.errstate(over="raise", invalid="raise", divide="raise"):
        warnings.simplefilter("error")
        z = np.array([[1e4, 0.0, -1e4], [-1e4, -1e4 + 1.0, -1e4], [1000.0, 1000.0, 1000.0]])
        s, ls = A.softmax(z), A.log_softmax(z)
        assert np.all(np.isfinite(s)) and np.all(np.isfinite(ls))
        np.testing.assert_allclose(s.sum(axis=1), 1.0, rtol=1e-15)
        np.testing.assert_allclose(s[2], 1 / 3)
        c = math.log1p(2 * math.exp(-1.0))
        np.testing.assert_allclose(ls[1], [-1 - c, -c, -1 - c], rtol=1e-15)
        np.testing.assert_allclose(np.exp(ls), s, rtol=1e-14)
        # shift invariance
        np.testing.assert_allclose(A.softmax(z[1] + 1e4), A.softmax(z[1]), rtol=1e-14)
        # -inf masks a class out
        np.testing.assert_array_equal(A.softmax(np.array([-np.inf, 0.0, 0.0])), [0.0, 0.5, 0.5])


def test_log_softmax_values_against_mpmath():
    z = np.array([-1e4, -1e4 + 1.0, -1e4, 3.0])
    with mp.workdps(50):
        zs = [mp.mpf(v) for v in z]
        lse = mp.log(mp.fsum(mp.exp(v) for v in zs))
        want = [float(v - lse) for v in zs]
    np.testing.assert_allclose(A.log_softmax(z), want, rtol=1e-15)


# --------------------------------------------------------------------------- maxout
def test_maxout_values_and_gradient_routing():
    z = np.array([[1.0, 3.0, -2.0, 0.5, 4.0, 4.5], [0.0, -1.0, 2.0, 2.5, -3.0, -4.0]])
    np.testing.assert_array_equal(A.maxout(z, 2), [[3.0, 0.5, 4.5], [0.0, 2.5, -3.0]])
    np.testing.assert_array_equal(A.maxout(z, 3), [[3.0, 4.5], [2.0, 2.5]])
    np.testing.assert_array_equal(A.maxout_grad(z, 2), [[0, 1, 0, 1, 0, 1], [1, 0, 0, 1, 1, 0]])
    np.testing.assert_array_equal(A.maxout(z, 1), z)  # one piece: identity


def test_maxout_backward_rule_matches_finite_differences():
    rng = np.random.default_rng(0)
    z, dh = rng.normal(size=(3, 8)), rng.normal(size=(3, 4))  # no ties almost surely
    analytic = A.maxout_grad(z, 2) * np.repeat(dh, 2, axis=-1)
    fd = _numerical_jacobian(lambda t: np.atleast_1d(np.sum(dh * A.maxout(t.reshape(3, 8), 2))), z.ravel())
    np.testing.assert_allclose(analytic, fd.reshape(3, 8), atol=1e-9)


def test_maxout_ties_go_to_the_first_piece_and_errors_name_the_problem():
    np.testing.assert_array_equal(A.maxout_grad(np.array([2.0, 2.0, 1.0, 1.0]), 2), [1, 0, 1, 0])
    with pytest.raises(ValueError, match=r"last dimension of z \(shape \(2, 5\)\) is not a multiple of pieces=2"):
        A.maxout(np.zeros((2, 5)), 2)
    for bad in (0, 2.5, True):
        with pytest.raises(ValueError, match="pieces must be a positive integer"):
            A.maxout(np.zeros((2, 4)), bad)
    with pytest.raises(ValueError, match="shape \\(\\)"):
        A.maxout_grad(3.0, 1)


# --------------------------------------------------------------------------- registry and errors
def test_registry_covers_the_lecture_activations_and_aliases():
    want = {"identity", "step", "sign", "sigmoid", "tanh", "relu", "leaky_relu", "prelu", "elu", "softplus",
            "softsign", "log_sigmoid", "swish", "gelu", "gelu_tanh", "mish", "sinc", "clip"}
    assert set(A.names()) == want == set(A.ACTIVATIONS)
    for alias, target in {"linear": "identity", "logistic": "sigmoid", "heaviside": "step", "silu": "swish",
                          "piecewise_linear": "clip", "LeakY_ReLU": "leaky_relu"}.items():
        assert A.get(alias).name == target
    assert A.ACTIVATIONS["leaky_relu"].params == {"slope": 0.1}  # the lectures' max(0.1 x, x)
    assert A.NOT_DIFFERENTIABLE == {"step", "sign"}


def test_parameters_change_the_function():
    z = np.array([-2.0, 3.0])
    np.testing.assert_array_equal(A.get("leaky_relu", slope=0.01)(z), [-0.02, 3.0])
    np.testing.assert_array_equal(A.get("leaky_relu")(z), [-0.2, 3.0])
    np.testing.assert_allclose(A.get("elu", alpha=2.0)(z), [2 * math.expm1(-2.0), 3.0])
    np.testing.assert_allclose(A.get("swish", beta=2.0)(z), z / (1 + np.exp(-2 * z)))
    np.testing.assert_array_equal(A.get("clip", low=0.0, high=6.0)(np.array([-1.0, 3.0, 7.0])), [0.0, 3.0, 6.0])
    # swish with beta -> large approaches relu; beta = 0 is z/2
    np.testing.assert_allclose(A.swish(z, beta=50.0), A.relu(z), atol=1e-40)
    np.testing.assert_array_equal(A.swish(z, beta=0.0), z / 2)
    # overriding the parameters of an Activation object
    act = A.get("leaky_relu", slope=0.2)
    assert A.get(act, slope=0.3).params == {"slope": 0.3} and A.get(act) is act


def test_unknown_names_and_parameters_are_reported_with_the_known_ones():
    with pytest.raises(ValueError, match=r"unknown activation 'relux'; known activations: identity, step, .*clip"):
        A.get("relux")
    with pytest.raises(ValueError, match=r"softmax acts on a whole layer.*known activations: identity"):
        A.get("softmax")
    with pytest.raises(ValueError, match=r"activation 'leaky_relu' has no parameter\(s\) \['alpha'\]; "
                                         r"its parameters: slope"):
        A.get("leaky_relu", alpha=0.1)
    with pytest.raises(ValueError, match=r"activation 'relu' has no parameter\(s\) \['slope'\]; its parameters: none"):
        A.get(A.get("relu"), slope=0.1)
    with pytest.raises(TypeError, match="activation must be given by name \\(a str\\), got int"):
        A.get(3)


def test_bad_inputs_get_clear_errors():
    with pytest.raises(TypeError, match="activation input must be numeric, got str"):
        A.sigmoid("abc")
    with pytest.raises(ValueError, match="clip needs low < high, got low=1.0, high=-1.0"):
        A.clip(0.0, low=1.0, high=-1.0)
    with pytest.raises(ValueError, match="clip_grad needs low < high"):
        A.clip_grad(0.0, low=2.0, high=2.0)
    with pytest.raises(ValueError, match="softmax needs at least a 1-D array of scores, got a scalar"):
        A.softmax(1.0)
    with pytest.raises(ValueError, match=r"softmax: scores contain NaN or \+inf"):
        A.softmax(np.array([0.0, np.nan]))
    with pytest.raises(ValueError, match=r"log_softmax: scores contain NaN or \+inf"):
        A.log_softmax(np.array([0.0, np.inf]))
    with pytest.raises(ValueError, match="needs at least one score > -inf"):
        A.softmax(np.array([-np.inf, -np.inf]))
    with pytest.raises(ValueError, match=r"softmax_vjp: z has shape \(2, 3\) but v has shape \(3, 2\)"):
        A.softmax_vjp(np.zeros((2, 3)), np.zeros((3, 2)))
    with pytest.raises(ValueError, match=r"log_softmax_vjp: z has shape \(3,\) but v has shape \(4,\)"):
        A.log_softmax_vjp(np.zeros(3), np.zeros(4))
    with pytest.raises(ValueError, match=r"softmax_jacobian takes one score vector of shape \(K,\), got shape \(2, 2\)"):
        A.softmax_jacobian(np.zeros((2, 2)))


def test_elementwise_functions_keep_shape_and_do_not_modify_their_input():
    z = np.random.default_rng(1).normal(size=(2, 3, 4))
    before = z.copy()
    for act in A.ACTIVATIONS.values():
        assert act(z).shape == z.shape and act.grad(z).shape == z.shape
        assert np.isscalar(float(act(0.5)))
    np.testing.assert_array_equal(z, before)
    out = A.identity(z)
    out[...] = 0.0
    np.testing.assert_array_equal(z, before)  # identity returns a copy


# --------------------------------------------------------------------------- slips in the lecture decks
def test_deck_003_swish_derivative_formula_is_wrong_for_beta_other_than_one():
    """Deck 003 prints swish'(z) = beta g(beta z) + sigma(beta z)(1 - beta g(beta z)); the correct identity has
    g(z), not g(beta z): f' = beta f(z) + sigma(beta z)(1 - beta f(z)). They coincide only at beta = 1."""
    z = np.linspace(-4, 4, 17)
    for beta in (0.5, 1.0, 2.0):
        f = A.swish(z, beta)
        s = A.sigmoid(beta * z)
        correct = beta * f + s * (1 - beta * f)
        deck = beta * A.swish(beta * z, beta) + s * (1 - beta * A.swish(beta * z, beta))
        np.testing.assert_allclose(A.swish_grad(z, beta), correct, rtol=1e-13, atol=1e-15)
        if beta == 1.0:
            np.testing.assert_allclose(deck, correct, rtol=1e-13, atol=1e-15)
        else:
            assert np.max(np.abs(deck - correct)) > 0.1


def test_deck_000_softmax_derivative_slips():
    """Deck 000 writes dy_i/dz_i = e^{z_i} e^{sum_{j != i} z_j} / (sum_j e^{z_j})^2 (an exponential of a sum where a
    sum of exponentials belongs) and dy_k/dz_i = e^{z_i + z_k}/(...)^2 without its minus sign."""
    z = np.array([0.5, -1.0, 2.0])
    J = A.softmax_jacobian(z)
    e, S = np.exp(z), np.exp(z).sum()
    for i in range(3):
        others = [j for j in range(3) if j != i]
        assert J[i, i] == pytest.approx(e[i] * e[others].sum() / S ** 2, rel=1e-14)
        assert J[i, i] != pytest.approx(e[i] * np.exp(z[others].sum()) / S ** 2, rel=1e-3)
        for k in others:
            assert J[k, i] == pytest.approx(-np.exp(z[i] + z[k]) / S ** 2, rel=1e-14)
