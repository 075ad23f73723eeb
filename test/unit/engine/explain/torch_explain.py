"""PyTorch's autograd on an exported model: the gradients a saliency map, Grad-CAM and token saliency read.

    python3 torch_explain.py EXPORT_DIR CASE_JSON [EXPORT_DIR CASE_JSON ...]

CASE_JSON: {"mode": "features" | "tokens" | "gradcam", "shape": the feature Input's per-sample
shape, "inputs": the inputs (one, or SmoothGrad's noisy copies, as fed to forward()), "target":
the score's index in the prediction, "module": the submodule whose output is read (Grad-CAM's
layer, the Embedding) or null}. Prints one JSON object per pair, one a line: "score" (the
prediction at target on the first input) and "values": the mean gradient with respect to the
input (features), gradient × embedding summed per position (tokens), or ReLU(Σ_c α_c A_c) with
α_c the spatial mean of the gradient (gradcam).
"""
import json
import os
import sys

import torch

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'export'))
from torch_check import load_export  # noqa: E402  (the one loader of an exported project)


def explain(export_dir, case_path, k):
    model = load_export(export_dir, k)
    case = json.load(open(case_path))
    captured = {}
    if case['module']:
        def keep(m, i, o):
            o.retain_grad()
            captured['a'] = o
        getattr(model, case['module']).register_forward_hook(keep)

    def score(x):
        y = model(x)
        if isinstance(y, dict):
            y = next(iter(y.values()))
        return y[0, case['target']]

    grads, scores = [], []
    for values in case['inputs']:
        x = torch.tensor(values, dtype=torch.float32).reshape([1] + case['shape'])
        x.requires_grad_(case['mode'] == 'features')
        s = score(x)
        s.backward()
        scores.append(float(s))
        if case['mode'] == 'features':
            grads.append(x.grad.reshape(-1))
    if case['mode'] == 'features':
        values = torch.stack(grads).mean(0)
    elif case['mode'] == 'tokens':
        a = captured['a']
        values = (a * a.grad).sum(-1)
    else:
        a = captured['a']
        values = torch.relu((a.grad.mean((2, 3), keepdim=True) * a).sum(1))
    return {'score': scores[0], 'values': values.detach().reshape(-1).tolist()}


pairs = sys.argv[1:]
if len(pairs) < 2 or len(pairs) % 2:
    sys.exit('usage: torch_explain.py EXPORT_DIR CASE_JSON [EXPORT_DIR CASE_JSON ...]')
for k in range(0, len(pairs), 2):
    print(json.dumps(explain(pairs[k], pairs[k + 1], k // 2)), flush=True)
