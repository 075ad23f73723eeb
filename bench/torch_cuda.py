"""PyTorch on CUDA beside the WebGPU backend (bench/gpu-device.ts): the workloads dumped by
`npx tsx bench/gpu-device.ts dump <dir>`, trained as bench/torch_bench.py trains them (Adam, batch 64,
every step waited for), and the same GEMMs in fp32 (TF32 off, PyTorch's default for matmul).

    python3 bench/torch_cuda.py <dir>   -> one JSON line `torch-cuda {...}`
"""
import json
import os
import sys
import time

import numpy as np
import torch

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from torch_bench import bench_gemm, bench_train  # noqa: E402


def main():
    d = sys.argv[1]
    seconds = float(os.environ.get("BENCH_SECONDS", "2"))
    spec = json.load(open(os.path.join(d, "workloads.json")))
    dev = torch.device("cuda")
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False
    t0 = time.perf_counter()
    gemm = {}
    for m, k, n in spec["gemm"] + [[4096, 4096, 4096]]:
        gemm[f"{m}x{k}x{n}"] = bench_gemm(m, k, n, seconds / 2, dev)
    train = {}
    empty = torch.zeros(0)
    only = [m for m in os.environ.get("BENCH_RUN_MODELS", "").split(",") if m]  # as gpu-device.ts run
    for w in spec["workloads"]:
        if only and w["name"] not in only:
            continue
        cfg = dict(w)
        cfg["data"] = {key: os.path.join(d, f) for key, f in w["data"].items()}
        try:
            train[w["name"]] = bench_train(cfg, empty, empty, seconds, dev)[0]
        except Exception as e:  # one workload's failure (torchvision missing there) leaves the others' figures
            train[w["name"]] = f"failed: {type(e).__name__}: {e}"
            print(f"torch-cuda {w['name']}: {train[w['name']]}", flush=True)
    print("torch-cuda " + json.dumps({"torch": torch.__version__, "device": torch.cuda.get_device_name(dev),
                                      "gemm": gemm, "train": train, "seconds": seconds,
                                      "wallSeconds": time.perf_counter() - t0}), flush=True)


if __name__ == "__main__":
    main()
