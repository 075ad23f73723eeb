#!/usr/bin/env python3
"""Whole-graph goldens: a Netwright graph, its parameters and a batch, with PyTorch's loss,
every parameter gradient and the BatchNorm running stats after one training forward.

Run with Debian's python (PyTorch 1.13 CPU):  /usr/bin/python3 test/golden/gen_graphs.py
Writes test/golden/graphs/<case>.json, read by test/unit/engine/graph-golden.test.ts:
  { case, graph, batchSize, inputs: {inputId: {shape,data}}, params: {"node.name": {shape,data}},
    buffers: {"node.name": ...}, loss, evalLoss, grads: {"node.name": ...},
    activationGrads: {nodeId: ...}, buffersAfter: {"node.name": ...} }
`evalLoss` is the eval-mode loss after the training forward (running stats updated). Everything is
computed in float64 from float32-rounded values. No Dropout: PyTorch's mask cannot be reproduced.
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'graphs')
torch.manual_seed(4321)
D = torch.float64


def f32(t):
    return t.to(torch.float32).to(D)


def rand(*shape, scale=1.0):
    return f32(torch.randn(*shape, dtype=D) * scale)


def enc(t):
    t = t.detach().to(D).contiguous()
    return {'shape': list(t.shape), 'data': [float(v) for v in t.reshape(-1).tolist()]}


def node(id, op, inputs=(), **attrs):
    return {'id': id, 'op': op, 'attrs': attrs, 'inputs': list(inputs)}


def write(name, nodes, outputs, loss_id, batch, inputs, params, buffers, forward):
    """forward(inputs, params, buffers, training) -> (loss, {nodeId: activation})."""
    graph = {'format': 'netwright.graph', 'version': 1, 'name': name, 'nodes': nodes, 'outputs': outputs,
             'training': {'dataset': {'name': 'synthetic'}, 'loss': loss_id, 'optimizer': {'kind': 'sgd', 'lr': 0.1},
                          'batchSize': batch, 'epochs': 1, 'seed': 1, 'metrics': []}}
    ps = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    bs = {k: v.clone() for k, v in buffers.items()}
    loss, acts = forward(inputs, ps, bs, True)
    for a in acts.values():
        a.retain_grad()
    loss.backward()
    with torch.no_grad():
        eval_loss, _ = forward(inputs, ps, {k: v.clone() for k, v in bs.items()}, False)
    doc = {
        'case': name, 'graph': graph, 'batchSize': batch,
        'inputs': {k: enc(v) for k, v in inputs.items()},
        'params': {k: enc(v) for k, v in params.items()},
        'buffers': {k: enc(v) for k, v in buffers.items()},
        'loss': float(loss), 'evalLoss': float(eval_loss),
        'grads': {k: enc(v.grad) for k, v in ps.items()},
        'activationGrads': {k: enc(a.grad) for k, a in acts.items()},
        'buffersAfter': {k: enc(v) for k, v in bs.items()},
    }
    with open(os.path.join(OUT, name + '.json'), 'w') as fh:
        json.dump(doc, fh, separators=(',', ':'))


def small_cnn():
    n = 4
    nodes = [
        node('image', 'Input', shape=[2, 8, 8]),
        node('label', 'Input', shape=[], source='target'),
        node('c1', 'Conv2d', ['image'], outChannels=4, kernelSize=[3, 3], padding=[1, 1]),
        node('bn1', 'BatchNorm', ['c1']),
        node('r1', 'ReLU', ['bn1']),
        node('p1', 'MaxPool2d', ['r1'], kernelSize=[2, 2]),
        node('c2', 'Conv2d', ['p1'], outChannels=6, kernelSize=[3, 3], stride=[2, 2], padding=[1, 1], groups=2),
        node('r2', 'ReLU', ['c2']),
        node('up', 'Upsample', ['r2'], scaleFactor=2),
        node('ct', 'ConvTranspose2d', ['up'], outChannels=3, kernelSize=[2, 2], stride=[2, 2]),
        node('ap', 'AvgPool2d', ['ct'], kernelSize=[3, 3], stride=[2, 2], padding=[1, 1]),
        node('gap', 'GlobalAvgPool', ['ap']),
        node('flat', 'Flatten', ['p1']),
        node('fcA', 'Linear', ['flat'], outFeatures=5),
        node('fcB', 'Linear', ['gap'], outFeatures=5),
        node('sum', 'Add', ['fcA', 'fcB']),
        node('loss', 'CrossEntropyLoss', ['sum', 'label']),
    ]
    params = {
        'c1.weight': rand(4, 2, 3, 3, scale=0.3), 'c1.bias': rand(4, scale=0.1),
        'bn1.weight': f32(1 + 0.2 * torch.randn(4, dtype=D)), 'bn1.bias': rand(4, scale=0.1),
        'c2.weight': rand(6, 2, 3, 3, scale=0.3), 'c2.bias': rand(6, scale=0.1),
        'ct.weight': rand(6, 3, 2, 2, scale=0.3), 'ct.bias': rand(3, scale=0.1),
        'fcA.weight': rand(5, 64, scale=0.1), 'fcA.bias': rand(5, scale=0.1),
        'fcB.weight': rand(5, 3, scale=0.5), 'fcB.bias': rand(5, scale=0.1),
    }
    buffers = {'bn1.runningMean': rand(4, scale=0.2), 'bn1.runningVar': f32(0.5 + torch.rand(4, dtype=D))}
    inputs = {'image': rand(n, 2, 8, 8), 'label': torch.tensor([0, 3, 1, 4], dtype=D)}

    def forward(x, p, b, training):
        c1 = F.conv2d(x['image'], p['c1.weight'], p['c1.bias'], padding=1)
        bn1 = F.batch_norm(c1, b['bn1.runningMean'], b['bn1.runningVar'], p['bn1.weight'], p['bn1.bias'], training, 0.1, 1e-5)
        r1 = F.relu(bn1)
        p1 = F.max_pool2d(r1, 2)
        c2 = F.conv2d(p1, p['c2.weight'], p['c2.bias'], stride=2, padding=1, groups=2)
        r2 = F.relu(c2)
        up = F.interpolate(r2, scale_factor=2, mode='nearest')
        ct = F.conv_transpose2d(up, p['ct.weight'], p['ct.bias'], stride=2)
        ap = F.avg_pool2d(ct, 3, 2, 1)
        gap = torch.flatten(F.adaptive_avg_pool2d(ap, 1), 1)
        flat = torch.flatten(p1, 1)
        s = F.linear(flat, p['fcA.weight'], p['fcA.bias']) + F.linear(gap, p['fcB.weight'], p['fcB.bias'])
        loss = F.cross_entropy(s, x['label'].long())
        return loss, {'c1': c1, 'p1': p1, 'up': up, 'sum': s}

    write('cnn_mixed', nodes, {'logits': 'sum', 'loss': 'loss'}, 'loss', n, inputs, params, buffers, forward)


def residual_mlp():
    n = 5
    nodes = [
        node('x', 'Input', shape=[6]),
        node('y', 'Input', shape=[3], source='target'),
        node('fc1', 'Linear', ['x'], outFeatures=8),
        node('ln', 'LayerNorm', ['fc1']),
        node('t', 'Tanh', ['ln']),
        node('fc2', 'Linear', ['t'], outFeatures=8),
        node('res', 'Add', ['t', 'fc2', 't']),
        node('bn', 'BatchNorm', ['res'], momentum=0.2),
        node('cat', 'Concat', ['bn', 'x']),
        node('rs', 'Reshape', ['cat'], shape=[2, 7]),
        node('ln2', 'LayerNorm', ['rs'], normalizedDims=2),
        node('fl', 'Flatten', ['ln2']),
        node('out', 'Linear', ['fl'], outFeatures=3),
        node('loss', 'MSELoss', ['out', 'y']),
    ]
    params = {
        'fc1.weight': rand(8, 6, scale=0.4), 'fc1.bias': rand(8, scale=0.1),
        'ln.weight': f32(1 + 0.2 * torch.randn(8, dtype=D)), 'ln.bias': rand(8, scale=0.1),
        'fc2.weight': rand(8, 8, scale=0.3), 'fc2.bias': rand(8, scale=0.1),
        'bn.weight': f32(1 + 0.2 * torch.randn(8, dtype=D)), 'bn.bias': rand(8, scale=0.1),
        'ln2.weight': f32(1 + 0.2 * torch.randn(2, 7, dtype=D)), 'ln2.bias': rand(2, 7, scale=0.1),
        'out.weight': rand(3, 14, scale=0.3), 'out.bias': rand(3, scale=0.1),
    }
    buffers = {'bn.runningMean': f32(torch.zeros(8, dtype=D)), 'bn.runningVar': f32(torch.ones(8, dtype=D))}
    inputs = {'x': rand(n, 6), 'y': rand(n, 3)}

    def forward(x, p, b, training):
        fc1 = F.linear(x['x'], p['fc1.weight'], p['fc1.bias'])
        ln = F.layer_norm(fc1, (8,), p['ln.weight'], p['ln.bias'], 1e-5)
        t = torch.tanh(ln)
        fc2 = F.linear(t, p['fc2.weight'], p['fc2.bias'])
        res = t + fc2 + t
        bn = F.batch_norm(res, b['bn.runningMean'], b['bn.runningVar'], p['bn.weight'], p['bn.bias'], training, 0.2, 1e-5)
        cat = torch.cat([bn, x['x']], 1)
        rs = cat.reshape(n, 2, 7)
        ln2 = F.layer_norm(rs, (2, 7), p['ln2.weight'], p['ln2.bias'], 1e-5)
        out = F.linear(torch.flatten(ln2, 1), p['out.weight'], p['out.bias'])
        return F.mse_loss(out, x['y']), {'t': t, 'res': res, 'cat': cat}

    write('residual_mlp', nodes, {'out': 'out', 'loss': 'loss'}, 'loss', n, inputs, params, buffers, forward)


if __name__ == '__main__':
    os.makedirs(OUT, exist_ok=True)
    small_cnn()
    residual_mlp()
