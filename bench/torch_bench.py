"""PyTorch side of `npm run bench`: the same workloads as bench/run.ts, in PyTorch on this CPU.

bench/run.ts starts one process per thread count and threading configuration (its threads pinned by
OMP/MKL/OPENBLAS_NUM_THREADS and torch.set_num_threads; see TORCH_CONFIGS there) and asks it for
one measurement at a time, interleaved with its own:
  first line  {threads: t, data: {features: path, labels: path, n}}  # float32 raw files
              -> {torch: version, numThreads, interopThreads, env}
  then        {gemm: [m, k, n], seconds} -> {value: GFLOP/s}
              {train: {name, batch, graph (Netwright IR, attrs filled with defaults), lr, ...}, seconds}
              -> {value: samples/s}

Models are built from the same IR the Netwright bench compiles (ops mapped one to one), trained
with Adam at batch 64 on the same real MNIST batches: forward, backward, optimizer step. The
real-size workloads ({train: {torchvision: {model, classes, frozen}, ...}}, #59) train torchvision's
own module instead (torchvision_model), at their batch (16) on the bench's images.

Each answer also carries `cpu`: the process's CPU seconds per sample over the window (its threads'
time, spinning included), a figure other jobs' load moves less than the wall clock's.
"""
import json
import os
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


class SelfAttention(nn.MultiheadAttention):
    """nn.MultiheadAttention(batch_first) on (x, x, x), with the causal mask when set: Netwright's op."""

    def __init__(self, e, a):
        super().__init__(e, a["numHeads"], bias=a.get("bias", True), batch_first=True)
        self.causal = a.get("causal", False)

    def forward(self, x):
        t = x.shape[1]
        mask = torch.triu(torch.full((t, t), float("-inf"), device=x.device), 1) if self.causal else None
        return super().forward(x, x, x, need_weights=False, attn_mask=mask)[0]


class Positions(nn.Module):
    """A learned vector per position, added: Netwright's PositionalEmbedding."""

    def __init__(self, t, e):
        super().__init__()
        self.weight = nn.Parameter(torch.zeros(t, e))

    def forward(self, x):
        return x + self.weight


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
        if op == "Embedding":
            return nn.Embedding(a["numEmbeddings"], a["embeddingDim"])
        if op == "PositionalEmbedding":
            return Positions(x.shape[1], x.shape[2])
        if op == "MultiHeadAttention":
            return SelfAttention(x.shape[-1], a)
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
                    self.mods[nid] = m.to(x.device)
            if nid in self.mods:
                y = self.mods[nid](x.long() if op == "Embedding" else x)
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
            elif op == "TokenCrossEntropyLoss":
                y = F.cross_entropy(x.reshape(-1, x.shape[-1]), ins[1].reshape(-1).long())
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


def torchvision_model(cfg):
    """torchvision's module as bench/torchvision_onnx.py exports it (its init after torch.manual_seed(0)),
    its last Linear replaced by a new one for `classes` classes as Netwright's "Replace head" does,
    without Dropout (the eval-mode export has none, so Netwright's import trains without it). Frozen:
    every parameter but the head's is left out of training (requires_grad False) and the backbone
    runs in eval mode (BatchNorm normalising with its running statistics), as Netwright runs a
    frozen backbone. Returns (model, head)."""
    import torchvision  # only here: a GPU machine may have PyTorch without it (bench/torch_cuda.py)

    torch.manual_seed(0)
    m = getattr(torchvision.models, cfg["model"])()
    if isinstance(getattr(m, "fc", None), nn.Linear):
        m.fc = head = nn.Linear(m.fc.in_features, cfg["classes"])
    else:
        m.classifier[-1] = head = nn.Linear(m.classifier[-1].in_features, cfg["classes"])
    for parent in list(m.modules()):
        for k, child in parent.named_children():
            if isinstance(child, nn.Dropout):
                setattr(parent, k, nn.Identity())
    if cfg["frozen"]:
        for p in m.parameters():
            p.requires_grad_(False)
        for p in head.parameters():
            p.requires_grad_(True)
    return m, head


class TorchvisionModel(nn.Module):
    """A torchvision classifier with a cross-entropy loss: IRModel's (feats, target) -> loss."""

    def __init__(self, cfg):
        super().__init__()
        self.net, self.head = torchvision_model(cfg)
        self.frozen = cfg["frozen"]

    def train(self, mode=True):
        super().train(mode)
        if self.frozen:
            self.net.eval()
            self.head.train(mode)
        return self

    def forward(self, feats, target):
        return F.cross_entropy(self.net(feats), target.long())


def sync(device):
    """Wait for the device's queued work (CUDA runs asynchronously; the CPU needs nothing)."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def bench_gemm(m, k, n, seconds, device=torch.device("cpu")):
    """GFLOP/s of torch.mm over one window of `seconds` (after 3 warm-up products)."""
    a, b = torch.randn(m, k, device=device), torch.randn(k, n, device=device)
    c = torch.empty(m, n, device=device)
    flops = 2.0 * m * n * k
    for _ in range(3):
        torch.mm(a, b, out=c)
    sync(device)
    reps = 0
    t0 = time.perf_counter()
    while True:
        torch.mm(a, b, out=c)
        reps += 1
        sync(device)
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds:
            return flops * reps / elapsed / 1e9


def bench_train(model_cfg, feats, labels, seconds, device=torch.device("cpu")):
    """Samples/s of full Adam steps over one window of `seconds` (after `warmupSteps` warm-up steps,
    default 10; at least `minSteps`, default 5), and CPU seconds per sample; on CUDA each step is
    waited for, as ours on WebGPU is."""
    torch.manual_seed(0)
    graph, batch = model_cfg.get("graph"), model_cfg["batch"]
    target_is_features = model_cfg.get("targetIsFeatures", False)
    feat_shape = model_cfg["featureShape"]
    if "data" in model_cfg:
        # The workload's own samples (a language model's text), not the MNIST files.
        d = model_cfg["data"]
        feats = torch.from_numpy(np.fromfile(d["features"], dtype=np.float32).copy())
        labels = torch.from_numpy(np.fromfile(d["targets"], dtype=np.float32).copy())
        count = feats.shape[0] // int(np.prod(feat_shape))
        feats = feats.reshape(count, -1)
        labels = labels.reshape(count, *model_cfg["targetShape"])  # a class id per sample: 1-D
    n = feats.shape[0] // batch
    batches = []
    for i in range(n):
        x = feats[i * batch:(i + 1) * batch].reshape(batch, *feat_shape)
        y = feats[i * batch:(i + 1) * batch].reshape(batch, *model_cfg["targetShape"]) if target_is_features else labels[i * batch:(i + 1) * batch]
        if model_cfg.get("noisyInput"):
            x = (x + 0.3 * torch.randn_like(x)).clamp(0, 1)
        batches.append((x.to(device), y.to(device)))
    if "torchvision" in model_cfg:
        model = TorchvisionModel(model_cfg["torchvision"]).to(device)
        model.train()
    else:
        model = IRModel(graph)
        model.train()
        model(*batches[0])  # creates the parameter modules
    opt = torch.optim.Adam([p for p in model.parameters() if p.requires_grad], lr=model_cfg.get("lr", 1e-3))

    def step(i):
        x, y = batches[i % n]
        opt.zero_grad(set_to_none=False)
        loss = model(x, y)
        loss.backward()
        opt.step()
        sync(device)

    for i in range(model_cfg.get("warmupSteps", 10)):
        step(i)
    steps = 0
    t0 = time.perf_counter()
    c0 = time.process_time()
    while True:
        step(steps)
        steps += 1
        elapsed = time.perf_counter() - t0
        if elapsed >= seconds and steps >= model_cfg.get("minSteps", 5):
            return steps * batch / elapsed, (time.process_time() - c0) / (steps * batch)


def main():
    """Serve measurements, one JSON request per stdin line, one JSON answer per stdout line.

    The process is started once per thread count and threading configuration, with
    OMP/MKL/OPENBLAS_NUM_THREADS (and OMP_WAIT_POLICY, OPENBLAS_THREAD_TIMEOUT) set by the caller;
    the first line is {"threads": t, "data": {...}}, answered with what PyTorch reports.
    """
    init = json.loads(sys.stdin.readline())
    t = init["threads"]
    torch.set_num_threads(t)
    torch.set_num_interop_threads(t)
    d = init["data"]
    feats = torch.from_numpy(np.fromfile(d["features"], dtype=np.float32).reshape(d["n"], -1).copy())
    labels = torch.from_numpy(np.fromfile(d["labels"], dtype=np.float32).copy())
    env = {k: os.environ.get(k) for k in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "OMP_WAIT_POLICY", "OPENBLAS_THREAD_TIMEOUT")}
    print(json.dumps({"torch": torch.__version__, "numThreads": torch.get_num_threads(),
                      "interopThreads": torch.get_num_interop_threads(), "env": env}), flush=True)
    for line in sys.stdin:
        req = json.loads(line)
        if "gemm" in req:
            m, k, n = req["gemm"]
            out = {"value": bench_gemm(m, k, n, req["seconds"])}
        else:
            value, cpu = bench_train(req["train"], feats, labels, req["seconds"])
            out = {"value": value, "cpu": cpu}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
