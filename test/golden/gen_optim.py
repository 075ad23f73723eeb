#!/usr/bin/env python3
"""Golden trajectories for Netwright's optimizers, from PyTorch.

Run with Debian's python (PyTorch 1.13 CPU):  /usr/bin/python3 test/golden/gen_optim.py
Writes test/golden/optim/optimizers.json, read by test/unit/engine/optim-golden.test.ts, and test/golden/optim/nadam.json (NAdam, the optimizer added
as one declaration in #58), read by test/unit/engine/nadam.test.ts on every backend, and
test/golden/optim/lion.json (Lion, added in #86; torch.optim has none: LionReference below).

Optimizers: two parameters (a [3, 4] weight and a [4] bias) stepped 5 times with fixed, seeded
gradients; the parameters after each step are recorded. Every parameter has weight decay (PyTorch's
default) except in the `*-decay-flag` cases, which put the bias in a param group with
weight_decay=0 to mirror Netwright's per-parameter `decay: false`.

The learning-rate schedules are compared with PyTorch at the cases their files declare, by
test/unit/engine/schedules/schedules-torch.test.ts (no golden file).
"""
import json
import os

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "optim")
STEPS = 5


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def optimizer_case(name, config, make, decay_flags=(True, True)):
    g = torch.Generator().manual_seed(1234)
    w = torch.randn(3, 4, generator=g)
    b = torch.randn(4, generator=g)
    grads = [[torch.randn(3, 4, generator=g), torch.randn(4, generator=g)] for _ in range(STEPS)]
    init = [w.clone(), b.clone()]
    pw = torch.nn.Parameter(w.clone())
    pb = torch.nn.Parameter(b.clone())
    opt = make([pw, pb])
    trajectory = []
    for step_grads in grads:
        pw.grad = step_grads[0].clone()
        pb.grad = step_grads[1].clone()
        opt.step()
        trajectory.append([flat(pw), flat(pb)])
    return {
        "case": name,
        "config": config,
        "params": [
            {"name": "weight", "shape": [3, 4], "decay": decay_flags[0], "data": flat(init[0])},
            {"name": "bias", "shape": [4], "decay": decay_flags[1], "data": flat(init[1])},
        ],
        "grads": [[flat(gw), flat(gb)] for gw, gb in grads],
        "trajectory": trajectory,
    }


def groups(params, wd):
    """Weight decays, bias does not (Netwright's decay flag)."""
    return [{"params": [params[0]], "weight_decay": wd}, {"params": [params[1]], "weight_decay": 0.0}]


def optimizers():
    O = torch.optim
    return [
        optimizer_case("sgd", {"kind": "sgd", "lr": 0.1}, lambda p: O.SGD(p, lr=0.1)),
        optimizer_case(
            "sgd-momentum-dampening-wd",
            {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "dampening": 0.1, "weightDecay": 0.01},
            lambda p: O.SGD(p, lr=0.05, momentum=0.9, dampening=0.1, weight_decay=0.01),
        ),
        optimizer_case(
            "sgd-nesterov-wd",
            {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "nesterov": True, "weightDecay": 0.05},
            lambda p: O.SGD(p, lr=0.05, momentum=0.9, nesterov=True, weight_decay=0.05),
        ),
        optimizer_case(
            "sgd-momentum-decay-flag",
            {"kind": "sgd", "lr": 0.05, "momentum": 0.9, "weightDecay": 0.1},
            lambda p: O.SGD(groups(p, 0.1), lr=0.05, momentum=0.9, weight_decay=0.1),
            (True, False),
        ),
        optimizer_case("adam", {"kind": "adam", "lr": 0.01}, lambda p: O.Adam(p, lr=0.01)),
        optimizer_case(
            "adam-amsgrad-wd",
            {"kind": "adam", "lr": 0.02, "beta1": 0.8, "beta2": 0.95, "eps": 1e-6, "weightDecay": 0.1, "amsgrad": True},
            lambda p: O.Adam(p, lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.1, amsgrad=True),
        ),
        optimizer_case("adamw", {"kind": "adamw", "lr": 0.01}, lambda p: O.AdamW(p, lr=0.01)),
        optimizer_case(
            "adamw-wd",
            {"kind": "adamw", "lr": 0.05, "beta2": 0.99, "weightDecay": 0.3},
            lambda p: O.AdamW(p, lr=0.05, betas=(0.9, 0.99), weight_decay=0.3),
        ),
        optimizer_case(
            "adamw-decay-flag",
            {"kind": "adamw", "lr": 0.05, "weightDecay": 0.3},
            lambda p: O.AdamW(groups(p, 0.3), lr=0.05, weight_decay=0.3),
            (True, False),
        ),
        optimizer_case("rmsprop", {"kind": "rmsprop", "lr": 0.01}, lambda p: O.RMSprop(p, lr=0.01)),
        optimizer_case("adagrad", {"kind": "adagrad", "lr": 0.1}, lambda p: O.Adagrad(p, lr=0.1)),
        optimizer_case(
            "adagrad-lrdecay-eps-decay-flag",
            {"kind": "adagrad", "lr": 0.05, "lrDecay": 0.1, "eps": 1e-6, "weightDecay": 0.05},
            lambda p: O.Adagrad(groups(p, 0.05), lr=0.05, lr_decay=0.1, eps=1e-6),
            decay_flags=(True, False),
        ),
        optimizer_case(
            "rmsprop-centered-momentum-wd",
            {"kind": "rmsprop", "lr": 0.01, "alpha": 0.9, "eps": 1e-6, "momentum": 0.8, "weightDecay": 0.05, "centered": True},
            lambda p: O.RMSprop(p, lr=0.01, alpha=0.9, eps=1e-6, momentum=0.8, weight_decay=0.05, centered=True),
        ),
    ]


def nadam_cases():
    """torch.optim.NAdam as PyTorch 1.13 steps it (its mu_product quirk included)."""
    O = torch.optim
    return [
        optimizer_case("nadam", {"kind": "nadam", "lr": 0.01}, lambda p: O.NAdam(p, lr=0.01)),
        optimizer_case(
            "nadam-betas-wd",
            {"kind": "nadam", "lr": 0.02, "beta1": 0.8, "beta2": 0.95, "eps": 1e-6, "weightDecay": 0.05, "momentumDecay": 0.01},
            lambda p: O.NAdam(p, lr=0.02, betas=(0.8, 0.95), eps=1e-6, weight_decay=0.05, momentum_decay=0.01),
        ),
        optimizer_case(
            "nadam-decay-flag",
            {"kind": "nadam", "lr": 0.05, "weightDecay": 0.1},
            lambda p: O.NAdam(groups(p, 0.1), lr=0.05, weight_decay=0.1),
            (True, False),
        ),
    ]


class LionReference:
    """Lion as lion-pytorch 0.1 steps it (lucidrains/lion-pytorch, `update_fn`; torch.optim has none),
    over param groups as torch.optim's: w *= 1 - lr*wd; w += -lr*sign(beta1*m + (1 - beta1)*g);
    m = beta2*m + (1 - beta2)*g, in float32."""

    def __init__(self, params, lr, betas=(0.9, 0.99), weight_decay=0.0):
        self.groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.lr, self.betas, self.wd = lr, betas, weight_decay
        self.state = {}

    @torch.no_grad()
    def step(self):
        for group in self.groups:
            wd = group.get("weight_decay", self.wd)
            for p in group["params"]:
                exp_avg = self.state.setdefault(id(p), torch.zeros_like(p))
                beta1, beta2 = self.betas
                p.data.mul_(1 - self.lr * wd)
                update = exp_avg.clone().mul_(beta1).add(p.grad, alpha=1 - beta1).sign_()
                p.add_(update, alpha=-self.lr)
                exp_avg.mul_(beta2).add_(p.grad, alpha=1 - beta2)


def lion_cases():
    """Lion (added in #86 as one declaration), from the reference implementation above."""
    return [
        optimizer_case("lion", {"kind": "lion", "lr": 0.01}, lambda p: LionReference(p, lr=0.01)),
        optimizer_case(
            "lion-betas-wd",
            {"kind": "lion", "lr": 0.02, "beta1": 0.8, "beta2": 0.95, "weightDecay": 0.1},
            lambda p: LionReference(p, lr=0.02, betas=(0.8, 0.95), weight_decay=0.1),
        ),
        optimizer_case(
            "lion-decay-flag",
            {"kind": "lion", "lr": 0.05, "weightDecay": 0.5},
            lambda p: LionReference(groups(p, 0.5), lr=0.05, weight_decay=0.5),
            (True, False),
        ),
    ]


def main():
    os.makedirs(OUT, exist_ok=True)
    header = {"generator": "test/golden/gen_optim.py", "torch": torch.__version__}
    with open(os.path.join(OUT, "optimizers.json"), "w") as f:
        json.dump({**header, "cases": optimizers()}, f, separators=(",", ":"))
    with open(os.path.join(OUT, "nadam.json"), "w") as f:
        json.dump({**header, "cases": nadam_cases()}, f, separators=(",", ":"))
    with open(os.path.join(OUT, "lion.json"), "w") as f:
        json.dump({**header, "cases": lion_cases()}, f, separators=(",", ":"))


if __name__ == "__main__":
    main()
