"""PyTorch's plain loop for bench/finetune-journey.ts (#59): torchvision's resnet18 (random
weights, torch.manual_seed(0), as bench/torchvision_onnx.py builds it) with a new 3-class head,
the backbone frozen (requires_grad False) and in eval mode (BatchNorm on its running statistics,
as Netwright's frozen BatchNorm), Adam at 1e-3 on the head, over the same photo folder: every
image decoded once into memory (scaled to [0, 1], as Netwright's image folder), `train` of them
shuffled each epoch in batches of `batch`, then `val` of them evaluated, as the CLI's epoch does.
Prints one JSON line: each epoch's seconds.

argv: folder batch epochs threads train val. Run with /usr/bin/python3 (Debian's python3-torch).
"""
import json
import os
import sys
import time

import numpy as np
import torch
import torchvision
from PIL import Image


def load(folder):
    classes = sorted(d for d in os.listdir(folder) if os.path.isdir(os.path.join(folder, d)))
    xs, ys = [], []
    for k, c in enumerate(classes):
        for f in sorted(os.listdir(os.path.join(folder, c))):
            img = Image.open(os.path.join(folder, c, f)).convert("RGB").resize((224, 224))
            xs.append(np.asarray(img, dtype=np.float32).transpose(2, 0, 1) / 255.0)
            ys.append(k)
    return torch.from_numpy(np.stack(xs)), torch.tensor(ys), len(classes)


def main():
    folder, batch, epochs, threads, train, val = sys.argv[1], *map(int, sys.argv[2:7])
    torch.set_num_threads(threads)
    x, y, classes = load(folder)
    g = torch.Generator().manual_seed(0)
    perm = torch.randperm(len(y), generator=g)
    tr, va = perm[:train], perm[train:train + val]
    torch.manual_seed(0)
    model = torchvision.models.resnet18()
    for p in model.parameters():
        p.requires_grad = False
    model.fc = torch.nn.Linear(model.fc.in_features, classes)
    opt = torch.optim.Adam(model.fc.parameters(), lr=1e-3)
    loss_fn = torch.nn.CrossEntropyLoss()
    times = []
    for _ in range(epochs):
        t0 = time.perf_counter()
        model.eval()  # the frozen backbone's BatchNorms on their running statistics
        model.fc.train()
        order = tr[torch.randperm(len(tr), generator=g)]
        for s in range(0, len(order), batch):
            idx = order[s:s + batch]
            opt.zero_grad()
            loss = loss_fn(model(x[idx]), y[idx])
            loss.backward()
            opt.step()
        with torch.no_grad():
            for s in range(0, len(va), batch):
                model(x[va[s:s + batch]])
        times.append(time.perf_counter() - t0)
    print(json.dumps({"epochs": times}))


if __name__ == "__main__":
    main()
