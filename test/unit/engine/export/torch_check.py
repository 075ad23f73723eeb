"""Load an exported PyTorch project and compare its eval outputs with Netwright's.

    python3 torch_check.py EXPORT_DIR CASE_DIR [EXPORT_DIR CASE_DIR ...]

CASE_DIR holds inputs_0.npy, inputs_1.npy, ... (the batch, as fed to forward(), in its argument order) and expected.json (node name ->
[shape, values] of every node Netwright computed). Prints one JSON object per pair, one a line:
the largest absolute difference per node (submodule outputs through forward hooks, plus what
forward() returns) and the state_dict keys. Exits 1 when the weights do not load strictly.
Several pairs share one interpreter (importing torch is most of a check's time); each export's
model.py is loaded as a module of its own, as a fresh process would load it.
"""
import importlib.util
import json
import os
import sys

import numpy as np
import torch


def load_export(export_dir, k):
    """The exported Net with its weights, in eval mode; model.py loaded as a module of its own (number k)."""
    spec = importlib.util.spec_from_file_location(f'netwright_export_{k}', os.path.join(export_dir, 'model.py'))
    module = importlib.util.module_from_spec(spec)
    sys.path.insert(0, export_dir)
    try:
        spec.loader.exec_module(module)
    finally:
        sys.path.remove(export_dir)
    model = module.Net()
    module.load_weights(model, os.path.join(export_dir, 'weights.pt'))
    model.eval()
    return model


def check(export_dir, case_dir, k):
    model = load_export(export_dir, k)
    expected = json.load(open(os.path.join(case_dir, 'expected.json')))
    captured = {}
    # Every module by its path in Net ('fc1', or 'layer1_0.conv1' inside a repeated block), as the expected outputs are named.
    for name, child in model.named_modules():
        if name:
            child.register_forward_hook(lambda m, i, o, name=name: captured.__setitem__(name, o.detach()) if torch.is_tensor(o) else None)
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
    return {'diffs': diffs, 'keys': list(model.state_dict().keys()), 'hooked': sorted(captured)}


if __name__ == '__main__':
    pairs = sys.argv[1:]
    if len(pairs) < 2 or len(pairs) % 2:
        sys.exit('usage: torch_check.py EXPORT_DIR CASE_DIR [EXPORT_DIR CASE_DIR ...]')
    for k in range(0, len(pairs), 2):
        print(json.dumps(check(pairs[k], pairs[k + 1], k // 2)), flush=True)
