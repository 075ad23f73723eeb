#!/usr/bin/env python3
"""Golden fixtures for the sequence ops (RNN, LSTM, GRU, Embedding, MultiHeadAttention, PositionalEmbedding,
SequencePool, TokenCrossEntropyLoss), computed by PyTorch.

Run with Debian's python (PyTorch 1.13 CPU):  /usr/bin/python3 test/golden/gen_sequences.py
Writes test/golden/ops/seq_<case>.json in the format of gen_layers.py (whose `case` it uses): the
output, the input gradient and every weight gradient of `nn.RNN`/`nn.LSTM`/`nn.GRU(batch_first=True)`, run
in float64 on float32-rounded inputs and weights, under the parameter names PyTorch gives them
(the module's own kernel, `torch._VF.lstm`/`gru`, called with the weights as leaves).
"""
import os

import torch
from torch import nn
import torch.nn.functional as F

from gen_layers import OUT, case, f32, rand

torch.manual_seed(4321)


def rnn_case(name, op, cls, n, t, f, h, layers=1, bidirectional=False, bias=True, output='sequence'):
    m = cls(f, h, num_layers=layers, bias=bias, bidirectional=bidirectional, batch_first=True).double()
    params = {k: f32(v * 1.5) for k, v in m.named_parameters()}

    names = [k for k, _ in m.named_parameters()]

    def fn(xs, ps, bs):
        x = xs[0]
        weights = [ps[k] for k in names]
        h0 = torch.zeros(layers * (2 if bidirectional else 1), n, h, dtype=x.dtype)
        if cls is nn.LSTM:
            y, hn, _ = torch._VF.lstm(x, (h0, h0), weights, bias, layers, 0.0, True, bidirectional, True)
        elif cls is nn.GRU:
            y, hn = torch._VF.gru(x, h0, weights, bias, layers, 0.0, True, bidirectional, True)
        else:
            y, hn = torch._VF.rnn_tanh(x, h0, weights, bias, layers, 0.0, True, bidirectional, True)
        if output == 'sequence':
            return y
        return torch.cat([hn[-2], hn[-1]], -1) if bidirectional else hn[-1]

    attrs = {'hiddenSize': h, 'numLayers': layers, 'bidirectional': bidirectional, 'bias': bias, 'output': output}
    case(name, op, attrs, fn, [rand(n, t, f)], params)


def embedding_fn(xs, ps, bs):
    """nn.Embedding on float ids as Netwright reads them (the exported TokenEmbedding): truncated,
    negative ones from the end (an id out of range raises, as Netwright refuses it)."""
    w = ps['weight']
    k = xs[0].detach().long()
    return F.embedding(torch.where(k < 0, k + w.shape[0], k), w)


def mha_case(name, n, t, e, heads, causal=False, bias=True):
    """nn.MultiheadAttention(e, heads, bias, batch_first=True) on (x, x, x), through the module's own
    function (F.multi_head_attention_forward, time-major) with the weights as leaves."""
    m = torch.nn.MultiheadAttention(e, heads, bias=bias, batch_first=True).double()
    params = {'in_proj_weight': f32(m.in_proj_weight), 'out_proj_weight': f32(m.out_proj.weight)}
    if bias:
        params['in_proj_bias'] = rand(3 * e, scale=0.5)
        params['out_proj_bias'] = rand(e, scale=0.5)
    mask = torch.triu(torch.full((t, t), float('-inf'), dtype=torch.float64), 1) if causal else None

    def fn(xs, ps, bs):
        x = xs[0].transpose(0, 1)
        y, _ = F.multi_head_attention_forward(
            x, x, x, e, heads, ps['in_proj_weight'], ps.get('in_proj_bias'), None, None, False, 0.0,
            ps['out_proj_weight'], ps.get('out_proj_bias'), training=True, need_weights=False, attn_mask=mask)
        return y.transpose(0, 1)

    case(name, 'MultiHeadAttention', {'numHeads': heads, 'causal': causal, 'bias': bias}, fn, [rand(n, t, e)], params)


def token_ce_fn(smoothing):
    def fn(xs, ps, bs):
        logits, target = xs
        return F.cross_entropy(logits.reshape(-1, logits.shape[-1]), target.detach().reshape(-1).long(), label_smoothing=smoothing)
    return fn


def main():
    os.makedirs(OUT, exist_ok=True)
    for f in os.listdir(OUT):
        if f.startswith('seq_'):
            os.remove(os.path.join(OUT, f))
    rnn_case('seq_lstm_1layer', 'LSTM', nn.LSTM, 2, 4, 3, 5)
    rnn_case('seq_lstm_last_nobias', 'LSTM', nn.LSTM, 3, 5, 2, 4, bias=False, output='last')
    rnn_case('seq_lstm_2layer_bidir', 'LSTM', nn.LSTM, 2, 3, 3, 4, layers=2, bidirectional=True)
    rnn_case('seq_lstm_bidir_last', 'LSTM', nn.LSTM, 2, 4, 3, 3, bidirectional=True, output='last')
    rnn_case('seq_gru_1layer', 'GRU', nn.GRU, 2, 4, 3, 5)
    rnn_case('seq_gru_last_nobias', 'GRU', nn.GRU, 3, 5, 2, 4, bias=False, output='last')
    rnn_case('seq_gru_2layer_bidir', 'GRU', nn.GRU, 2, 3, 3, 4, layers=2, bidirectional=True)
    rnn_case('seq_gru_bidir_last', 'GRU', nn.GRU, 2, 4, 3, 3, bidirectional=True, output='last')
    # In range only: an id past the table (or below −V) is refused (E_ID_RANGE, #83), as nn.Embedding raises.
    ids = f32(torch.tensor([[0, 3, -1, 2.7, 3], [4.9, -5, 4, 1, -5.5]], dtype=torch.float64))
    case('seq_embedding', 'Embedding', {'numEmbeddings': 5, 'embeddingDim': 3}, embedding_fn, [ids], {'weight': rand(5, 3)})
    mha_case('seq_mha', 2, 4, 6, 2)
    mha_case('seq_mha_causal', 2, 5, 6, 3, causal=True)
    mha_case('seq_mha_causal_nobias_1head', 3, 3, 4, 1, causal=True, bias=False)
    case('seq_positional', 'PositionalEmbedding', {}, lambda xs, ps, bs: xs[0] + ps['weight'], [rand(2, 3, 4)], {'weight': rand(3, 4)})
    case('seq_pool_mean', 'SequencePool', {'mode': 'mean'}, lambda xs, ps, bs: xs[0].mean(1), [rand(2, 4, 3)])
    case('seq_pool_last', 'SequencePool', {'mode': 'last'}, lambda xs, ps, bs: xs[0][:, -1], [rand(3, 4, 2)])
    targets = f32(torch.tensor([[0, 4, 2], [1, 1, 3]], dtype=torch.float64))
    case('seq_token_ce', 'TokenCrossEntropyLoss', {'labelSmoothing': 0.0, 'classWeights': []}, token_ce_fn(0.0), [rand(2, 3, 5, scale=2), targets])
    case('seq_token_ce_smoothing', 'TokenCrossEntropyLoss', {'labelSmoothing': 0.1, 'classWeights': []}, token_ce_fn(0.1), [rand(2, 3, 5), targets])
    # Appended after the rest, so the cases above keep their random draws.
    rnn_case('seq_rnn_1layer', 'RNN', nn.RNN, 2, 4, 3, 5)
    rnn_case('seq_rnn_2layer_bidir_last', 'RNN', nn.RNN, 2, 3, 3, 4, layers=2, bidirectional=True, output='last')
    rnn_case('seq_rnn_last_nobias', 'RNN', nn.RNN, 3, 5, 2, 4, bias=False, output='last')


if __name__ == '__main__':
    main()
