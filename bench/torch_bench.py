"""PyTorch side of `npm run bench`: the same workloads as bench/run.ts, in PyTorch on this CPU.

Reads one JSON request on stdin (written by bench/run.ts) and prints one JSON result on stdout:
  request = {threads: [1, 2], gemm: [[m, k, n], ...], seconds: float,
             models: [{name, batch, graph (Netwright IR, attrs filled with defaults), lr}],
             data: {features: path, labels: path, n, shape}}  # float32 / float32 raw files
  result  = {torch: version, gemm: {"MxKxN": {threads: gflops}}, train: {name: {threads: samples_per_s}}}

Models are built from the same IR the Netwright bench compiles (ops mapped one to one), trained
with Adam at batch 64 on the same real MNIST batches: forward, backward, optimizer step.
"""
import json
import sys
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def pair(v):
    return tuple(v) if isinstance(v, (list, tuple)) else (v, v)


class SeqRnn(nn.Module):
    """nn.LSTM / nn.GRU(batch_first=True) as Netwright's op: the sequence, or the last layer's final h."""

    def __init__(self, cls, features, a):
        super().__init__()
        self.rnn = cls(features, a["hiddenSize"], num_layers=a.get("numLayers", 1), bias=a.get("bias", True),
                       batch_first=True, bidirectional=a.get("bidirectional", False))
        self.last = a.get("output") == "last"

    def forward(self, x):
        y, state = self.rnn(x)
        if not self.last:
            return y
        h = state[0] if isinstance(state, tuple) else state
        return torch.cat([h[-2], h[-1]], -1) if self.rnn.bidirectional else h[-1]


class IRModel(nn.Module):
    """Runs a Netwright GraphIR; modules with parameters are created on the first forward."""

    def __init__(self, graph):
        super().__init__()
        self.nodes = graph["nodes"]
        self.mods = nn.ModuleDict()

    def _module(self, node, x):
        op, a = node["op"], node["attrs"]
        if op == "Linear":
            return nn.Linear(x.shape[-1], a["outFeatures"], bias=a.get("bias", True))
        if op == "Conv2d":
            return nn.Conv2d(x.shape[1], a["outChannels"], pair(a["kernelSize"]), pair(a.get("stride", 1)),
                             pair(a.get("padding", 0)), pair(a.get("dilation", 1)), a.get("groups", 1), a.get("bias", True))
        if op == "ConvTranspose2d":
            return nn.ConvTranspose2d(x.shape[1], a["outChannels"], pair(a["kernelSize"]), pair(a.get("stride", 1)),
                                      pair(a.get("padding", 0)), pair(a.get("outputPadding", 0)), bias=a.get("bias", True))
        if op == "BatchNorm":
            cls = nn.BatchNorm2d if x.dim() == 4 else nn.BatchNorm1d
            return cls(x.shape[1], eps=a.get("eps", 1e-5), momentum=a.get("momentum", 0.1), affine=a.get("affine", True))
        if op in ("LSTM", "GRU"):
            return SeqRnn(getattr(nn, op), x.shape[-1], a)
        if op == "LayerNorm":
            return nn.LayerNorm(list(x.shape[-a.get("normalizedDims", 1):]))
        return None

    def forward(self, feats, target):
        vals, losses = {}, []
        for node in self.nodes:
            op, a, nid = node["op"], node["attrs"], node["id"]
            ins = [vals[i] for i in node["inputs"]]
            if op == "Input":
                vals[nid] = target if a.get("source") == "target" else feats
                continue
            x = ins[0] if ins else None
            if nid not in self.mods:
                m = self._module(node, x)
                if m is not None:
                    self.mods[nid] = m
            if nid in self.mods:
                y = self.mods[nid](x)
            elif op == "ReLU":
                y = F.relu(x)
            elif op == "LeakyReLU":
                y = F.leaky_relu(x, a.get("negativeSlope", 0.01))
            elif op == "Sigmoid":
                y = torch.sigmoid(x)
            elif op == "Tanh":
                y = torch.tanh(x)
            elif op == "GELU":
                y = F.gelu(x)
            elif op == "Softmax":
                y = F.softmax(x, dim=-1)
            elif op == "MaxPool2d":
                k = pair(a["kernelSize"])
                s = pair(a["stride"]) if a.get("stride") else k
                y = F.max_pool2d(x, k, s, pair(a.get("padding", 0)))
            elif op == "AvgPool2d":
                k = pair(a["kernelSize"])
                s = pair(a["stride"]) if a.get("stride") else k
                y = F.avg_pool2d(x, k, s, pair(a.get("padding", 0)))
            elif op == "Flatten":
                y = torch.flatten(x, 1)
            elif op == "Reshape":
                y = x.reshape(x.shape[0], *a["shape"])
            elif op == "Dropout":
                y = F.dropout(x, a.get("p", 0.5), self.training)
            elif op == "Add":
                y = sum(ins)
            elif op == "Concat":
                y = torch.cat(ins, a.get("axis", 1))
            elif op == "Upsample":
                y = F.interpolate(x, scale_factor=a.get("scaleFactor", 2), mode="nearest")
            elif op == "GlobalAvgPool":
                y = x.mean(dim=(2, 3))
            elif op == "CrossEntropyLoss":
                y = F.cross_entropy(x, ins[1].long())
            elif op == "MSELoss":
                y = F.mse_loss(x, ins[1].reshape(x.shape))
            elif op in ("BCELoss",):
                y = F.binary_cross_entropy(x, ins[1].reshape(x.shape))
            elif op in ("BCEWithLogitsLoss",):
                y = F.binary_cross_entropy_with_logits(x, ins[1].reshape(x.shape))
            else:
                raise ValueError(f"torch_bench: no PyTorch mapping for op {op}")
            vals[nid] = y
            if op.endswith("Loss"):
                losses.append(y)
        return sum(losses)


def bench_gemm(m, k, n, seconds):
    a, b = torch.randn(m, k), torch.randn(k, n)
    c = torch.empty(m, n)
    flops = 2.0 * m * n * k
    reps = max(1, int(2e8 / flops))
    for _ in range(3):
        torch.mm(a, b, out=c)
    best = 0.0
    deadline = time.perf_counter() + seconds
    while True:
        t0 = time.perf_counter()
        for _ in range(reps):
            torch.mm(a, b, out=c)
        best = max(best, flops * reps / (time.perf_counter() - t0) / 1e9)
        if time.perf_counter() > deadline:
            return best


def bench_train(model_cfg, feats, labels, seconds):
    torch.manual_seed(0)
    graph, batch = model_cfg["graph"], model_cfg["batch"]
    target_is_features = model_cfg.get("targetIsFeatures", False)
    feat_shape = model_cfg["featureShape"]
    n = feats.shape[0] // batch
    batches = []
    for i in range(n):
        x = feats[i * batch:(i + 1) * batch].reshape(batch, *feat_shape)
        y = feats[i * batch:(i + 1) * batch].reshape(batch, *model_cfg["targetShape"]) if target_is_features else labels[i * batch:(i + 1) * batch]
        if model_cfg.get("noisyInput"):
            x = (x + 0.3 * torch.randn_like(x)).clamp(0, 1)
        batches.append((x, y))
    model = IRModel(graph)
    model.train()
    model(*batches[0])  # creates the parameter modules
    opt = torch.optim.Adam(model.parameters(), lr=model_cfg.get("lr", 1e-3))

    def step(i):
        x, y = batches[i % n]
        opt.zero_grad(set_to_none=False)
        loss = model(x, y)
        loss.backward()
        opt.step()

    for i in range(10):
        step(i)
    best = 0.0
    deadline = time.perf_counter() + seconds
    i = 0
    while True:
        t0 = time.perf_counter()
        steps = 0
        while time.perf_counter() - t0 < seconds / 3 or steps < 5:
            step(i)
            i += 1
            steps += 1
        best = max(best, steps * batch / (time.perf_counter() - t0))
        if time.perf_counter() > deadline:
            return best


def main():
    req = json.load(sys.stdin)
    d = req["data"]
    feats = torch.from_numpy(np.fromfile(d["features"], dtype=np.float32).reshape(d["n"], -1).copy())
    labels = torch.from_numpy(np.fromfile(d["labels"], dtype=np.float32).copy())
    out = {"torch": torch.__version__, "gemm": {}, "train": {}}
    for t in req["threads"]:
        torch.set_num_threads(t)
        for (m, k, n) in req["gemm"]:
            out["gemm"].setdefault(f"{m}x{k}x{n}", {})[str(t)] = bench_gemm(m, k, n, req["seconds"] / 2)
        for mc in req["models"]:
            out["train"].setdefault(mc["name"], {})[str(t)] = bench_train(mc, feats, labels, req["seconds"])
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
