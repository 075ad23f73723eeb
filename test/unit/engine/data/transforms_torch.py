"""Every declared input transform's test cases under PyTorch, for transforms-torch.test.ts.

Reads a JSON list of cases (argv[1]). For each, draws `n` corruptions of the case's sample `x0`
with the exported train.py's `corrupt` (the transform's `torch` text, reading CONFIG as a design
holds the setting; null where it has none) and with its torchvision counterpart (`torchvision`, an
expression over T, t and image; null where it declares none), and prints the moments of each:
per value, the mean and variance of y and of y², and per sample, those of the sample's mean of y
and of y² (samples are independent draws; the values of one sample need not be).
"""
import json
import sys

import torch
import torchvision.transforms as T


def moments(y):
    y = y.double()
    sq = y * y
    stat = lambda v: {"mean": v.mean(0).tolist(), "var": v.var(0, unbiased=False).tolist()}
    return {"n": len(y), "y": stat(y), "y2": stat(sq), "row": stat(y.mean(1, keepdim=True)), "row2": stat(sq.mean(1, keepdim=True))}


def train_py(case, x):
    source = "def corrupt(x, generator):\n    t = CONFIG['dataset']['transform']\n    if True:\n" + case["torch"] + "\n    return x\n"
    scope = {"torch": torch, "CONFIG": {"dataset": {"transform": case["config"], "image_shape": case["sample"]}}}
    exec(source, scope)
    generator = torch.Generator().manual_seed(case["seed"])
    y = scope["corrupt"](x.clone(), generator)
    if tuple(y.shape) != tuple(x.shape) or y.dtype != torch.float32:
        raise ValueError(f"corrupt gave {tuple(y.shape)} {y.dtype} for {tuple(x.shape)} float32")
    return y


def torchvision(case, x0):
    f = eval(case["torchvision"], {"T": T, "t": case["settings"], "image": case["sample"]})
    torch.manual_seed(case["seed"])
    sample = x0.reshape(case["sample"])
    return torch.stack([f(sample.clone()).reshape(-1) for _ in range(case["n"])])


def run(draw):
    try:
        return moments(draw())
    except Exception as e:  # named in the test's failure
        return {"error": f"{type(e).__name__}: {e}"}


with open(sys.argv[1]) as f:
    cases = json.load(f)
out = []
for case in cases:
    x0 = torch.tensor(case["x0"], dtype=torch.float32)
    x = x0.repeat(case["n"], 1)
    out.append({
        "trainPy": run(lambda: train_py(case, x)) if case["torch"] is not None else None,
        "torchvision": run(lambda: torchvision(case, x0)) if case["torchvision"] is not None else None,
    })
print(json.dumps(out))
