"""The learning rates of every declared schedule's test cases under PyTorch, for schedules-torch.test.ts.

Reads a JSON list of cases (argv[1]); prints, per case, the rate before each of its first `steps`
optimizer steps under its torch.optim.lr_scheduler counterpart (`torch`, or null where the schedule
declares none) and under the exported train.py's `make_schedule` (`trainPy`), or the error either raised.
"""
import json
import math
import sys
import warnings

import torch

S = torch.optim.lr_scheduler
# SequentialLR steps its later schedulers with an epoch argument, which PyTorch 1.13 warns about.
warnings.simplefilter("ignore", UserWarning)


def rates(make, base_lr, steps, metrics):
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.SGD([p], lr=base_lr)
    sched = make(opt)
    out = []
    for k in range(steps):
        out.append(opt.param_groups[0]["lr"])
        opt.step()
        if metrics is None:
            sched.step()
        else:
            sched.step(metrics[k])
    return out


def counterpart(case):
    """The declared expression over `optimizer` and `s` (every setting, the declared defaults filled in)."""
    make = eval("lambda optimizer, s: " + case["torch"], {"S": S, "torch": torch, "math": math})
    return lambda opt: make(opt, case["settings"])


def train_py(case):
    """train.py's lr_at and make_schedule as the exporter fills them in, reading CONFIG as a design holds the settings."""
    source = (
        "def lr_at(t, base):\n    s = CONFIG['schedule']\n    " + case["lrRule"] + "\n\n\n"
        "def make_schedule(optimizer):\n    s = CONFIG['schedule']\n    " + case["scheduler"] + "\n"
    )
    scope = {"torch": torch, "math": math, "CONFIG": {"schedule": case["config"], "optimizer": {"lr": case["baseLr"]}}}
    exec(source, scope)
    return scope["make_schedule"]


def run(make, case):
    try:
        return {"rates": rates(make(), case["baseLr"], case["steps"], case.get("metrics"))}
    except Exception as e:  # named in the test's failure
        return {"error": f"{type(e).__name__}: {e}"}


with open(sys.argv[1]) as f:
    cases = json.load(f)
out = []
for case in cases:
    out.append({
        "torch": run(lambda: counterpart(case), case) if case["torch"] is not None else None,
        "trainPy": run(lambda: train_py(case), case),
    })
print(json.dumps(out))
