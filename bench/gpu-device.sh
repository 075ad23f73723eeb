#!/usr/bin/env bash
# The device side of bench/gpu-device.ts: the WebGPU backend (Dawn, Vulkan) and PyTorch CUDA on a
# GPU machine that has neither Node nor this repository's node_modules. What it unpacks, made here
# (see docs/webgpu-backend.md, "On a real GPU"):
#   .dev/node.xz                 this machine's node binary, xz-compressed
#   .dev/webgpu/                 npm `webgpu`'s index.js, package.json and dist/linux-x64/dawn.node, xz-compressed
#   .dev/gpu-device.mjs          bench/gpu-device.ts bundled by esbuild (`webgpu` external)
#   .dev/gd.tar.xz               `npx tsx bench/gpu-device.ts dump /tmp/gd`, archived
#   .gl/*.deb                    the Vulkan loader and libglvnd, which NVIDIA's Vulkan ICD needs
#                                (`apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2`)
# `bash bench/gpu-device.sh prepare` makes them here (ignore .dev/ and .gl/ in .git/info/exclude;
# carry both to the GPU machine). Writes webgpu.txt and torch.txt (tiles.txt) under $OUT.
# `bash bench/gpu-device.sh ab` first runs .dev/gpu-device-before.mjs (the same bundle made from the
# commit to compare with) into webgpu-before.txt: before, after and PyTorch in one lease of the
# device. `bash bench/gpu-device.sh resident` first runs this bundle with BENCH_GPU_RESIDENT=0 (every
# batch uploaded, as before the training data was held on the device) into webgpu-uploaded.txt.
# BENCH_RUN_MODELS=a,b limits every run to those workloads. `bash bench/gpu-device.sh sweep` runs
# convtiles then tiles (BENCH_CONV_TILES and BENCH_TILES: candidate tiles as JSON, timed beside the built-in ones).
set -u
if [ "${1:-}" = prepare ]; then
  set -e
  mkdir -p .dev/webgpu .gl
  rm -rf /tmp/gd
  npx tsx bench/gpu-device.ts dump /tmp/gd
  tar -C /tmp -cf - gd | xz -T0 -6 > .dev/gd.tar.xz
  npx esbuild bench/gpu-device.ts --bundle --platform=node --format=esm --target=node20 --external:webgpu \
    --banner:js="import { createRequire as __cr } from 'node:module'; const require = __cr(import.meta.url);" \
    --outfile=.dev/gpu-device.mjs --log-level=warning
  # What does not change with the code (node, Dawn, the Vulkan loader) is packed once.
  [ -f .dev/node.xz ] || xz -T0 -6 -c "$(command -v node)" > .dev/node.xz
  cp node_modules/webgpu/index.js node_modules/webgpu/package.json .dev/webgpu/
  [ -f .dev/webgpu/dawn.node.xz ] || xz -T0 -6 -c node_modules/webgpu/dist/linux-x64/dawn.node > .dev/webgpu/dawn.node.xz
  ls .gl/*.deb >/dev/null 2>&1 || (cd .gl && apt-get download libvulkan1 libegl1 libglvnd0 libopengl0 libgl1 libglx0 libgles2)
  exit
fi
unxz() { python3 -c "import lzma,shutil,sys; shutil.copyfileobj(lzma.open(sys.argv[1]), open(sys.argv[2], 'wb'))" "$1" "$2"; }
for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES=$icd && cat "$icd"
# The ICD (libGLX_nvidia) needs libglvnd's dispatch libraries (the .gl packages) and the driver's own.
export LD_LIBRARY_PATH=/usr/local/nvidia/lib64:/usr/local/nvidia/lib${LD_LIBRARY_PATH:+:$LD_LIBRARY_PATH}
W=/tmp/gdw
mkdir -p "$W/node_modules/webgpu/dist/linux-x64"
unxz .dev/node.xz "$W/node" && chmod +x "$W/node"
cp .dev/webgpu/index.js .dev/webgpu/package.json "$W/node_modules/webgpu/"
unxz .dev/webgpu/dawn.node.xz "$W/node_modules/webgpu/dist/linux-x64/dawn.node"
cp .dev/gpu-device.mjs "$W/"
[ -f .dev/gpu-device-before.mjs ] && cp .dev/gpu-device-before.mjs "$W/"
python3 -c "import tarfile; tarfile.open('.dev/gd.tar.xz').extractall('/tmp')"
nvidia-smi --query-gpu=name,driver_version,clocks.max.sm,clocks.max.mem --format=csv
"$W/node" --version
if [ "${1:-}" = convtiles ]; then
  # Every conv tile on the real-size workloads' convolutions, and a batch's upload (bench/gpu-device.ts convtiles).
  (cd "$W" && ./node gpu-device.mjs convtiles /tmp/gd) 2>&1 | tee "$OUT/convtiles.txt"
  exit
fi
if [ "${1:-}" = sweep ]; then
  # Both sweeps in one lease: every conv tile and candidate on the real-size convolutions, then every GEMM tile.
  (cd "$W" && ./node gpu-device.mjs convtiles /tmp/gd) 2>&1 | tee "$OUT/convtiles.txt"
  (cd "$W" && ./node gpu-device.mjs tiles) 2>&1 | tee "$OUT/tiles.txt"
  exit
fi
if [ "${1:-}" = tiles ]; then
  # Which GEMM tile to pick on this adapter: every tile at square sizes (bench/gpu-device.ts tiles).
  (cd "$W" && ./node gpu-device.mjs tiles) 2>&1 | tee "$OUT/tiles.txt"
  exit
fi
if [ "${1:-}" = ab ]; then
  (cd "$W" && ./node gpu-device-before.mjs run /tmp/gd) 2>&1 | tee "$OUT/webgpu-before.txt"
fi
if [ "${1:-}" = resident ]; then
  (cd "$W" && BENCH_GPU_RESIDENT=0 ./node gpu-device.mjs run /tmp/gd) 2>&1 | tee "$OUT/webgpu-uploaded.txt"
fi
(cd "$W" && ./node gpu-device.mjs run /tmp/gd) 2>&1 | tee "$OUT/webgpu.txt"
PYTHONUNBUFFERED=1 python3 bench/torch_cuda.py /tmp/gd 2>&1 | tee "$OUT/torch.txt"
