#!/usr/bin/env python3
"""Whether PyTorch's float32 kernels cast a Python-float scalar to float32 before the arithmetic.

Run with Debian's python (PyTorch 1.13 CPU):  /usr/bin/python3 test/golden/check_scalar_cast.py

The optimizers compute their per-step scalars in Python (float64: `1 - beta2`, `lr /
bias_correction1`) and hand them to in-place ops (`add_(alpha=)`, `addcmul_(value=)`,
`addcdiv_(value=)`, `mul_(beta)`). For each op, 2,000 seeded random float32 operands (the tensor
itself 0, so the scalar's rounding shows in the result) are computed by PyTorch and by numpy two
ways: with the scalar rounded to float32 first, then float32 arithmetic; and in float64 with the
scalar as given, rounded once at the end. It prints how many of PyTorch's results each way
matches bit for bit; netwright rounds every per-step scalar to float32 once on the host
(`stepScalars`, src-engine/core/elementwise/update.ts) because the first way matches all of them.
"""
import random

import numpy as np
import torch

f32 = np.float32
N = 2000


def t(x):
    return torch.tensor([x], dtype=torch.float32)


# op name -> (PyTorch, scalar cast first then float32, float64 then one rounding); a, b operands, v the scalar
OPS = {
    "add_(g, alpha=v)": (
        lambda a, b, v: t(0).add_(t(a), alpha=v).item(),
        lambda a, b, v: float(f32(v) * f32(a)),
        lambda a, b, v: float(f32(v * float(f32(a)))),
    ),
    "addcmul_(a, b, value=v)": (
        lambda a, b, v: t(0).addcmul_(t(a), t(b), value=v).item(),
        lambda a, b, v: float(f32(v) * f32(a) * f32(b)),
        lambda a, b, v: float(f32(v * float(f32(a)) * float(f32(b)))),
    ),
    "addcdiv_(a, b, value=v)": (
        lambda a, b, v: t(0).addcdiv_(t(a), t(b), value=v).item(),
        lambda a, b, v: float(f32(v) * f32(a) / f32(b)),
        lambda a, b, v: float(f32(v * float(f32(a)) / float(f32(b)))),
    ),
    "mul_(v)": (
        lambda a, b, v: t(a).mul_(v * 1000).item(),
        lambda a, b, v: float(f32(a) * f32(v * 1000)),
        lambda a, b, v: float(f32(float(f32(a)) * (v * 1000))),
    ),
}


def main():
    print(f"torch {torch.__version__}")
    for name, (torch_op, cast_first, f64) in OPS.items():
        random.seed(1)
        same_cast = same_f64 = 0
        for _ in range(N):
            a, b, v = random.uniform(-1, 1), random.uniform(0.5, 2), random.uniform(-1e-3, 1e-3)
            got = torch_op(a, b, v)
            same_cast += got == cast_first(a, b, v)
            same_f64 += got == f64(a, b, v)
        print(f"{name:26s} scalar cast to float32 first: {same_cast}/{N}   float64 scalar: {same_f64}/{N}")


if __name__ == "__main__":
    main()
