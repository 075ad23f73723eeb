"""Load an exported PyTorch project and compare its eval outputs with Netwright's.

    python3 torch_check.py EXPORT_DIR CASE_DIR

CASE_DIR holds inputs_0.npy, inputs_1.npy, ... (the batch, as fed to forward(), in its argument order) and expected.json (node name ->
[shape, values] of every node Netwright computed). Prints one JSON object: the largest absolute
difference per node (submodule outputs through forward hooks, plus what forward() returns) and
the state_dict keys. Exits 1 when the weights do not load strictly.
"""
import json
import os
import sys

import numpy as np
import torch

export_dir, case_dir = sys.argv[1], sys.argv[2]
sys.path.insert(0, export_dir)
from model import Net, load_weights  # noqa: E402

model = Net()
load_weights(model, os.path.join(export_dir, 'weights.pt'))
model.eval()
expected = json.load(open(os.path.join(case_dir, 'expected.json')))
captured = {}
for name, module in model.named_children():
    module.register_forward_hook(lambda m, i, o, name=name: captured.__setitem__(name, o.detach()))
xs = []
while os.path.exists(os.path.join(case_dir, f'inputs_{len(xs)}.npy')):
    xs.append(torch.from_numpy(np.load(os.path.join(case_dir, f'inputs_{len(xs)}.npy'))))
with torch.no_grad():
    out = model(*xs)
returned = out if isinstance(out, dict) else {'__prediction__': out}
diffs = {}
for node, (shape, values) in expected.items():
    got = captured.get(node)
    if got is None:
        continue
    ref = torch.tensor(values, dtype=torch.float32).reshape(shape)
    diffs[node] = float((got.reshape(ref.shape) - ref).abs().max()) if got.numel() == ref.numel() else float('inf')
pred = expected.get('__prediction__')
if pred is not None:
    ref = torch.tensor(pred[1], dtype=torch.float32).reshape(pred[0])
    got = returned['__prediction__'] if '__prediction__' in returned else next(iter(returned.values()))
    diffs['__prediction__'] = float((got.reshape(ref.shape) - ref).abs().max())
print(json.dumps({'diffs': diffs, 'keys': list(model.state_dict().keys()), 'hooked': sorted(captured)}))
