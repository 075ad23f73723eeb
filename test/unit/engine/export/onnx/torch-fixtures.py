"""Writes ONNX files with torch.onnx (PyTorch 1.13) and PyTorch's outputs for them, into argv[1].

Each model NAME gives NAME.onnx and NAME.json ({input, inputShape, output}, flattened). Run by
import.test.ts with /usr/bin/python3; nothing is checked in.
"""
import json
import sys

import torch
from torch import nn

out_dir = sys.argv[1]
torch.manual_seed(0)


def write(name, model, x, opset):
    model.eval()
    # Eval-mode BatchNorm uses running statistics: give them values a few training steps would.
    for m in model.modules():
        if isinstance(m, (nn.BatchNorm1d, nn.BatchNorm2d)):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 2.0)
            m.weight.data.uniform_(0.5, 1.5)
            m.bias.data.uniform_(-0.5, 0.5)
    with torch.no_grad():
        y = model(x)
    torch.onnx.export(model, x, f"{out_dir}/{name}.onnx", opset_version=opset, input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})
    with open(f"{out_dir}/{name}.json", "w") as f:
        json.dump({"input": x.flatten().tolist(), "inputShape": list(x.shape), "output": y.flatten().tolist()}, f)


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1 = nn.Linear(20, 32)
        self.act1 = nn.ReLU()
        self.drop = nn.Dropout(0.2)
        self.fc2 = nn.Linear(32, 16)
        self.act2 = nn.Tanh()
        self.fc3 = nn.Linear(16, 5)
        self.soft = nn.Softmax(dim=1)

    def forward(self, x):
        return self.soft(self.fc3(self.act2(self.fc2(self.drop(self.act1(self.fc1(x)))))))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 8, 3, padding=1)
        self.bn1 = nn.BatchNorm2d(8)
        self.relu1 = nn.ReLU()
        self.pool1 = nn.MaxPool2d(2)
        self.conv2 = nn.Conv2d(8, 12, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(12)
        self.relu2 = nn.ReLU()
        self.gap = nn.AdaptiveAvgPool2d(1)
        self.flat = nn.Flatten()
        self.fc = nn.Linear(12, 10)
        self.bn3 = nn.BatchNorm1d(10)

    def forward(self, x):
        x = self.pool1(self.relu1(self.bn1(self.conv1(x))))
        # NOTE: torch.onnx folds a BatchNorm that follows a Conv into its weights (bn1); one after
        # the ReLU (bn2) and one after a Linear (bn3) stay BatchNormalization nodes.
        x = self.bn2(self.relu2(self.conv2(x)))
        return self.bn3(self.fc(self.flat(self.gap(x))))


write("mlp", Mlp(), torch.randn(4, 20), 13)
write("cnn", Cnn(), torch.randn(3, 1, 12, 12), 17)
write("gelu", nn.Sequential(nn.Linear(6, 8), nn.GELU(), nn.Linear(8, 3)), torch.randn(5, 6), 17)
write("gelu_tanh", nn.Sequential(nn.Linear(6, 8), nn.GELU(approximate="tanh"), nn.Linear(8, 3)), torch.randn(5, 6), 17)
