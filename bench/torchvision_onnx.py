"""The bench's real-size workloads as torch.onnx writes them (#59): torchvision's resnet18 and
mobilenet_v3_small at 224×224 with random weights (torchvision's init after torch.manual_seed(0),
the same module bench/torch_bench.py builds), exported in eval mode at opset 17 with a dynamic
batch. Nothing is downloaded.

NOTE: TrainingMode.PRESERVE, not the default EVAL: in EVAL mode the exporter folds each BatchNorm
into the Conv before it (its eval-mode peephole pass), and the network Netwright would then train
has no BatchNorm, where torchvision's trains with one after every convolution. PRESERVE with the
model in eval mode skips that pass and writes each BatchNormalization in inference form (one
output), which Netwright imports as a BatchNorm node; Dropout, in eval mode, is not written. bench/workloads.ts runs this once into a cache folder keyed by this
script and the torch/torchvision versions (node_modules/.cache/netwright-bench-onnx/<key>), so the
bench does not export again: argv[1] is the folder, argv[2:] the model names (default: all).

Run with /usr/bin/python3 (Debian's python3-torch and python3-torchvision).
"""
import os
import sys

import torch
import torchvision

MODELS = ("resnet18", "mobilenet_v3_small")
IMAGE = (1, 3, 224, 224)


def make(name):
    """torchvision's module with its init under a fixed seed (torch_bench.py builds it the same way)."""
    torch.manual_seed(0)
    return getattr(torchvision.models, name)()


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for name in sys.argv[2:] or MODELS:
        model = make(name).eval()
        x = torch.zeros(*IMAGE)
        with torch.no_grad():
            torch.onnx.export(model, x, f"{out}/{name}.onnx", opset_version=17, input_names=["x"], output_names=["y"],
                              dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}}, training=torch.onnx.TrainingMode.PRESERVE)


if __name__ == "__main__":
    main()
