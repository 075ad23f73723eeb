"""Writes torch.onnx exports (PyTorch 1.13) of torchvision families and of small idiom models, with
PyTorch's eval outputs on a fixed input, into argv[1] (the tests pass a cache dir keyed by this
script's hash: node_modules/.cache/netwright-torchvision-onnx/<hash>). Nothing is downloaded: the
models have random weights (torchvision's init, BatchNorm statistics moved off their init).

Each model NAME gives NAME.onnx and NAME.json ({input, inputShape, output, output64}, flattened),
and argv[1]/index.json lists the names. `output` is PyTorch's float32 result; `output64` the same
model and input computed in float64 — the exact result to float32's precision, against which the
tests measure both PyTorch's float32 error and ours (the network's own sensitivity to rounding). Run with /usr/bin/python3 (Debian's python3-torch and
python3-torchvision); optional argv[2:] restricts the run to those names.
"""
import json
import os
import sys

import torch
import torchvision
from torch import nn

OUT = sys.argv[1]
ONLY = set(sys.argv[2:])
os.makedirs(OUT, exist_ok=True)

# The smallest input every family accepts: 64×64 images keep the tests fast (about 1/12 of the
# 224×224 cost) and still leave each family's last feature map at least 2×2.
IMAGE = (1, 3, 64, 64)


def settle(model, shape):
    """
    Eval mode, with BatchNorm statistics as training gives them: measured on a few random batches
    (cumulative average), after moving the affine weights off their init. NOTE: with the init
    statistics (mean 0, var 1) a deep random network washes its input out: the outputs of two
    images then differ by 1e-8, and no test could tell a wrong early layer from a right one.
    """
    g = torch.Generator().manual_seed(1)
    norms = [m for m in model.modules() if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d, nn.GroupNorm))]
    for m in norms:
        if m.affine:
            m.weight.data.copy_(1.0 + 0.2 * (torch.rand(m.weight.shape, generator=g) - 0.5))
            m.bias.data.copy_(0.2 * (torch.rand(m.bias.shape, generator=g) - 0.5))
        if isinstance(m, nn.GroupNorm):
            continue
        m.reset_running_stats()
        m.momentum = None
    model.train()
    with torch.no_grad():
        for _ in range(3):
            model(torch.randn(8, *shape[1:], generator=g))
    return model.eval()


written = []


def write(name, make, shape, opset=17):
    if ONLY and name not in ONLY:
        return
    torch.manual_seed(0)
    model = settle(make(), shape)
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        y = model(x)
        torch.onnx.export(model, x, f"{OUT}/{name}.onnx", opset_version=opset, input_names=["x"], output_names=["y"],
                          dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
        # After the export: .double() converts the module's tensors in place.
        y64 = model.double()(x.double())
    with open(f"{OUT}/{name}.json", "w") as f:
        json.dump({"input": x.flatten().tolist(), "inputShape": list(x.shape), "output": y.flatten().tolist(),
                   "output64": y64.flatten().tolist(), "outputShape": list(y.shape)}, f)
    written.append(name)


# — idioms: one PyTorch habit each —


class ViewFlatten(nn.Module):
    """`x.view(x.size(0), -1)` with a dynamic batch: Shape → Gather → Unsqueeze → Concat → Reshape."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3)
        self.fc = nn.Linear(4 * 6 * 6, 5)

    def forward(self, x):
        x = self.conv(x)
        return self.fc(x.view(x.size(0), -1))


class SpatialMean(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 6, 3)
        self.fc = nn.Linear(6, 4)

    def forward(self, x):
        return self.fc(self.conv(x).mean((2, 3)))


class SqueezeExcite(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.fc1 = nn.Conv2d(8, 4, 1)
        self.fc2 = nn.Conv2d(4, 8, 1)

    def forward(self, x):
        x = self.conv(x)
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(self.pool(x)))))
        return x * s


class Conv1dNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = nn.Conv1d(3, 5, 3, padding=1)
        self.fc = nn.Linear(5 * 10, 4)

    def forward(self, x):
        return self.fc(torch.relu(self.conv(x)).flatten(1))


write("avgpool", lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.AvgPool2d(2), nn.Flatten(), nn.Linear(4 * 3 * 3, 5)), (2, 3, 8, 8))
write("view_flatten", ViewFlatten, (2, 3, 8, 8))
write("relu6", lambda: nn.Sequential(nn.Linear(6, 8), nn.ReLU6(), nn.Linear(8, 3)), (4, 6))
write("spatial_mean", SpatialMean, (2, 3, 8, 8))
write("prelu", lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.PReLU(4), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)), (2, 3, 8, 8))
write("groupnorm", lambda: nn.Sequential(nn.Conv2d(3, 8, 3), nn.GroupNorm(2, 8), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 3)), (2, 3, 8, 8))
write("conv1d", Conv1dNet, (2, 3, 10))
write("upsample_bilinear", lambda: nn.Sequential(nn.Conv2d(3, 4, 3, padding=1), nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False), nn.Conv2d(4, 2, 3)), (2, 3, 6, 6))
write("maxpool_ceil", lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.MaxPool2d(3, 2, ceil_mode=True), nn.Flatten(), nn.Linear(4 * 3 * 3, 5)), (2, 3, 9, 9))
write("squeeze_excite", SqueezeExcite, (2, 3, 6, 6))
write("layernorm_opset13", lambda: nn.Sequential(nn.Conv2d(3, 4, 3), nn.LayerNorm([4, 6, 6]), nn.Flatten(), nn.Linear(4 * 6 * 6, 3)), (2, 3, 8, 8), opset=13)

# The same small model saved as onnx.save_model writes a large one: its weights in a file beside it.
if "avgpool" in written:
    import onnx
    external = onnx.load(f"{OUT}/avgpool.onnx")
    onnx.save_model(external, f"{OUT}/external_weights.onnx", save_as_external_data=True, all_tensors_to_one_file=True,
                    location="external_weights.bin", size_threshold=0)

# — torchvision families (random weights) —
tv = torchvision.models
write("resnet18", tv.resnet18, IMAGE)
write("mobilenet_v2", tv.mobilenet_v2, IMAGE)
write("mobilenet_v2_opset13", tv.mobilenet_v2, IMAGE, opset=13)
write("squeezenet1_1", tv.squeezenet1_1, IMAGE)
write("mnasnet0_5", tv.mnasnet0_5, IMAGE)
write("mobilenet_v3_small", tv.mobilenet_v3_small, IMAGE)
write("efficientnet_b0", tv.efficientnet_b0, IMAGE)
write("densenet121", tv.densenet121, IMAGE)
write("resnet50", tv.resnet50, IMAGE)
write("shufflenet_v2_x0_5", tv.shufflenet_v2_x0_5, IMAGE)

with open(f"{OUT}/index.json", "w") as f:
    json.dump(written, f)
