#!/usr/bin/env python3
"""Golden fixtures for the activation and loss ops, computed by PyTorch.

Run with Debian's python (PyTorch 1.13 CPU):  /usr/bin/python3 test/golden/gen_activations_losses.py
Writes one JSON per case to test/golden/ops/{act,loss}_<case>.json in the shared fixture format
(test/unit/engine/harness.ts `GoldenCase`), and a table of erf values to
test/golden/special/erf.json for the erf accuracy test.

Inputs are drawn from a seeded generator and rounded to float32; everything is then computed in
float64, so a fixture is the exact answer for the float32 inputs. Activations get a random
dOutput; losses output a scalar [] with dOutput = 1 and no gradient for the target (null).
Inputs deliberately include exact zeros (ReLU-family kinks: PyTorch's relu'(0) = 0, leaky
slope at 0), large magnitudes (stability of sigmoid, softplus, log-sum-exp) and, for Huber,
errors on both sides of delta.
"""
import json
import math
import os

import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, 'ops')
torch.manual_seed(4321)


def f32(t):
    return torch.as_tensor(t, dtype=torch.float64).to(torch.float32).to(torch.float64)


def rand(*shape, scale=1.0):
    return f32(torch.randn(*shape, dtype=torch.float64) * scale)


def enc(t):
    t = torch.as_tensor(t, dtype=torch.float64).detach().contiguous()
    return {'shape': list(t.shape), 'data': [float(v) for v in t.reshape(-1).tolist()]}


def write(doc):
    with open(os.path.join(OUT, doc['case'] + '.json'), 'w') as fh:
        json.dump(doc, fh, separators=(',', ':'))


def activation(name, op, attrs, fn, x):
    xs = x.clone().requires_grad_(True)
    out = fn(xs)
    d_out = rand(*out.shape)
    out.backward(d_out)
    write({
        'case': name, 'op': op, 'attrs': attrs, 'training': True, 'seed': 0,
        'inputs': [enc(x)], 'params': {}, 'buffers': {},
        'dOutput': enc(d_out), 'output': enc(out), 'dInputs': [enc(xs.grad)],
        'dParams': {}, 'buffersAfter': {},
    })


def loss(name, op, attrs, fn, pred, target):
    p = pred.clone().requires_grad_(True)
    out = fn(p, target)
    out.backward(torch.tensor(1.0, dtype=torch.float64))
    write({
        'case': name, 'op': op, 'attrs': attrs, 'training': True, 'seed': 0,
        'inputs': [enc(pred), enc(target)], 'params': {}, 'buffers': {},
        'dOutput': {'shape': [], 'data': [1.0]}, 'output': enc(out), 'dInputs': [enc(p.grad), None],
        'dParams': {}, 'buffersAfter': {},
    })


def with_specials(x, specials):
    """x with its first len(specials) elements replaced (kinks, large magnitudes)."""
    flat = x.reshape(-1).clone()
    flat[:len(specials)] = f32(torch.tensor(specials, dtype=torch.float64))
    return flat.reshape(x.shape)


def labels(n, classes):
    return torch.randint(0, classes, (n,)).to(torch.float64)


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith('act_') or f.startswith('loss_'):
            os.remove(os.path.join(OUT, f))

    # — Activations —
    kinks = [0.0, -0.0, 0.0, 1e-7, -1e-7]
    activation('act_relu', 'ReLU', {}, F.relu, with_specials(rand(4, 6, scale=2), kinks))
    activation('act_relu_4d', 'ReLU', {}, F.relu, rand(2, 3, 2, 2))
    activation('act_leakyrelu', 'LeakyReLU', {'negativeSlope': 0.01}, lambda x: F.leaky_relu(x, 0.01),
               with_specials(rand(4, 6, scale=2), kinks))
    activation('act_leakyrelu_slope02', 'LeakyReLU', {'negativeSlope': 0.2}, lambda x: F.leaky_relu(x, 0.2), rand(3, 5))
    activation('act_elu', 'ELU', {'alpha': 1.0}, F.elu, with_specials(rand(4, 6, scale=2), [0.0, -20.0, -1e-6, 30.0]))
    activation('act_elu_alpha05', 'ELU', {'alpha': 0.5}, lambda x: F.elu(x, 0.5), rand(3, 5, scale=2))
    big = [0.0, 30.0, -30.0, 100.0, -100.0, 17.0, -17.0]
    activation('act_sigmoid', 'Sigmoid', {}, torch.sigmoid, with_specials(rand(4, 6, scale=3), big))
    activation('act_tanh', 'Tanh', {}, torch.tanh, with_specials(rand(4, 6, scale=2), [0.0, 20.0, -20.0, 1e-6]))
    gelu_specials = [0.0, 1e-6, -1e-6, 1e-3, -5.9, 5.9, -10.0, 10.0, 0.5, -0.5, 0.49999, 3.0, -3.0]
    activation('act_gelu', 'GELU', {'approximate': 'none'}, F.gelu, with_specials(rand(4, 8, scale=2), gelu_specials))
    activation('act_gelu_tanh', 'GELU', {'approximate': 'tanh'}, lambda x: F.gelu(x, approximate='tanh'),
               with_specials(rand(4, 8, scale=2), gelu_specials))
    activation('act_gelu_grid', 'GELU', {'approximate': 'none'}, F.gelu,
               f32(torch.linspace(-7, 7, 141, dtype=torch.float64).reshape(3, 47)))
    activation('act_silu', 'SiLU', {}, F.silu, with_specials(rand(4, 6, scale=3), big))
    sm = rand(4, 5, scale=2)
    sm[1] = f32(torch.tensor([1000.0, 999.0, 990.0, -1000.0, 1000.0], dtype=torch.float64))
    sm[2] = f32(torch.tensor([-500.0, -501.0, -502.0, -503.0, -600.0], dtype=torch.float64))
    activation('act_softmax_last', 'Softmax', {'axis': -1}, lambda x: F.softmax(x, dim=-1), sm)
    activation('act_softmax_axis1', 'Softmax', {'axis': 1}, lambda x: F.softmax(x, dim=1), rand(2, 3, 4, scale=2))
    activation('act_softmax_axis_neg2_4d', 'Softmax', {'axis': -2}, lambda x: F.softmax(x, dim=-2), rand(2, 2, 3, 2))

    # — Losses —
    ce = lambda **kw: (lambda p, t: F.cross_entropy(p, t.long(), **kw))
    loss('loss_ce', 'CrossEntropyLoss', {'labelSmoothing': 0.0, 'classWeights': []}, ce(), rand(6, 4, scale=2), labels(6, 4))
    loss('loss_ce_smoothing', 'CrossEntropyLoss', {'labelSmoothing': 0.1, 'classWeights': []}, ce(label_smoothing=0.1),
         rand(6, 4, scale=2), labels(6, 4))
    w = [0.2, 1.0, 3.0, 0.5]
    wt = torch.tensor(w, dtype=torch.float64)
    loss('loss_ce_weights', 'CrossEntropyLoss', {'labelSmoothing': 0.0, 'classWeights': w}, ce(weight=wt),
         rand(7, 4, scale=2), torch.tensor([0, 1, 2, 3, 2, 2, 0], dtype=torch.float64))
    loss('loss_ce_weights_smoothing', 'CrossEntropyLoss', {'labelSmoothing': 0.25, 'classWeights': w},
         ce(weight=wt, label_smoothing=0.25), rand(7, 4, scale=2), torch.tensor([3, 1, 2, 3, 2, 1, 0], dtype=torch.float64))
    big_logits = rand(4, 3, scale=2)
    big_logits[0] = f32(torch.tensor([200.0, -200.0, 0.0], dtype=torch.float64))
    big_logits[1] = f32(torch.tensor([-300.0, 300.0, 299.0], dtype=torch.float64))
    loss('loss_ce_large_logits', 'CrossEntropyLoss', {'labelSmoothing': 0.0, 'classWeights': []}, ce(),
         big_logits, torch.tensor([1, 1, 0, 2], dtype=torch.float64))
    loss('loss_ce_spatial', 'CrossEntropyLoss', {'labelSmoothing': 0.1, 'classWeights': [1.0, 2.0, 0.5]},
         ce(label_smoothing=0.1, weight=torch.tensor([1.0, 2.0, 0.5], dtype=torch.float64)),
         rand(2, 3, 2, 2), torch.randint(0, 3, (2, 2, 2)).to(torch.float64))

    bce = lambda pw=None: (lambda p, t: F.binary_cross_entropy_with_logits(p, t, pos_weight=pw))
    multi = (torch.rand(5, 3) > 0.5).to(torch.float64)
    loss('loss_bce_multilabel', 'BCEWithLogitsLoss', {'posWeight': []}, bce(), rand(5, 3, scale=2), multi)
    loss('loss_bce_posweight', 'BCEWithLogitsLoss', {'posWeight': [1.0, 2.5, 0.5]},
         bce(torch.tensor([1.0, 2.5, 0.5], dtype=torch.float64)), rand(5, 3, scale=2), multi)
    loss('loss_bce_posweight_scalar', 'BCEWithLogitsLoss', {'posWeight': [3.0]},
         bce(torch.tensor([3.0], dtype=torch.float64)), rand(4, 1, scale=2), (torch.rand(4, 1) > 0.5).to(torch.float64))
    soft_logits = with_specials(rand(3, 4, scale=2), [50.0, -50.0, 100.0, -100.0, 0.0])
    soft_t = with_specials(f32(torch.rand(3, 4, dtype=torch.float64)), [0.0, 1.0, 0.3, 0.7])
    loss('loss_bce_soft_large', 'BCEWithLogitsLoss', {'posWeight': []}, bce(), soft_logits, soft_t)

    loss('loss_mse', 'MSELoss', {}, F.mse_loss, rand(4, 3), rand(4, 3))
    loss('loss_mse_4d', 'MSELoss', {}, F.mse_loss, rand(2, 1, 3, 3), rand(2, 1, 3, 3))
    l1p = rand(4, 3)
    l1t = rand(4, 3)
    l1t[0, 0] = l1p[0, 0]  # p = t: gradient 0, as PyTorch's sign(0)
    loss('loss_l1', 'L1Loss', {}, F.l1_loss, l1p, l1t)
    hp = rand(5, 4, scale=1.5)
    ht = hp + f32(torch.tensor([-3.0, -1.5, -1.01, -0.99, -0.5, 0.0, 0.3, 0.99, 1.01, 2.0] * 2, dtype=torch.float64).reshape(5, 4))
    ht = f32(ht)
    loss('loss_huber', 'HuberLoss', {'delta': 1.0}, lambda p, t: F.huber_loss(p, t, delta=1.0), hp, ht)
    loss('loss_huber_delta05', 'HuberLoss', {'delta': 0.5}, lambda p, t: F.huber_loss(p, t, delta=0.5), hp, ht)

    # — Activations added later: drawn after every earlier case, so their fixtures stay as they were —
    sp_specials = [0.0, 20.0, 20.5, 19.9, -20.0, 30.0, -30.0, 100.0, -100.0, 1e-6]
    activation('act_softplus', 'Softplus', {'beta': 1.0, 'threshold': 20.0}, F.softplus,
               with_specials(rand(4, 6, scale=3), sp_specials))
    activation('act_softplus_beta2_t5', 'Softplus', {'beta': 2.0, 'threshold': 5.0}, lambda x: F.softplus(x, beta=2.0, threshold=5.0),
               with_specials(rand(3, 5, scale=3), [2.4, 2.6, 2.5, -2.5, 0.0]))
    # The kinks at ±3 (PyTorch's backward takes the inner piece's slope there for Hardswish, 0 for
    # Hardsigmoid), just past them, and the flat tails.
    hard = [-3.0, 3.0, -3.0000002, 3.0000002, -2.9999998, 2.9999998, 0.0, -1.5, 6.0, -6.0, -1e-6]
    activation('act_hardswish', 'HardSwish', {}, F.hardswish, with_specials(rand(4, 6, scale=3), hard))
    activation('act_hardsigmoid', 'HardSigmoid', {}, F.hardsigmoid, with_specials(rand(4, 6, scale=3), hard))
    # Clip (ReLU6 = Hardtanh(0, 6)): at the bounds PyTorch passes no gradient.
    activation('act_clip_relu6', 'Clip', {'min': 0.0, 'max': 6.0}, F.relu6, with_specials(rand(4, 6, scale=4), [0.0, 6.0, 6.5, -0.5, 5.9]))
    activation('act_clip_half', 'Clip', {'min': -0.5, 'max': 0.5}, lambda x: F.hardtanh(x, -0.5, 0.5), with_specials(rand(3, 5), [-0.5, 0.5, 0.0]))
    # Mish (x·tanh(softplus(x))): its dip near −1.19, the flat left tail, large |x| where
    # softplus(x) = x and tanh = 1, and tiny x.
    activation('act_mish', 'Mish', {}, F.mish, with_specials(rand(4, 6, scale=3), [0.0, -1.19, -5.0, -20.0, 20.0, 30.0, -90.0, 90.0, -1e-6]))

    # SmoothL1Loss (beta = 1, 0.5, and 0, where PyTorch takes l1_loss's path): errors on both sides
    # of beta and exactly at it (|d| = beta: the linear piece, gradient ±1), and ties (gradient 0).
    sp = rand(5, 4, scale=1.5)
    st = f32(sp + f32(torch.tensor([-3.0, -1.0, -0.99, -0.5, 0.0, 0.3, 0.5, 1.0, 1.01, 2.0] * 2, dtype=torch.float64).reshape(5, 4)))
    st[0, 0] = sp[0, 0]
    for name, beta in (('loss_smoothl1', 1.0), ('loss_smoothl1_beta05', 0.5), ('loss_smoothl1_beta0', 0.0)):
        loss(name, 'SmoothL1Loss', {'beta': beta}, lambda p, t, b=beta: F.smooth_l1_loss(p, t, beta=b), sp, st)

    # — Added in #86, after every earlier case (their fixtures stay as they were) —
    # Softsign: 0 (derivative 1), large |x| where x/(1 + |x|) nears ±1, tiny x.
    activation('act_softsign', 'Softsign', {}, F.softsign, with_specials(rand(4, 6, scale=3), [0.0, -0.0, 1e-6, -1e-6, 100.0, -100.0, 1e4]))
    # KLDivLoss, batchmean: log-probabilities against probabilities, rows of [N, C] (a zero target
    # passes no gradient and adds 0, as PyTorch's xlogy).
    kl_t = f32(F.softmax(rand(4, 5, scale=2), dim=1))
    kl_t[1, 2] = 0.0
    loss('loss_kldiv_batchmean', 'KLDivLoss', {}, lambda p, t: F.kl_div(p, t, reduction='batchmean'),
         f32(F.log_softmax(rand(4, 5, scale=2), dim=1)), kl_t)

    # — erf reference (Python's math.erf, double precision) —
    xs = [i / 100 for i in range(-600, 601)] + [s * 10.0 ** -k for k in range(1, 13) for s in (1, -1)] + [0.4999999, 0.5000001]
    os.makedirs(os.path.join(HERE, 'special'), exist_ok=True)
    with open(os.path.join(HERE, 'special', 'erf.json'), 'w') as fh:
        json.dump({'generator': 'test/golden/gen_activations_losses.py (math.erf)', 'x': xs, 'erf': [math.erf(x) for x in xs]},
                  fh, separators=(',', ':'))


if __name__ == '__main__':
    main()
