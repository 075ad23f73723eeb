"""Fits the CPU backend's Mills' ratio M(a) = Phi(-a)/phi(a) (activations-gen.ts, MILLS_P/MILLS_Q:
GELU's backward takes Phi from its phi by it) and measures it in float32 as the kernel evaluates it.

M = P(a)/Q(a), deg P = 4, deg Q = 5 (M ~ 1/a), q0 = 1, on a in [0, 14] (phi is 0 in float32 beyond):
Loeb's linearised least squares for relative error, then Lawson's reweighting towards minimax.
The coefficients are rounded to float32 and the quotient evaluated by Horner in float32 (numpy), on
every float32 a in [0, 14] at a step of 1.4e-5. Run: /usr/bin/python3 bench/fit_mills_ratio.py
"""
import math

import numpy as np


def mills(a):
    return 0.5 * math.erfc(a / math.sqrt(2)) / (math.exp(-a * a / 2) / math.sqrt(2 * math.pi))


N, A = 4, 14.0
a = np.linspace(0, A, 40001)
M = np.array([mills(v) for v in a])
BP = np.stack([a**i for i in range(N + 1)], 1)
BQ = np.stack([a**i for i in range(N + 2)], 1)
qprev, w = np.ones_like(a), np.ones_like(a)
for it in range(80):
    lhs = np.concatenate([BP, -M[:, None] * BQ[:, 1:]], 1) / (qprev * M)[:, None]
    rhs = 1 / qprev
    sol, *_ = np.linalg.lstsq(lhs * np.sqrt(w)[:, None], rhs * np.sqrt(w), rcond=None)
    p, q = sol[: N + 1], np.concatenate([[1.0], sol[N + 1 :]])
    qprev = BQ @ q
    err = (BP @ p / qprev - M) / M
    if it > 10:
        w = w * np.abs(err)
        w /= w.sum()
print(f"float64 fit: max relative error {np.abs(err).max():.2e}")
pf, qf = p.astype(np.float32), q.astype(np.float32)


def horner(c, x):
    v = np.full_like(x, c[-1])
    for k in c[-2::-1]:
        v = (v * x + k).astype(np.float32)
    return v


x = np.linspace(0, A, 1000001).astype(np.float32)
got = (horner(pf, x) / horner(qf, x)).astype(np.float64)
rel = np.abs(got - np.array([mills(float(v)) for v in x])) / got
print(f"float32: max relative error {rel.max():.2e} on [0, 14], {rel[x <= 1].max():.2e} on [0, 1]")
print("MILLS_P", [repr(float(v)) for v in pf[::-1]])
print("MILLS_Q", [repr(float(v)) for v in qf[::-1]])
