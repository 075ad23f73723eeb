#!/usr/bin/env python3
"""Golden fixtures for the layer/structure ops, computed by PyTorch.

Run with Debian's python (PyTorch 1.13 CPU):  /usr/bin/python3 test/golden/gen_layers.py
Writes one JSON per case to test/golden/ops/<case>.json in the format test/unit/engine/harness.ts
reads (see GoldenCase there). Inputs are drawn from a seeded generator and rounded to float32, then
everything is computed in float64 so the fixture is the exact answer for the float32 inputs.

Dropout in train mode is not here: PyTorch's random mask cannot be reproduced; its statistics are
checked in test/unit/engine/layers.test.ts instead. Its eval mode (identity) is.
"""
import json
import os

import torch
import torch.nn.functional as F

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), 'ops')
torch.manual_seed(1234)


def f32(t):
    return t.detach().to(torch.float32).to(torch.float64)


def rand(*shape, scale=1.0):
    return f32(torch.randn(shape, dtype=torch.float64) * scale)


def enc(t):
    t = t.detach().to(torch.float64).contiguous()
    return {'shape': list(t.shape), 'data': [float(v) for v in t.reshape(-1).tolist()]}


def case(name, op, attrs, fn, inputs, params=None, buffers=None, training=True, buffer_names=None):
    """fn(inputs, params, buffers) -> output; gradients from autograd with a random dOutput."""
    params = params or {}
    buffers = buffers or {}
    xs = [x.clone().requires_grad_(True) for x in inputs]
    ps = {k: v.clone().requires_grad_(True) for k, v in params.items()}
    bs = {k: v.clone() for k, v in buffers.items()}
    out = fn(xs, ps, bs)
    d_out = rand(*out.shape)
    out.backward(d_out)
    doc = {
        'case': name,
        'op': op,
        'attrs': attrs,
        'training': training,
        'seed': 0,
        'inputs': [enc(x) for x in inputs],
        'params': {k: enc(v) for k, v in params.items()},
        'buffers': {k: enc(v) for k, v in buffers.items()},
        'dOutput': enc(d_out),
        'output': enc(out),
        'dInputs': [enc(x.grad) if x.grad is not None else enc(torch.zeros_like(x)) for x in xs],
        'dParams': {k: enc(v.grad) for k, v in ps.items()},
        'buffersAfter': {k: enc(v) for k, v in bs.items()},
    }
    with open(os.path.join(OUT, name + '.json'), 'w') as fh:
        json.dump(doc, fh, separators=(',', ':'))


def linear_fn(xs, ps, bs):
    return F.linear(xs[0], ps['weight'], ps.get('bias'))


def conv_fn(stride, padding, dilation, groups):
    return lambda xs, ps, bs: F.conv2d(xs[0], ps['weight'], ps.get('bias'), stride, padding, dilation, groups)


def convt_fn(stride, padding, output_padding, groups=1, dilation=1):
    return lambda xs, ps, bs: F.conv_transpose2d(xs[0], ps['weight'], ps.get('bias'), stride, padding, output_padding, groups, dilation)


def bn_fn(training, momentum=0.1, eps=1e-5):
    def fn(xs, ps, bs):
        return F.batch_norm(xs[0], bs['runningMean'], bs['runningVar'], ps.get('weight'), ps.get('bias'), training, momentum, eps)
    return fn


def ln_fn(k, eps=1e-5):
    def fn(xs, ps, bs):
        return F.layer_norm(xs[0], xs[0].shape[-k:], ps.get('weight'), ps.get('bias'), eps)
    return fn


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith('layer_'):
            os.remove(os.path.join(OUT, f))

    # — Linear —
    case('layer_linear_2d', 'Linear', {'outFeatures': 4, 'bias': True}, linear_fn, [rand(3, 5)],
         {'weight': rand(4, 5, scale=0.4), 'bias': rand(4, scale=0.4)})
    case('layer_linear_3d_nobias', 'Linear', {'outFeatures': 3, 'bias': False}, linear_fn, [rand(2, 3, 4)],
         {'weight': rand(3, 4, scale=0.4)})

    # — Conv2d —
    case('layer_conv2d_3x3_pad1', 'Conv2d', {'outChannels': 3, 'kernelSize': [3, 3], 'padding': [1, 1]},
         conv_fn(1, 1, 1, 1), [rand(2, 2, 5, 5)], {'weight': rand(3, 2, 3, 3, scale=0.3), 'bias': rand(3, scale=0.3)})
    case('layer_conv2d_stride_dilation_groups', 'Conv2d',
         {'outChannels': 4, 'kernelSize': [3, 2], 'stride': [2, 1], 'padding': [1, 0], 'dilation': [2, 2], 'groups': 2},
         conv_fn((2, 1), (1, 0), (2, 2), 2), [rand(2, 4, 7, 6)], {'weight': rand(4, 2, 3, 2, scale=0.3), 'bias': rand(4, scale=0.3)})
    case('layer_conv2d_1x1_nobias', 'Conv2d', {'outChannels': 2, 'kernelSize': [1, 1], 'bias': False},
         conv_fn(1, 0, 1, 1), [rand(2, 3, 3, 4)], {'weight': rand(2, 3, 1, 1, scale=0.5)})
    case('layer_conv2d_depthwise_stride2', 'Conv2d', {'outChannels': 3, 'kernelSize': [3, 3], 'stride': [2, 2], 'padding': [1, 1], 'groups': 3},
         conv_fn(2, 1, 1, 3), [rand(1, 3, 6, 6)], {'weight': rand(3, 1, 3, 3, scale=0.5), 'bias': rand(3, scale=0.3)})

    # — ConvTranspose2d —
    case('layer_convtranspose2d_s2_p1_op1', 'ConvTranspose2d',
         {'outChannels': 2, 'kernelSize': [3, 3], 'stride': [2, 2], 'padding': [1, 1], 'outputPadding': [1, 1]},
         convt_fn(2, 1, 1), [rand(2, 3, 3, 3)], {'weight': rand(3, 2, 3, 3, scale=0.3), 'bias': rand(2, scale=0.3)})
    case('layer_convtranspose2d_k2_s2_nobias', 'ConvTranspose2d', {'outChannels': 3, 'kernelSize': [2, 2], 'stride': [2, 2], 'bias': False},
         convt_fn(2, 0, 0), [rand(2, 2, 2, 3)], {'weight': rand(2, 3, 2, 2, scale=0.3)})
    case('layer_convtranspose2d_rect_s1', 'ConvTranspose2d', {'outChannels': 2, 'kernelSize': [2, 3], 'stride': [1, 1], 'padding': [0, 1]},
         convt_fn(1, (0, 1), 0), [rand(1, 2, 3, 4)], {'weight': rand(2, 2, 2, 3, scale=0.3), 'bias': rand(2, scale=0.3)})

    # — Pooling —
    case('layer_maxpool2d_2x2', 'MaxPool2d', {'kernelSize': [2, 2]},
         lambda xs, ps, bs: F.max_pool2d(xs[0], 2), [rand(2, 2, 5, 4)])
    case('layer_maxpool2d_3x3_s2_p1', 'MaxPool2d', {'kernelSize': [3, 3], 'stride': [2, 2], 'padding': [1, 1]},
         lambda xs, ps, bs: F.max_pool2d(xs[0], 3, 2, 1), [rand(2, 2, 6, 5)])
    case('layer_avgpool2d_2x2', 'AvgPool2d', {'kernelSize': [2, 2]},
         lambda xs, ps, bs: F.avg_pool2d(xs[0], 2), [rand(2, 2, 4, 5)])
    case('layer_avgpool2d_3x3_s2_p1_count_pad', 'AvgPool2d', {'kernelSize': [3, 3], 'stride': [2, 2], 'padding': [1, 1]},
         lambda xs, ps, bs: F.avg_pool2d(xs[0], 3, 2, 1), [rand(2, 2, 5, 6)])
    case('layer_global_avg_pool', 'GlobalAvgPool', {},
         lambda xs, ps, bs: torch.flatten(F.adaptive_avg_pool2d(xs[0], 1), 1), [rand(2, 3, 4, 5)])
    case('layer_upsample_x2', 'Upsample', {'scaleFactor': 2},
         lambda xs, ps, bs: F.interpolate(xs[0], scale_factor=2, mode='nearest'), [rand(2, 2, 3, 2)])
    case('layer_upsample_x3', 'Upsample', {'scaleFactor': 3},
         lambda xs, ps, bs: F.interpolate(xs[0], scale_factor=3, mode='nearest'), [rand(1, 2, 2, 3)])

    # — BatchNorm: train (batch stats, running stats updated with the unbiased variance) and eval —
    for name, shape in [('2d', (4, 3, 3, 2)), ('1d', (6, 3)), ('1d_seq', (3, 2, 5))]:
        c = shape[1]
        params = {'weight': f32(1 + 0.3 * torch.randn(c, dtype=torch.float64)), 'bias': rand(c, scale=0.3)}
        buffers = {'runningMean': rand(c, scale=0.5), 'runningVar': f32(0.5 + torch.rand(c, dtype=torch.float64))}
        x = rand(*shape, scale=2.0) + 0.7
        case(f'layer_batchnorm_{name}_train', 'BatchNorm', {}, bn_fn(True), [x], params, buffers, training=True)
        case(f'layer_batchnorm_{name}_eval', 'BatchNorm', {}, bn_fn(False), [x], params, buffers, training=False)
    case('layer_batchnorm_noaffine_momentum_train', 'BatchNorm', {'affine': False, 'momentum': 0.3, 'eps': 1e-3},
         bn_fn(True, 0.3, 1e-3), [rand(5, 2, 2, 2)], {}, {'runningMean': f32(torch.zeros(2)), 'runningVar': f32(torch.ones(2))})

    # — LayerNorm —
    case('layer_layernorm_last', 'LayerNorm', {}, ln_fn(1), [rand(3, 6, scale=2.0)],
         {'weight': f32(1 + 0.3 * torch.randn(6, dtype=torch.float64)), 'bias': rand(6, scale=0.3)})
    case('layer_layernorm_chw', 'LayerNorm', {'normalizedDims': 3}, ln_fn(3), [rand(2, 2, 2, 3)],
         {'weight': f32(1 + 0.3 * torch.randn(2, 2, 3, dtype=torch.float64)), 'bias': rand(2, 2, 3, scale=0.3)})
    case('layer_layernorm_noaffine_eps', 'LayerNorm', {'elementwiseAffine': False, 'eps': 1e-3}, ln_fn(1, 1e-3), [rand(2, 3, 4)])
    case('layer_layernorm_eval', 'LayerNorm', {}, ln_fn(1), [rand(3, 4)],
         {'weight': f32(1 + 0.3 * torch.randn(4, dtype=torch.float64)), 'bias': rand(4, scale=0.3)}, training=False)

    # — Dropout: eval mode only (identity); train mode is a statistics test —
    case('layer_dropout_eval', 'Dropout', {'p': 0.4}, lambda xs, ps, bs: F.dropout(xs[0], 0.4, training=False), [rand(3, 4)], training=False)

    # — Structure —
    case('layer_flatten', 'Flatten', {}, lambda xs, ps, bs: torch.flatten(xs[0], 1), [rand(2, 3, 2, 2)])
    case('layer_flatten_start2', 'Flatten', {'startDim': 2}, lambda xs, ps, bs: torch.flatten(xs[0], 2), [rand(2, 3, 2, 2)])
    case('layer_reshape', 'Reshape', {'shape': [2, -1, 2]}, lambda xs, ps, bs: xs[0].reshape(2, 2, 3, 2), [rand(2, 12)])
    case('layer_add3', 'Add', {}, lambda xs, ps, bs: xs[0] + xs[1] + xs[2], [rand(2, 3, 2), rand(2, 3, 2), rand(2, 3, 2)])
    case('layer_concat_axis1', 'Concat', {}, lambda xs, ps, bs: torch.cat(xs, 1), [rand(2, 1, 2, 2), rand(2, 3, 2, 2)])
    case('layer_concat_axis_last', 'Concat', {'axis': -1}, lambda xs, ps, bs: torch.cat(xs, -1), [rand(2, 3, 1), rand(2, 3, 2), rand(2, 3, 4)])

    # — Added later: appended here so the random draws of the cases above stay the same —
    case('layer_convtranspose2d_groups_dilation', 'ConvTranspose2d',
         {'outChannels': 4, 'kernelSize': [3, 2], 'stride': [2, 1], 'padding': [1, 0], 'outputPadding': [1, 1], 'dilation': [1, 2], 'groups': 2},
         convt_fn((2, 1), (1, 0), (1, 1), 2, (1, 2)), [rand(2, 4, 3, 3)], {'weight': rand(4, 2, 3, 2, scale=0.3), 'bias': rand(4, scale=0.3)})
    # Issue #29's import ops: ceil-mode MaxPool (SqueezeNet), a pool keeping its 1×1 dims and a
    # broadcast product (squeeze-excite).
    case('layer_maxpool_ceil', 'MaxPool2d', {'kernelSize': [3, 3], 'stride': [2, 2], 'ceilMode': True},
         lambda xs, ps, bs: F.max_pool2d(xs[0], 3, 2, ceil_mode=True), [rand(2, 2, 6, 7)])
    case('layer_maxpool_ceil_pad', 'MaxPool2d', {'kernelSize': [2, 2], 'stride': [2, 2], 'padding': [1, 1], 'ceilMode': True},
         lambda xs, ps, bs: F.max_pool2d(xs[0], 2, 2, 1, ceil_mode=True), [rand(1, 2, 5, 4)])
    case('layer_globalavgpool_keepdims', 'GlobalAvgPool', {'keepDims': True}, lambda xs, ps, bs: xs[0].mean((2, 3), keepdim=True), [rand(2, 3, 3, 4)])
    case('layer_multiply_broadcast', 'Multiply', {}, lambda xs, ps, bs: xs[0] * xs[1], [rand(2, 3, 2, 4), rand(2, 3, 1, 1)])
    case('layer_multiply_both', 'Multiply', {}, lambda xs, ps, bs: xs[0] * xs[1], [rand(2, 1, 3), rand(2, 4, 1)])
    # ShuffleNet's channel shuffle (Reshape, Transpose, Reshape) and channel split (x.chunk as Slices).
    case('layer_transpose_shuffle', 'Transpose', {'perm': [0, 2, 1, 3, 4]}, lambda xs, ps, bs: xs[0].permute(0, 2, 1, 3, 4), [rand(2, 2, 3, 2, 2)])
    case('layer_transpose_3d', 'Transpose', {'perm': [0, 3, 1, 2]}, lambda xs, ps, bs: xs[0].permute(0, 3, 1, 2), [rand(2, 3, 4, 5)])
    case('layer_slice_channels', 'Slice', {'axis': 1, 'start': 2, 'length': 3}, lambda xs, ps, bs: xs[0].narrow(1, 2, 3), [rand(2, 6, 2, 2)])
    case('layer_slice_last', 'Slice', {'axis': 2, 'start': 0, 'length': 2}, lambda xs, ps, bs: xs[0].narrow(2, 0, 2), [rand(3, 2, 5)])
    # PReLU: a learned slope per channel (the gradient reaches it from x ≤ 0 only).
    case('layer_prelu_image', 'PReLU', {}, lambda xs, ps, bs: F.prelu(xs[0], ps['weight']), [rand(2, 3, 2, 3)], {'weight': rand(3, scale=0.3)})
    case('layer_prelu_vector', 'PReLU', {}, lambda xs, ps, bs: F.prelu(xs[0], ps['weight']), [rand(4, 5)], {'weight': rand(5, scale=0.3)})
    # GroupNorm: statistics per sample and group of channels, affine per channel.
    case('layer_groupnorm', 'GroupNorm', {'numGroups': 2}, lambda xs, ps, bs: F.group_norm(xs[0], 2, ps['weight'], ps['bias']), [rand(2, 4, 3, 2, scale=2.0) + 0.5],
         {'weight': f32(1 + 0.3 * torch.randn(4, dtype=torch.float64)), 'bias': rand(4, scale=0.3)})
    case('layer_groupnorm_noaffine_seq', 'GroupNorm', {'numGroups': 3, 'eps': 1e-3, 'affine': False}, lambda xs, ps, bs: F.group_norm(xs[0], 3, eps=1e-3), [rand(2, 6, 5)])

    # Conv1d (run as a 1×k Conv2d).
    case('layer_conv1d_groups_pad_dilation', 'Conv1d', {'outChannels': 4, 'kernelSize': 3, 'stride': 2, 'padding': 2, 'dilation': 2, 'groups': 2},
         lambda xs, ps, bs: F.conv1d(xs[0], ps['weight'], ps['bias'], 2, 2, 2, 2), [rand(2, 4, 9)], {'weight': rand(4, 2, 3, scale=0.3), 'bias': rand(4, scale=0.3)})
    # Bilinear upsampling (align_corners False).
    case('layer_upsample_bilinear_s3', 'Upsample', {'scaleFactor': 3, 'mode': 'bilinear'},
         lambda xs, ps, bs: F.interpolate(xs[0], scale_factor=3, mode='bilinear', align_corners=False), [rand(2, 2, 3, 4)])

if __name__ == '__main__':
    main()
