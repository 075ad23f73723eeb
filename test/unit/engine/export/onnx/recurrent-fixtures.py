"""Writes what torch.onnx (PyTorch 1.13, opset 17) makes of batch-first sequence layers (argv[2]:
a comma-separated list of lstm, gru, mha: nn.MultiheadAttention classifiers over MNIST-sized rows,
lstm_fixed: an nn.LSTM classifier exported as tutorials do, from one sample and without
dynamic_axes, its outputs computed for a batch of 3),
and PyTorch's outputs, into argv[1]: NAME.onnx and NAME.json ({input, inputShape, output},
flattened) per model. Run by recurrent.test.ts and attention.test.ts with /usr/bin/python3;
nothing is checked in.
"""
import json
import sys

import torch
from torch import nn

out_dir = sys.argv[1]
torch.manual_seed(0)


class Rnn(nn.Module):
    """nn.RNN / nn.LSTM / nn.GRU(batch_first=True) returning the sequence, or the last layer's final h."""

    def __init__(self, cls, f, h, last, **kwargs):
        super().__init__()
        self.rnn = cls(f, h, batch_first=True, **kwargs)
        self.last = last

    def forward(self, x):
        y, state = self.rnn(x)
        if not self.last:
            return y
        h = state[0] if isinstance(state, tuple) else state
        return h[-1]


class LstmClassifier(nn.Module):
    """Rows of an image through nn.LSTM(28, 32), a Linear on the last step to 10 classes."""

    def __init__(self):
        super().__init__()
        self.lstm = nn.LSTM(28, 32, batch_first=True)
        self.fc = nn.Linear(32, 10)

    def forward(self, x):
        y, _ = self.lstm(x)
        return self.fc(y[:, -1, :])


class RowAttention(nn.Module):
    """Rows of an image as a sequence: (learned positions +) self-attention, a mean over the
    steps or the last step, a Linear to 10 classes."""

    def __init__(self, heads, causal=False, positions=False, pool='mean', bias=True):
        super().__init__()
        self.pos = nn.Parameter(torch.randn(28, 28) * 0.5) if positions else None
        self.att = nn.MultiheadAttention(28, heads, bias=bias, batch_first=True)
        with torch.no_grad():
            if bias:
                self.att.in_proj_bias.normal_(0, 0.3)
                self.att.out_proj.bias.normal_(0, 0.3)
        self.causal = causal
        self.pool = pool
        self.fc = nn.Linear(28, 10)

    def forward(self, x):
        if self.pos is not None:
            x = x + self.pos
        mask = torch.triu(torch.full((28, 28), float("-inf")), 1) if self.causal else None
        y, _ = self.att(x, x, x, need_weights=False, attn_mask=mask)
        return self.fc(y.mean(1) if self.pool == 'mean' else y[:, -1])


def write(name, model, x, fixed_batch=False):
    model.eval()
    with torch.no_grad():
        y = model(x)
    if fixed_batch:
        torch.onnx.export(model, x[:1], f"{out_dir}/{name}.onnx", opset_version=17)
    else:
        torch.onnx.export(model, x, f"{out_dir}/{name}.onnx", opset_version=17, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    with open(f"{out_dir}/{name}.json", "w") as f:
        json.dump({"input": x.flatten().tolist(), "inputShape": list(x.shape), "output": y.flatten().tolist()}, f)


kinds = sys.argv[2].split(",")
if "lstm" in kinds:
    write("lstm_seq", Rnn(nn.LSTM, 28, 48, False), torch.randn(3, 28, 28))
    write("lstm_last", Rnn(nn.LSTM, 28, 48, True), torch.randn(2, 28, 28))
    write("lstm_stacked", Rnn(nn.LSTM, 28, 16, False, num_layers=2, bidirectional=True), torch.randn(2, 28, 28))
if "lstm_fixed" in kinds:
    write("lstm_fixed", LstmClassifier(), torch.randn(3, 28, 28), fixed_batch=True)
if "gru" in kinds:
    write("gru_seq", Rnn(nn.GRU, 28, 48, False), torch.randn(3, 28, 28))
    write("gru_last", Rnn(nn.GRU, 28, 48, True), torch.randn(2, 28, 28))
    write("gru_stacked", Rnn(nn.GRU, 28, 48, False, num_layers=2), torch.randn(2, 28, 28))
if "rnn" in kinds:
    write("rnn_seq", Rnn(nn.RNN, 28, 48, False), torch.randn(3, 28, 28))
    write("rnn_last", Rnn(nn.RNN, 28, 48, True), torch.randn(2, 28, 28))
    write("rnn_stacked", Rnn(nn.RNN, 28, 48, False, num_layers=2), torch.randn(2, 28, 28))
if "mha" in kinds:
    write("mha_mean", RowAttention(4), torch.rand(3, 28, 28))
    write("mha_causal_last_pos", RowAttention(7, causal=True, positions=True, pool='last'), torch.rand(2, 28, 28))
    write("mha_nobias_1head", RowAttention(1, bias=False), torch.rand(2, 28, 28))
