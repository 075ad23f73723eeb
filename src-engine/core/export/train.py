"""Train the exported network (model.py's Net; CONFIG['name'] names the design) as Netwright did,
in one process or distributed.

    python train.py                        # one process: a GPU when there is one, else the CPU
    torchrun --nproc_per_node 2 train.py   # DistributedDataParallel: gloo on CPU, nccl on GPU
    python train.py --report jsonl         # also one JSON record a step and an epoch on stdout (what Netwright reads)

The dataset split, normalisation, input transforms, loss, optimizer (no weight decay on biases
and norm scales), learning-rate schedule, gradient clipping, batch size and seed are the ones the
run used (CONFIG below), and the batches are Netwright's, in its order (NetwrightBatches): the
same global batch on any number of processes. See README.md.
"""
import argparse
import copy
import gzip
import json
import math
import os
import struct
import sys
import time
import urllib.request

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel
from torch.utils.data import DataLoader, Subset, TensorDataset

from model import Net
__LOSS_HELPERS__
HERE = os.path.dirname(os.path.abspath(__file__))

CONFIG = __CONFIG__
# Whether the schedule steps once an epoch on the watched loss (ReduceLROnPlateau), not by count.
SCHEDULE_WATCHES_METRIC = __SCHEDULE_WATCHES_METRIC__


# ── Netwright's data split, reproduced exactly ─────────────────────────────────────────────
M32 = 0xFFFFFFFF


class NetwrightRng:
    """Netwright's seeded generator (xoshiro128**, seeded by splitmix32)."""

    def __init__(self, seed):
        x = seed & M32
        s = []
        for _ in range(4):
            x = (x + 0x9E3779B9) & M32
            z = x
            z = ((z ^ (z >> 16)) * 0x85EBCA6B) & M32
            z = ((z ^ (z >> 13)) * 0xC2B2AE35) & M32
            s.append((z ^ (z >> 16)) & M32)
        self.s = s

    def next_u32(self):
        s0, s1, s2, s3 = self.s
        x = (s1 * 5) & M32
        result = ((((x << 7) | (x >> 25)) & M32) * 9) & M32
        t = (s1 << 9) & M32
        s2 ^= s0
        s3 ^= s1
        self.s = [s0 ^ s3, s1 ^ s2, s2 ^ t, ((s3 << 11) | (s3 >> 21)) & M32]
        return result

    def int(self, n):
        return math.floor(self.next_u32() / 4294967296 * n)

    def shuffle(self, a):
        for i in range(len(a) - 1, 0, -1):
            j = self.int(i + 1)
            a[i], a[j] = a[j], a[i]
        return a


def js_round(x):
    return math.floor(x + 0.5)


class NetwrightBatches(torch.utils.data.Sampler):
    """Netwright's training batches, in its order: the split's indices shuffled at the start of each
    epoch by NetwrightRng(seed ^ 0x51F7E), in place (each epoch shuffles the previous one's order), and
    cut into global batches of batch_size, the last one shorter (core/train/loop.ts). Under DDP each
    process takes its contiguous share of every global batch, so together they train the batch one
    process would; a share that would be empty (a last batch smaller than the world) takes the batch's
    first sample with weight 0. weights[i] scales batch i's mean loss so that DDP's average of the
    processes' gradients is the gradient of the global batch's mean loss."""

    def __init__(self, n, batch_size, seed, rank=0, world=1):
        self.n, self.batch_size, self.rank, self.world = n, batch_size, rank, world
        self.rng = NetwrightRng((seed ^ 0x51F7E) & M32)
        self.order = list(range(n))
        self.shuffled = 0
        self.batches, self.weights, self.counts = [], [], []

    def set_epoch(self, epoch):
        """The order of epoch (1, 2, …): the shuffles up to it, each once."""
        while self.shuffled < epoch:
            self.rng.shuffle(self.order)
            self.shuffled += 1
        self.batches, self.weights, self.counts = [], [], []
        for start in range(0, self.n, self.batch_size):
            batch = self.order[start:start + self.batch_size]
            size, extra = divmod(len(batch), self.world)
            lo = self.rank * size + min(self.rank, extra)
            mine = batch[lo:lo + size + (1 if self.rank < extra else 0)]
            self.counts.append((len(mine), len(batch)))
            self.weights.append(len(mine) * self.world / len(batch))
            self.batches.append(mine if mine else batch[:1])

    def __iter__(self):
        return iter(self.batches)

    def __len__(self):
        return len(self.batches)


def stratified_split(labels, fraction, rng, pool):
    """Hold out fraction of each class (of all samples when labels is None): (kept, held), ascending."""
    pool = list(pool)
    if fraction <= 0:
        return pool, []
    groups = {}
    for i in pool:
        groups.setdefault(float(labels[i]) if labels is not None else 0.0, []).append(i)
    kept, held = [], []
    for key in sorted(groups):
        g = rng.shuffle(groups[key])
        h = min(len(g), js_round(fraction * len(g)))
        held.extend(g[:h])
        kept.extend(g[h:])
    return sorted(kept), sorted(held)


def stratified_sample(labels, pool, limit, rng):
    pool = list(pool)
    if limit >= len(pool):
        return pool
    _, held = stratified_split(labels, limit / len(pool), rng, pool)
    return held[:limit]


IDX_FILES = ['train-images-idx3-ubyte', 'train-labels-idx1-ubyte', 't10k-images-idx3-ubyte', 't10k-labels-idx1-ubyte']


def idx_path(folder, base):
    """The file of base in folder, raw or .gz, either spelling; None when it is not there."""
    for name in (base, base.replace('-idx', '.idx'), base + '.gz', base.replace('-idx', '.idx') + '.gz'):
        if os.path.exists(os.path.join(folder, name)):
            return os.path.join(folder, name)
    return None


def read_idx(folder, base):
    path = idx_path(folder, base)
    if path is None:
        return None
    with open(path, 'rb') as f:
        data = f.read()
    if data[:2] == b'\x1f\x8b':
        data = gzip.decompress(data)
    ndim = data[3]
    dims = struct.unpack('>' + 'I' * ndim, data[4:4 + 4 * ndim])
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * ndim).reshape(dims)


def image_to_sample(im, shape):
    """One image (a PIL image) as a float32 sample [C, H, W] in 0-1, as Netwright converts it
    (core/data/image.ts imageToSample) and as torchvision's transforms do: im.convert('L', 'RGB' or
    'RGBA'), then Resize((H, W)) (PIL's bilinear, antialiased when shrinking; the aspect not kept),
    then ToTensor(). The same 8-bit pixels as Netwright's, so the same float32 values."""
    from PIL import Image
    c, h, w = shape
    im = im.convert({1: 'L', 3: 'RGB', 4: 'RGBA'}[c])
    if im.size != (w, h):
        im = im.resize((w, h), getattr(Image, 'Resampling', Image).BILINEAR)
    pixels = np.asarray(im, dtype=np.float64).reshape(h, w, c) / 255
    return np.ascontiguousarray(pixels.transpose(2, 0, 1)).astype(np.float32)


def normalize_sample(x, norm):
    """One sample standardised with the figures Netwright fitted (files.json), in float64 and rounded
    to float32 as Netwright does (core/data/normalize.ts applyNormalization): 'global' one mean and
    std ((x - mean) * (1 / std)), 'per-channel' one per run of consecutive values (an image's
    channels), 'per-feature' one per value."""
    if norm is None:
        return x
    mean, std = np.array(norm['mean'], dtype=np.float64), np.array(norm['std'], dtype=np.float64)
    v = x.astype(np.float64)
    if norm['kind'] == 'global':
        out = (v - mean[0]) * (1 / std[0])
    elif norm['kind'] == 'per-channel':
        out = (v.reshape(len(mean), -1) - mean[:, None]) / std[:, None]
    else:
        out = (v.reshape(-1) - mean) / std
    return out.astype(np.float32).reshape(x.shape)


class ImageFiles(torch.utils.data.Dataset):
    """Image files read when a batch needs them (the user's images in data/images, or a folder
    Netwright streamed from disk): decoded with Pillow, converted and resized as Netwright converts
    them (image_to_sample), normalised with the figures Netwright fitted (normalize_sample)."""

    def __init__(self, paths, labels, shape, norm):
        self.paths, self.labels, self.shape, self.norm = list(paths), labels, shape, norm

    def __len__(self):
        return len(self.paths)

    def __getitem__(self, i):
        from PIL import Image
        with Image.open(self.paths[i]) as im:
            x = normalize_sample(image_to_sample(im, self.shape), self.norm)
        x = torch.from_numpy(x).reshape(*CONFIG['feature_input']['shape'])
        return x, torch.tensor(int(self.labels[i]), dtype=torch.int64)


def image_files(data_dir):
    """data/files.json: the folder (the user's images copied into data/ under 'folder', or the one
    Netwright read, 'root'), each split's files (relative to it) and labels, and the normalisation
    Netwright fitted. --data FOLDER reads the same layout from another place."""
    meta = json.load(open(os.path.join(HERE, 'data', 'files.json')))
    try:
        import PIL  # noqa: F401 (ImageFiles decodes with it)
    except ImportError:
        sys.exit('train.py reads the image folder with Pillow: pip install pillow (torchvision installs it too).')
    if os.path.abspath(data_dir) != os.path.join(HERE, 'data'):
        root = data_dir
    else:
        root = os.path.join(HERE, 'data', meta['folder']) if meta.get('folder') else meta['root']
    if not os.path.isdir(root):
        sys.exit(f"{CONFIG['dataset']['name']}: the image folder {root} is not there; pass --data FOLDER (one sub-folder per class, as Netwright read it).")
    split = lambda k: (np.array([os.path.join(root, p) for p in meta['splits'][k]['paths']], dtype=object), np.array(meta['splits'][k]['labels'], dtype=np.float32)) if k in meta['splits'] else (None, None)
    return meta, split('train'), split('test'), split('val')


def idx_folder(data_dir):
    """Where the IDX files are: --data, or, left at data/ without them, the folder Netwright read
    them from when it is on this machine (no download needed); else --data, to download into."""
    has_all = lambda folder: all(idx_path(folder, b) for b in IDX_FILES)
    netwright = CONFIG['dataset'].get('idx_folder')
    if os.path.abspath(data_dir) == os.path.join(HERE, 'data') and not has_all(data_dir) and netwright and has_all(netwright):
        return netwright
    return data_dir


def load_dataset(data_dir, rank):
    """(features, labels-or-targets, test features, test targets, task, validation features,
    validation targets); test is None when carved from train, validation None when carved too.
    For an image folder read from disk the features are the files' paths (see ImageFiles)."""
    d = CONFIG['dataset']
    if d['source'] == 'image-files':
        meta, (x, y), (tx, ty), (vx, vy) = image_files(data_dir)
        return x, y, tx, ty, meta['task'], vx, vy
    if d['source'] == 'idx':
        data_dir = idx_folder(data_dir)
        if any(idx_path(data_dir, b) is None for b in IDX_FILES):
            if rank == 0:
                os.makedirs(data_dir, exist_ok=True)
                for b in IDX_FILES:
                    if idx_path(data_dir, b) is None:
                        for mirror in d['mirrors']:
                            try:
                                print(f'downloading {mirror}{b}.gz', flush=True)
                                urllib.request.urlretrieve(mirror + b + '.gz', os.path.join(data_dir, b + '.gz'))
                                break
                            except OSError as e:
                                print(f'  failed: {e}', flush=True)
            if dist.is_initialized():
                dist.barrier()
        arrays = [read_idx(data_dir, b) for b in IDX_FILES]
        if any(a is None for a in arrays):
            sys.exit(f"{d['name']}: the IDX files are not in {data_dir} and could not be downloaded; put train-images-idx3-ubyte(.gz) and friends there (--data DIR).")
        # Netwright divides in float64 and rounds to float32 (so does this).
        to_x = lambda a: (a.astype(np.float64) / 255).astype(np.float32).reshape(len(a), 1, a.shape[1], a.shape[2])
        return to_x(arrays[0]), arrays[1].astype(np.float32), to_x(arrays[2]), arrays[3].astype(np.float32), 'classification', None, None
    if d['source'] == 'npy':
        folder = os.path.join(HERE, 'data')
        meta = json.load(open(os.path.join(folder, 'dataset.json')))
        load = lambda name: np.load(os.path.join(folder, name)) if os.path.exists(os.path.join(folder, name)) else None
        if meta.get('texts'):
            # A text model's samples are their texts, encoded here as Netwright encoded them (tokenizer.json).
            from model import encode_ids
            load_features = lambda split: np.array([encode_ids(t) for t in json.load(open(os.path.join(folder, split + '_texts.json'), encoding='utf-8'))], dtype=np.float32).reshape(-1, *meta['featureShape'])
        else:
            load_features = lambda split: as_samples(load(split + '_features.npy'))
        x, y = load_features('train'), load('train_targets.npy')
        tx, ty = (load_features('test'), load('test_targets.npy')) if meta['hasTest'] else (None, None)
        vx, vy = (load_features('val'), load('val_targets.npy')) if meta.get('hasVal') else (None, None)
        return x, y, tx, ty, meta['task'], vx, vy
    sys.exit(f"The {d['name']} samples were not exported with this project; export it again from Netwright.")


def as_samples(a):
    """Exported samples as float32: images are kept as their 8-bit values (uint8, a quarter of the
    bytes), each value / 255 as Netwright made it (a float64 division rounded to float32)."""
    if a is None or a.dtype != np.uint8:
        return a
    out = np.empty(a.shape, dtype=np.float32)
    for i in range(0, len(a), 4096):
        out[i:i + 4096] = a[i:i + 4096].astype(np.float64) / 255
    return out


def fit_normalization(x, kind):
    """Mean and population std over the training split, in float64 (a constant feature gets std 1).

    Sums run in sample order (cumsum), as Netwright's do, so the statistics match to the last bit.
    """
    if kind == 'raw':  # images on their 0-255 scale: x / (1/255)
        return np.zeros(1), np.full(1, 1 / 255)
    if kind == 'per-channel':  # one mean and std per channel of [C, H, W] images, as per-feature figures
        c = x.shape[1]
        per = x.reshape(len(x), c, -1).astype(np.float64)
        values = [per[:, k, :].reshape(-1) for k in range(c)]
        mean = np.array([np.cumsum(v)[-1] / len(v) for v in values])
        std = np.sqrt(np.array([np.cumsum((v - m) ** 2)[-1] / len(v) for v, m in zip(values, mean)]))
        std[std <= 1e-12] = 1.0
        plane = per.shape[2]
        return np.repeat(mean, plane), np.repeat(std, plane)
    flat = x.reshape(len(x), -1).astype(np.float64)
    if kind == 'global':
        flat = flat.reshape(-1, 1)
    mean = np.cumsum(flat, axis=0)[-1] / len(flat)
    std = np.sqrt(np.cumsum((flat - mean) ** 2, axis=0)[-1] / len(flat))
    std[std <= 1e-12] = 1.0
    return mean, std


def prepare(data_dir, seed, limit, rank):
    d = CONFIG['dataset']
    x, y, tx, ty, task, vx, vy = load_dataset(data_dir, rank)
    classification = task == 'classification'
    # Labels per position (a text's next characters, [N, T]) have no one class to stratify by.
    labels = y if classification and y.ndim == 1 else None
    rng = NetwrightRng((seed ^ 0x5EED5) & M32)
    if tx is not None:
        pool = list(range(len(x)))
    else:
        pool, held = stratified_split(labels, d['test_split'], rng, range(len(x)))
        tx, ty = x[held], (y[held] if y is not None else None)
    if limit is not None:
        cap = math.ceil(limit / (1 - d['validation_split']))
        pool = stratified_sample(labels, pool, cap, rng)
        if len(tx) > limit:
            keep = stratified_sample(ty if classification and ty.ndim == 1 else None, range(len(tx)), limit, rng)
            tx, ty = tx[keep], (ty[keep] if ty is not None else None)
    # A set with its own validation split (an image folder's val/) keeps it; otherwise one is carved.
    train_idx, val_idx = stratified_split(labels, 0 if vx is not None else d['validation_split'], rng, pool)
    if limit is not None and len(train_idx) > limit:
        train_idx = stratified_sample(labels, train_idx, limit, rng)
    if vx is None:
        vx, vy = x[val_idx], (y[val_idx] if y is not None else None)
    elif limit is not None and len(vx) > limit:
        keep = stratified_sample(vy if classification and vy.ndim == 1 else None, range(len(vx)), limit, rng)
        vx, vy = vx[keep], (vy[keep] if vy is not None else None)
    splits = {'train': (x[train_idx], y[train_idx] if y is not None else None), 'val': (vx, vy), 'test': (tx, ty)}
    if d['source'] == 'image-files':
        # Read from disk batch by batch, normalised with the figures Netwright fitted (files.json).
        norm = json.load(open(os.path.join(HERE, 'data', 'files.json'))).get('normalization')
        shape = CONFIG['dataset']['image_shape']
        return {k: ImageFiles(a, b, shape, norm) for k, (a, b) in splits.items()}, classification
    if d['normalize'] != 'none':
        mean, std = fit_normalization(splits['train'][0], d['normalize'])
        for k, (a, b) in splits.items():
            shape = a.shape
            if d['normalize'] in ('per-feature', 'per-channel'):
                # The sample size spelled out: -1 cannot be inferred for an empty split (no validation samples).
                flat = (a.reshape(len(a), int(np.prod(a.shape[1:]))).astype(np.float64) - mean) / std
            else:
                flat = (a.reshape(-1).astype(np.float64) - mean[0]) * (1 / std[0])
            splits[k] = (flat.astype(np.float32).reshape(shape), b)
    if d.get('standardize_target') and not classification and d['target'] != 'features':
        # The targets in standard units, with the training split's mean and std per value, as Netwright
        # trained them (its loss is in these units; model.py's restore_target() undoes them).
        ty = splits['train'][1].reshape(len(splits['train'][1]), -1).astype(np.float64)
        t_mean = ty.mean(0)
        t_std = ty.std(0)
        t_std[t_std <= 1e-12] = 1
        for k, (a, b) in splits.items():
            flat = (b.reshape(len(b), -1).astype(np.float64) - t_mean) / t_std
            splits[k] = (a, flat.astype(np.float32).reshape(b.shape))

    def tensors(a, b):
        fx = torch.from_numpy(np.ascontiguousarray(a)).reshape(len(a), *CONFIG['feature_input']['shape'])
        if d['target'] == 'features':
            return TensorDataset(fx, fx.clone())
        if classification:
            return TensorDataset(fx, torch.from_numpy(b.astype(np.int64)))
        return TensorDataset(fx, torch.from_numpy(np.ascontiguousarray(b, dtype=np.float32)))

    # An autoencoder's target is its input: no classes to score, whatever labels the files carry.
    return {k: tensors(a, b) for k, (a, b) in splits.items()}, classification and d['target'] != 'features'


# ── The recipe ───────────────────────────────────────────────────────────────────────────────
def corrupt(x, generator):
    """The input transform (denoising autoencoders): the target stays clean."""
    t = CONFIG['dataset']['transform']
    __TRANSFORMS__
    return x


def augment(x, generator):
    """Random changes to training images, as Netwright makes them: shifts (pixels) and rotations
    (degrees), nearest-neighbour with zero fill; a left-right mirror half the time (flip); each
    channel scaled by a factor uniform in 1 +- jitter."""
    a = CONFIG['dataset']['augment']
    if not a or not (a.get('shift') or a.get('rotate') or a.get('flip') or a.get('jitter')):
        return x
    shape = x.shape
    x = x.reshape(len(x), *CONFIG['dataset']['image_shape'])
    n, h, w = len(x), x.shape[-2], x.shape[-1]
    shift, rotate = a.get('shift', 0), a.get('rotate', 0)
    if shift or rotate:
        theta = (torch.rand(n, generator=generator) * 2 - 1) * rotate * math.pi / 180
        d = torch.randint(-shift, shift + 1, (n, 2), generator=generator).float()
        cos, sin = torch.cos(theta), torch.sin(theta)
        # affine_grid maps output to input coordinates in [-1, 1]: rotate back, then undo the shift.
        mat = torch.stack([torch.stack([cos, sin, -(cos * d[:, 1] * 2 / w + sin * d[:, 0] * 2 / h)], 1), torch.stack([-sin, cos, -(-sin * d[:, 1] * 2 / w + cos * d[:, 0] * 2 / h)], 1)], 1)
        grid = nn.functional.affine_grid(mat.to(x.device), list(x.shape), align_corners=False)
        x = nn.functional.grid_sample(x, grid, mode='nearest', padding_mode='zeros', align_corners=False)
    if a.get('flip'):
        mirror = (torch.rand(n, generator=generator) < 0.5).to(x.device)
        x = torch.where(mirror.view(n, 1, 1, 1), x.flip(-1), x)
    if a.get('jitter'):
        factor = 1 + (torch.rand(n, x.shape[1], 1, 1, generator=generator) * 2 - 1) * a['jitter']
        x = x * factor.to(x.device)
    return x.reshape(shape)


def total_loss(losses, out, x, y):
    """The sum of the graph's losses, each fed as on the canvas."""
    total = 0
    for spec in losses:
        args = []
        for src in spec['inputs']:
            if 'output' in src:
                args.append(out[src['output']] if CONFIG['multiple_outputs'] else out)
            elif 'feature' in src:
                args.append(x)
            elif src['target'] == 'class-index':
                args.append(y.long())
            else:
                args.append(y.reshape(args[0].shape).to(args[0].dtype))
        total = total + spec['module'].to(args[0].device)(*args)
    return total


def make_optimizer(model):
    o = CONFIG['optimizer']
    decay_names = set(CONFIG['decay_params'])
    named = [(n, p) for n, p in model.named_parameters() if p.requires_grad]  # frozen layers: not trained, no decay
    wd = o.get('weightDecay', __DEFAULT_WEIGHT_DECAY__)
    groups = [
        {'params': [p for n, p in named if n in decay_names], 'weight_decay': wd},
        {'params': [p for n, p in named if n not in decay_names], 'weight_decay': 0.0},
    ]
    lr = o['lr']
    return __TORCH_OPTIMIZER__


def lr_at(t, base):
    """Netwright's schedule in closed form (the learning rate after t schedule steps)."""
    s = CONFIG['schedule']
    __LR_RULE__


def make_schedule(optimizer):
    s = CONFIG['schedule']
    __TORCH_SCHEDULER__


def clip(model):
    c = CONFIG['grad_clip']
    if c is None:
        return
    if c['kind'] == 'norm':
        nn.utils.clip_grad_norm_(model.parameters(), c['maxNorm'])
    else:
        nn.utils.clip_grad_value_(model.parameters(), c['clipValue'])


def reduce_sums(values, device):
    t = torch.tensor(values, dtype=torch.float64, device=device)
    if dist.is_initialized():
        dist.all_reduce(t)
    return t.tolist()


class _SumAcrossProcesses(torch.autograd.Function):
    """A tensor summed over the processes; its gradient summed back likewise (each process's loss
    depends on every process's share of the sum)."""

    @staticmethod
    def forward(ctx, t):
        t = t.clone()
        dist.all_reduce(t)
        return t

    @staticmethod
    def backward(ctx, grad):
        grad = grad.clone()
        dist.all_reduce(grad)
        return grad


class GlobalBatchNorm:
    """Under DDP, BatchNorm layers normalise each process's share with the statistics of the whole
    global batch, as one process would (plain DDP uses each share's own: another curve; torch 1.13's
    SyncBatchNorm runs on CUDA only). The per-channel sums are taken in float64 and summed across the
    processes with their gradient; the running statistics are updated as nn.BatchNorm's are (the
    unbiased variance). A process whose share is empty (counts 0, see NetwrightBatches) adds nothing."""

    def __init__(self, model):
        self.share = 1.0
        for m in model.modules():
            if isinstance(m, nn.modules.batchnorm._BatchNorm):
                m.forward = self.forward_of(m, m.forward)

    def forward_of(self, m, plain):
        def forward(x):
            if not m.training or not m.track_running_stats:
                return plain(x)
            dims = [0] + list(range(2, x.dim()))
            c = x.shape[1]
            live = torch.tensor(self.share, dtype=torch.float64, device=x.device)
            x64 = x.double()
            n = torch.tensor([x.numel() / c], dtype=torch.float64, device=x.device) * live
            total = _SumAcrossProcesses.apply(torch.cat([x64.sum(dims) * live, (x64 * x64).sum(dims) * live, n]))
            count = total[2 * c]
            mean = total[:c] / count
            var = (total[c:2 * c] / count - mean * mean).clamp(min=0)
            shape = [1, c] + [1] * (x.dim() - 2)
            y = (x - mean.float().view(shape)) * torch.rsqrt(var.float().view(shape) + m.eps)
            if m.affine:
                y = y * m.weight.view(shape) + m.bias.view(shape)
            with torch.no_grad():
                m.num_batches_tracked += 1
                momentum = m.momentum if m.momentum is not None else 1 / float(m.num_batches_tracked)
                m.running_mean.mul_(1 - momentum).add_(mean.float(), alpha=momentum)
                m.running_var.mul_(1 - momentum).add_((var * count / max(float(count) - 1, 1)).float(), alpha=momentum)
            return y
        return forward


def agree_buffers(model):
    """Under DDP each rank keeps its own BatchNorm running statistics; the saved model is rank 0's, so every rank takes its buffers before evaluating."""
    if dist.is_initialized():
        for b in model.buffers():
            dist.broadcast(b, 0)


@torch.no_grad()
def evaluate(net, losses, dataset, classification, rank, world, device, corrupted=True, seed=None):
    """Loss (and accuracy) over a whole split: each process takes every world-th sample, then the sums are combined.

    The inputs are corrupted by the input transform as in training (a denoising autoencoder is scored on
    noisy inputs, as Netwright scores it), from a fixed seed so every evaluation sees the same inputs.
    """
    net.eval()
    part = Subset(dataset, range(rank, len(dataset), world))
    noise = torch.Generator().manual_seed(((CONFIG['seed'] if seed is None else seed) ^ 0xE7A1) * 1000 + rank)
    loss_sum, correct, count = 0.0, 0.0, 0.0
    for x, y in DataLoader(part, batch_size=256):
        x, y = x.to(device), y.to(device)
        out = net(corrupt(x, noise) if corrupted else x)
        loss_sum += float(total_loss(losses, out, x, y)) * len(x)
        pred = out[CONFIG['prediction']] if CONFIG['multiple_outputs'] else out
        if classification and y.dim() > 1:  # a class per position: each sample's share right
            # tokens: logits [N, T, V] for targets [N, T]; pixels (segmentation): [N, C, H, W] for [N, H, W]
            axis = -1 if pred.shape[:-1] == y.shape else 1
            correct += float((pred.argmax(axis) == y).float().flatten(1).mean(1).sum())
        elif classification:
            correct += float((pred.argmax(1) == y).sum()) if pred.shape[1] > 1 else float(((pred[:, 0] > 0).long() == y).sum())
        count += len(x)
    loss_sum, correct, count = reduce_sums([loss_sum, correct, count], device)
    result = {'loss': loss_sum / max(count, 1)}
    if classification:
        result['accuracy'] = correct / max(count, 1)
    return result


def json_safe(v):
    """v with NaN and infinities as None (JSON has neither)."""
    if isinstance(v, dict):
        return {k: json_safe(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [json_safe(x) for x in v]
    if isinstance(v, float) and not math.isfinite(v):
        return None
    return v


def write_safetensors(path, tensors, metadata):
    """tensors (name → float32 or int64 tensor) as a safetensors file (an 8-byte little-endian header
    length, the JSON header, the raw little-endian data), metadata's values as strings; written beside
    path and renamed over it, so a reader never sees half a file."""
    header, blobs, offset = {'__metadata__': {k: str(v) for k, v in metadata.items()}}, [], 0
    for name, t in tensors.items():
        a = t.detach().to('cpu').contiguous().numpy()
        a = a.astype('<f4' if a.dtype == np.float32 else '<i8')
        raw = a.tobytes()
        header[name] = {'dtype': 'F32' if a.dtype.kind == 'f' else 'I64', 'shape': list(a.shape), 'data_offsets': [offset, offset + len(raw)]}
        blobs.append(raw)
        offset += len(raw)
    head = json.dumps(header, separators=(',', ':')).encode('utf-8')
    head += b' ' * (-len(head) % 8)
    tmp = f'{path}.{os.getpid()}.tmp'
    with open(tmp, 'wb') as f:
        f.write(struct.pack('<Q', len(head)))
        f.write(head)
        for raw in blobs:
            f.write(raw)
    os.replace(tmp, path)


def save_checkpoint(folder, which, model, optimizer, schedule, epoch, step, metrics, early=None):
    """The epoch's checkpoint as folder/<which>.safetensors (which: last or best): the state_dict under
    its own names, each parameter's optimizer state as optimizer/<slot>/<parameter> (exp_avg, …), and in
    the metadata the epoch, step, learning rate, the schedule's position, the epoch's metrics (JSON) and
    early stopping's state after the epoch (`early`, as Netwright's checkpoints keep it: best, bestIndex, count, wait)."""
    tensors = {k: v for k, v in model.state_dict().items() if v.dtype in (torch.float32, torch.int64)}
    for n, p in model.named_parameters():
        for slot, v in optimizer.state.get(p, {}).items():
            if torch.is_tensor(v) and v.dim() > 0 and slot != 'step':
                tensors[f'optimizer/{slot}/{n}'] = v.float()
    sched = {'stepCount': schedule.last_epoch, 'lr': optimizer.param_groups[0]['lr']}
    if SCHEDULE_WATCHES_METRIC:
        sched['plateau'] = {'best': float(schedule.best), 'badSteps': schedule.num_bad_epochs, 'cooldownCounter': schedule.cooldown_counter}
    meta = {'format': 'pt', 'netwright_checkpoint': json.dumps(json_safe({'which': which, 'epoch': epoch, 'step': step, 'lr': optimizer.param_groups[0]['lr'], 'schedule': sched, 'metrics': metrics, **({'earlyStopping': early} if early else {})}), allow_nan=False)}
    os.makedirs(folder, exist_ok=True)
    write_safetensors(os.path.join(folder, f'{which}.safetensors'), tensors, meta)


def read_safetensors(path):
    """A safetensors file's tensors (F32, I64) by name, and its metadata."""
    with open(path, 'rb') as f:
        data = f.read()
    n = struct.unpack('<Q', data[:8])[0]
    header = json.loads(data[8:8 + n])
    meta = header.pop('__metadata__', {})
    tensors = {}
    for name, h in header.items():
        b, e = h['data_offsets']
        a = np.frombuffer(data[8 + n + b:8 + n + e], dtype={'F32': '<f4', 'I64': '<i8'}[h['dtype']])
        tensors[name] = torch.from_numpy(a.astype(np.float32 if h['dtype'] == 'F32' else np.int64)).reshape(h['shape'])
    return tensors, meta


def resume_state(path, model, optimizer, schedule, device):
    """Where a run stood (--resume-from, as save_checkpoint writes it, or Netwright's own checkpoint
    exported so): each parameter's optimizer state, the step count, the learning rate, the schedule's
    position. Returns (epochs done, steps done, early stopping's state or None: its patience goes on)."""
    tensors, meta = read_safetensors(path)
    ck = json.loads(meta['netwright_checkpoint'])
    params = dict(model.named_parameters())
    for name, t in tensors.items():
        _, slot, param = name.split('/', 2)
        p = params[param]
        state = optimizer.state[p]
        state[slot] = t.to(device).reshape(p.shape).clone()
        state['step'] = torch.tensor(float(ck['step']))
        if isinstance(optimizer, torch.optim.NAdam) and 'mu_product' not in state:
            # NAdam's running product of its momentum coefficients, a function of the step count.
            b1, decay = optimizer.defaults['betas'][0], optimizer.defaults['momentum_decay']
            state['mu_product'] = torch.tensor(math.prod(b1 * (1 - 0.5 * 0.96 ** (k * decay)) for k in range(1, ck['step'] + 1)))
    for g in optimizer.param_groups:
        g['lr'] = ck['lr']
    sched = ck['schedule']
    schedule.last_epoch = sched['stepCount']
    if hasattr(schedule, '_last_lr'):
        schedule._last_lr = [g['lr'] for g in optimizer.param_groups]
    plateau = sched.get('plateau')
    if plateau:
        if plateau['best'] is not None:
            schedule.best = plateau['best']
        schedule.num_bad_epochs, schedule.cooldown_counter = plateau['badSteps'], plateau['cooldownCounter']
    return ck['epoch'], ck['step'], ck.get('earlyStopping')


def batch_correct(out, y, classification):
    """How many of the batch's samples were classified right (a class per position: each sample's share right); 0 for other tasks."""
    if not classification:
        return 0.0
    pred = out[CONFIG['prediction']] if CONFIG['multiple_outputs'] else out
    with torch.no_grad():
        if y.dim() > 1:
            axis = -1 if pred.shape[:-1] == y.shape else 1
            return float((pred.argmax(axis) == y).float().flatten(1).mean(1).sum())
        return float((pred.argmax(1) == y).sum()) if pred.shape[1] > 1 else float(((pred[:, 0] > 0).long() == y).sum())


def summary(t, bins=32):
    """A tensor's histogram (bins over its finite values' range) and statistics, as Netwright's probes give them."""
    t = t.detach().float().reshape(-1).cpu()
    finite = t[torch.isfinite(t)]
    bad = int(t.numel() - finite.numel())
    if finite.numel() == 0:
        return {'min': 0, 'max': 0, 'counts': [0] * bins}, {'count': 0, 'mean': 0, 'std': 0, 'min': 0, 'max': 0, 'zeroFrac': 0, 'nonFinite': bad}
    lo, hi = float(finite.min()), float(finite.max())
    counts = torch.histc(finite, bins=bins, min=lo, max=hi if hi > lo else lo + 1).long().tolist()
    f64 = finite.double()
    stats = {'count': int(finite.numel()), 'mean': float(f64.mean()), 'std': float(f64.std(unbiased=False)), 'min': lo, 'max': hi,
             'zeroFrac': float((t == 0).sum()) / t.numel(), 'nonFinite': bad}
    return {'min': lo, 'max': hi if hi > lo else lo, 'counts': counts}, stats


class Probe:
    """--report jsonl: probe frames at the app's cadence (at most PROBE_HZ a second, process 0), from the
    step just trained: each parameter's weight and gradient histograms and statistics, its gradient and
    weight norms and update ratio (|w after - w before| / |w after|), and each layer's activation
    histogram (a forward hook on each of Net's modules). With a probe batch (--probe: the samples
    Netwright's probes use) the activations and the shown samples' class probabilities come from an
    eval-mode forward of it, as Netwright's do; else the activations are the training step's."""

    PROBE_HZ = 2.0

    def __init__(self, model, on, batch=None):
        self.on, self.model, self.last, self.capturing, self.acts, self.batch = on, model, -math.inf, False, {}, batch
        if on:
            # Each layer's module by its path in Net (CONFIG['modules']: 'fc1', or 'layer1_0.conv1' inside a repeated block).
            for name in CONFIG['modules']:
                model.get_submodule(name).register_forward_hook(self.keep(name))

    def keep(self, name):
        def hook(module, inputs, output):
            if self.capturing and torch.is_tensor(output):
                self.acts[name] = output.detach()
        return hook

    def start(self):
        """Whether this step is probed (without a probe batch, its activations kept from now)."""
        due = self.on and time.monotonic() - self.last >= 1 / self.PROBE_HZ
        self.capturing = due and self.batch is None
        self.acts = {}
        return due

    @torch.no_grad()
    def probe_batch(self):
        """The probe batch's eval-mode forward: its activations, and the shown samples' class probabilities."""
        x, y, shown = self.batch
        was_training = self.model.training
        self.model.eval()
        self.capturing, self.acts = True, {}
        try:
            out = self.model(x)
        finally:
            self.capturing = False
            self.model.train(was_training)
        pred = (out[CONFIG['prediction']] if CONFIG['multiple_outputs'] else out)[:shown].float()
        probs = torch.softmax(pred, 1) if pred.shape[1] > 1 else torch.cat([1 - torch.sigmoid(pred), torch.sigmoid(pred)], 1)
        return {'kind': 'classification', 'probs': probs.tolist(), 'predicted': probs.argmax(1).tolist(), 'targets': y[:shown].long().tolist()}

    def before_update(self):
        """The gradients' figures and the weights before the step (for the update ratio)."""
        self.grads = {n: (p.grad.detach().clone() if p.grad is not None else None) for n, p in self.model.named_parameters()}
        self.before = {n: p.detach().clone() for n, p in self.model.named_parameters()}

    def frame(self, step, epoch, loss):
        t0 = time.monotonic()
        self.capturing = False
        params = []
        for n, p in self.model.named_parameters():
            w, g = p.detach(), self.grads.get(n)
            weight_hist, weight_stats = summary(w)
            entry = {'name': n, 'shape': list(w.shape), 'weightNorm': float(w.double().norm()), 'weightHist': weight_hist, 'weightStats': weight_stats,
                     'updateRatio': float((w.double() - self.before[n].double()).norm() / w.double().norm()) if float(w.double().norm()) > 0 else 0.0}
            if g is not None:
                grad_hist, grad_stats = summary(g)
                entry.update(gradNorm=float(g.double().norm()), gradMeanAbs=float(g.double().abs().mean()), gradHist=grad_hist, gradStats=grad_stats)
            else:
                entry.update(gradNorm=None, gradMeanAbs=None, frozen=True)
            params.append(entry)
        samples = self.probe_batch() if self.batch is not None else None
        layers = []
        for name, a in self.acts.items():
            hist, stats = summary(a)
            layers.append({'module': name, 'shape': list(a.shape[1:]), 'hist': hist, 'stats': stats})
        self.last = time.monotonic()
        return {'step': step, 'epoch': epoch, 'loss': loss, 'params': params, 'layers': layers, **({'samples': samples} if samples else {}), 'costMs': (self.last - t0) * 1000}


def probe_batch(path, splits, device):
    """--probe's samples as tensors (features, targets, how many are shown)."""
    p = json.load(open(path))
    ds = splits[p['split']]
    items = [ds[i] for i in p['indices']]
    return torch.stack([x for x, _ in items]).to(device), torch.stack([y for _, y in items]).to(device), p['samples']


def process_start(pid):
    """When process pid started (clock ticks after boot, Linux /proc), or None where the system does not say."""
    try:
        with open(f'/proc/{pid}/stat', 'rb') as f:
            stat = f.read()
        return stat[stat.rindex(b')') + 2:].split()[19]
    except (OSError, ValueError, IndexError):
        return None


class Report:
    """--report jsonl: one JSON line a record on stdout ({"netwright": 1, "kind": "step", …}), written by
    process 0 only, flushed at once; the human lines go to stderr meanwhile. NaN and infinities are
    written as null (JSON has neither). Without it, the human lines go to stdout as before."""

    def __init__(self, on):
        self.on = on
        self.t0 = time.monotonic()
        # The process that reads the report (netwright train --on): when it is gone, nobody records the run.
        host = os.environ.get('NETWRIGHT_HOST_PID', '')
        self.host = int(host) if on and host.isdigit() else None
        self.host_start = process_start(self.host) if self.host else None
        self.checked = self.t0

    def check_host(self):
        """Once a second at most: end the run when the process following it has gone (closed, killed)."""
        if self.host is None or time.monotonic() - self.checked < 1:
            return
        self.checked = time.monotonic()
        try:
            os.kill(self.host, 0)
            alive = self.host_start is None or process_start(self.host) == self.host_start
        except ProcessLookupError:
            alive = False
        except PermissionError:
            alive = True
        if not alive:
            sys.exit(f'train.py: the Netwright process that records this run (pid {self.host}) has gone; stopping.')

    def say(self, line):
        print(line, file=sys.stderr if self.on else sys.stdout, flush=True)

    def record(self, kind, **fields):
        if not self.on:
            return
        sys.stdout.write(json.dumps({'netwright': 1, 'kind': kind, 't': round(time.monotonic() - self.t0, 4), **json_safe(fields)}, allow_nan=False) + '\n')
        sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument('--epochs', type=int, default=CONFIG['epochs'])
    parser.add_argument('--batch-size', type=int, default=CONFIG['batch_size'], help='global batch, split across processes')
    parser.add_argument('--limit', type=int, default=CONFIG['dataset']['limit'], help='train on at most this many samples')
    parser.add_argument('--seed', type=int, default=CONFIG['seed'])
    parser.add_argument('--data', default=os.path.join(HERE, 'data'), help='folder of the dataset files')
    parser.add_argument('--init-weights', help='start from these weights (e.g. weights.pt) instead of a fresh initialisation')
    parser.add_argument('--out', default='trained.pt', help='where to save the trained state_dict')
    parser.add_argument('--cpu', action='store_true', help='do not use a GPU even if there is one')
    parser.add_argument('--gpu', action='store_true', help='train on CUDA GPUs or not at all (refused where PyTorch sees none)')
    parser.add_argument('--checkpoints', help='keep each epoch\'s checkpoint as DIR/last.safetensors, and the best epoch\'s as DIR/best.safetensors (weights, optimizer state, where the run stands)')
    parser.add_argument('--resume-from', help='go on from this state (a safetensors file of optimizer/<slot>/<parameter> tensors and where the run stands, as --checkpoints writes them; the weights come with --init-weights)')
    parser.add_argument('--probe', help='the probe batch (JSON: split, indices, samples), as Netwright chose it, for the probe frames')
    parser.add_argument('--report', choices=['text', 'jsonl'], default='text', help='jsonl: one JSON record a step, an epoch and at the end on stdout (process 0; other lines go to stderr)')
    args = parser.parse_args()
    global REPORTING
    REPORTING = args.report == 'jsonl'
    if CONFIG['groups']:
        sys.exit('This graph trains optimizer groups (' + ', '.join(CONFIG['groups']) + '); train.py does not reproduce that recipe.')

    world = int(os.environ.get('WORLD_SIZE', '1'))
    rank = int(os.environ.get('RANK', '0'))
    local_rank = int(os.environ.get('LOCAL_RANK', '0'))
    cuda = torch.cuda.is_available() and not args.cpu
    if args.gpu and not cuda:
        sys.exit(f'train.py: --gpu asks for a CUDA GPU, and PyTorch {torch.__version__} here sees none (torch.cuda.is_available() is False).')
    if world > 1:
        dist.init_process_group('nccl' if cuda else 'gloo')
    device = torch.device(f'cuda:{local_rank}' if cuda else 'cpu')
    if cuda:
        torch.cuda.set_device(device)
    torch.manual_seed(args.seed)
    report = Report(args.report == 'jsonl' and rank == 0)
    say = report.say

    splits, classification = prepare(args.data, args.seed, args.limit, rank)
    model = Net().to(device)
    if args.init_weights:
        model.load_state_dict(torch.load(args.init_weights, map_location=device))
    global_bn = GlobalBatchNorm(model) if world > 1 else None
    probe = Probe(model, args.report == 'jsonl' and rank == 0, probe_batch(args.probe, splits, device) if args.probe and rank == 0 else None)
    net = DistributedDataParallel(model, device_ids=[local_rank] if cuda else None) if world > 1 else model
    losses = CONFIG['losses']
    optimizer = make_optimizer(model)
    schedule = make_schedule(optimizer)
    per_step = CONFIG['schedule_unit'] == 'step' and not SCHEDULE_WATCHES_METRIC

    # The global batch is kept: each process trains its share of every one of Netwright's batches.
    sampler = NetwrightBatches(len(splits['train']), args.batch_size, args.seed, rank, world)
    loader = DataLoader(splits['train'], batch_sampler=sampler)
    noise = torch.Generator().manual_seed(args.seed * 1000 + rank)
    if rank == 0:
        say(f"{CONFIG['name']}: train {len(splits['train'])} · validation {len(splits['val'])} · test {len(splits['test'])} samples; "
            f'{world} process{"es" if world > 1 else ""} on {device.type}{" (" + dist.get_backend() + ")" if world > 1 else ""}')
    report.record('start', world=world, device=device.type, backend=dist.get_backend() if world > 1 else None, epochs=args.epochs, batch_size=args.batch_size,
                  samples={k: len(v) for k, v in splits.items()}, steps_per_epoch=len(NetwrightBatches(len(splits['train']), args.batch_size, args.seed)))
    step, first_epoch, early = 0, 1, None
    if args.resume_from:
        done_epochs, step, early = resume_state(args.resume_from, model, optimizer, schedule, device)
        first_epoch = done_epochs + 1
        say(f'resuming after epoch {done_epochs} (step {step}) from {args.resume_from}')
    epoch = first_epoch - 1

    es = CONFIG['early_stopping']
    best, best_state, waited = None, None, 0
    # As Netwright's EarlyStopping counts: evaluations so far and the best one's index (-1: none), kept with each checkpoint.
    evaluations, best_index = 0, -1
    if es and early:
        best, best_index, evaluations, waited = early['best'], early['bestIndex'], early['count'], early['wait']
    best_kept = None  # the best epoch's value so far, by the early-stopping metric, else the validation (else training) loss
    for epoch in range(first_epoch, args.epochs + 1):
        sampler.set_epoch(epoch)
        net.train()
        loss_sum, count, correct_sum = 0.0, 0, 0.0
        for i, (x, y) in enumerate(loader):
            x, y = x.to(device), y.to(device)
            mine, whole = sampler.counts[i]
            lr = optimizer.param_groups[0]['lr']
            optimizer.zero_grad()
            if global_bn:
                global_bn.share = 1.0 if mine else 0.0
            probing = probe.start()
            out = net(corrupt(augment(x, noise), noise))
            loss = total_loss(losses, out, x, y)
            # Under DDP the processes' gradients are averaged: each weighs its share of the global batch.
            (loss * sampler.weights[i] if world > 1 else loss).backward()
            clip(model)
            if probing:
                probe.before_update()
            optimizer.step()
            if per_step:
                schedule.step()
            step += 1
            sums = [float(loss) * mine, batch_correct(out, y, classification) * mine / len(x) if mine else 0.0]
            if world > 1:
                sums = reduce_sums(sums, device)
            loss_sum += sums[0]
            correct_sum += sums[1]
            count += whole
            metrics = {'accuracy': sums[1] / whole} if classification else {}
            report.record('step', step=step, epoch=epoch, loss=sums[0] / whole, lr=lr, metrics=metrics)
            if probing:
                report.record('frame', **probe.frame(step, epoch, sums[0] / whole))
            report.check_host()
        agree_buffers(model)
        val = evaluate(model, losses, splits['val'], classification, rank, world, device, seed=args.seed) if len(splits['val']) else None
        watched_loss = val['loss'] if val else loss_sum / count
        if SCHEDULE_WATCHES_METRIC:
            schedule.step(watched_loss)
        elif not per_step:
            schedule.step()
        line = f'[rank {rank}] epoch {epoch}/{args.epochs} train_loss {loss_sum / count:.6f}'
        if val:
            line += ''.join(f' val_{k} {v:.6f}' for k, v in val.items())
        say(line)
        train_metrics = {'loss': loss_sum / count, **({'accuracy': correct_sum / count} if classification else {})}
        epoch_metrics = {'train': train_metrics, **({'val': val} if val else {})}
        report.record('epoch', epoch=epoch, step=step, metrics=epoch_metrics)
        stop = False
        if es:
            name = es['metric'].replace('val_', '').replace('val.', '')
            value = (val or {}).get(name, watched_loss if name == 'loss' else None)
            if value is not None:
                better = best is None or (value < best - es.get('minDelta', 0) if es['mode'] == 'min' else value > best + es.get('minDelta', 0))
                if better:
                    best, best_state, waited, best_index = value, copy.deepcopy(model.state_dict()), 0, evaluations
                else:
                    waited += 1
                    stop = waited >= es['patience']
                evaluations += 1
        if args.checkpoints and rank == 0:
            name = es['metric'].replace('val_', '').replace('val.', '') if es else 'loss'
            value = (val or {}).get(name, watched_loss if name == 'loss' else None)
            mode = es['mode'] if es else 'min'
            is_best = value is not None and math.isfinite(value) and (best_kept is None or (value < best_kept if mode == 'min' else value > best_kept))
            early = {'best': best, 'bestIndex': best_index, 'count': evaluations, 'wait': waited} if es else None
            for which in ('last', 'best') if is_best else ('last',):
                save_checkpoint(args.checkpoints, which, model, optimizer, schedule, epoch, step, json_safe(epoch_metrics), early)
                report.record('checkpoint', which=which, epoch=epoch, step=step)
            if is_best:
                best_kept = value
        if stop:
            say(f'[rank {rank}] early stopping after epoch {epoch}')
            if best_state is not None:
                model.load_state_dict(best_state)
            else:
                # Resumed after the best epoch: its weights are the resumed run's best checkpoint, not here.
                say(f'[rank {rank}] the best epoch came before the resume: the last weights are kept')
            break

    test = None
    if len(splits['test']):
        agree_buffers(model)  # the figures printed are the saved model's
        test = evaluate(model, losses, splits['test'], classification, rank, world, device, seed=args.seed)
        say(f'[rank {rank}] test' + ''.join(f' {k} {v:.6f}' for k, v in test.items()))
    if rank == 0:
        torch.save(model.state_dict(), args.out)
        say(f'saved {args.out}')
    report.record('done', step=step, epochs=epoch, metrics={'test': test} if test else {}, out=args.out)
    if world > 1:
        # Every rank waits for rank 0's save before the group goes: gloo can hang on a teardown that one rank reaches early.
        dist.barrier()
        dist.destroy_process_group()
        # Then each rank leaves without Python's own teardown: freeing DDP's Reducer when main returns
        # can deadlock under torch 1.13's gloo (the main thread holds the GIL while the process group
        # joins its worker thread, which waits for the GIL to free a tensor): one rank sat after
        # 'saved' until torchrun was killed, 1 run in 40 on a loaded 2-core machine. Everything this
        # script writes is closed (torch.save) or flushed by then.
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)


# Set by main() under --report jsonl: a process that ends by an error says so in one record.
REPORTING = False


if __name__ == '__main__':
    try:
        main()
    except BaseException as e:
        failed = not isinstance(e, (SystemExit, KeyboardInterrupt)) or (isinstance(e, SystemExit) and e.code not in (None, 0))
        if REPORTING and failed:
            # Any process's (each line after its torchrun prefix): the follower names it first when the job fails.
            why = str(e.code) if isinstance(e, SystemExit) else f'{type(e).__name__}: {e}'
            print(json.dumps({'netwright': 1, 'kind': 'error', 't': 0, 'rank': int(os.environ.get('RANK', '0')), 'message': why[-2000:]}), flush=True)
        raise
