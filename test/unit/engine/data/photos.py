"""Photographic test images made with Pillow (no file downloaded, nothing committed but this script).

A "photo" is a smooth two-colour gradient, soft blurred blobs, a few hard-edged shapes, a fine
texture and sensor-like noise: the mix of flat areas, edges and high frequencies on which JPEG's
chroma subsampling and a resize's antialiasing show. Three uses:

    python3 photos.py fixtures OUT   # the decoder/resize comparison set and Pillow's answers (manifest.json)
    python3 photos.py folder OUT N   # N photos per class in train/disc/, train/square/, train/triangle/ (N/5 in val/), 4:2:0 JPEGs
    python3 photos.py bench OUT      # 500x375 and 1024x768 photos as 4:2:0 JPEGs (quality 90) and WebP

Every image is seeded, so the same script writes the same bytes (test/unit/engine/data/photos.ts
caches the output keyed by this file's content).
"""
import json
import os
import sys

import numpy as np
from PIL import Image, ImageDraw, ImageFilter

CLASSES = ['disc', 'square', 'triangle']


def photo(w, h, seed, shape=None, distractors=5):
    """An RGB photo-like image; with `shape` (a class name) one large object of that shape in it."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    angle = rng.uniform(0, 2 * np.pi)
    t = ((xx * np.cos(angle) + yy * np.sin(angle)) / max(w, h) + 1) / 2
    a, b = rng.uniform(0, 255, 3), rng.uniform(0, 255, 3)
    img = a[None, None, :] * (1 - t[..., None]) + b[None, None, :] * t[..., None]
    # Soft blobs (out-of-focus light), then a fine texture (fabric, foliage).
    for _ in range(6):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(0.05, 0.3) * max(w, h)
        g = np.exp(-((xx - cx) ** 2 + (yy - cy) ** 2) / (2 * r * r))
        img += g[..., None] * rng.uniform(-90, 90, 3)[None, None, :]
    f = rng.uniform(0.15, 0.6)
    img += 18 * np.sin(xx * f + yy * f * rng.uniform(-1, 1))[..., None] * rng.uniform(0.3, 1, 3)[None, None, :]
    im = Image.fromarray(np.clip(img, 0, 255).astype(np.uint8), 'RGB')
    draw = ImageDraw.Draw(im)
    # Hard edges: a few small shapes in saturated colours (chroma edges are where 4:2:0 differs).
    for _ in range(distractors):
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        s = rng.uniform(0.04, 0.15) * max(w, h)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        (draw.ellipse if rng.uniform() < 0.5 else draw.rectangle)([x0, y0, x0 + s, y0 + s * rng.uniform(0.5, 1.5)], fill=colour)
    if shape is not None:
        s = rng.uniform(0.45, 0.75) * min(w, h)
        x0, y0 = rng.uniform(0, w - s), rng.uniform(0, h - s)
        colour = tuple(int(c) for c in rng.integers(0, 256, 3))
        if shape == 'disc':
            draw.ellipse([x0, y0, x0 + s, y0 + s], fill=colour)
        elif shape == 'square':
            draw.rectangle([x0, y0, x0 + s, y0 + s], fill=colour)
        else:
            draw.polygon([(x0 + s / 2, y0), (x0, y0 + s), (x0 + s, y0 + s)], fill=colour)
    im = im.filter(ImageFilter.GaussianBlur(rng.uniform(0.3, 0.8)))
    noisy = np.asarray(im).astype(np.float64) + rng.normal(0, 4, (h, w, 3))
    return Image.fromarray(np.clip(np.round(noisy), 0, 255).astype(np.uint8), 'RGB')


def rgba(im, seed):
    """`im` with a smooth alpha ramp and a fully transparent corner (premultiplied resizing shows there)."""
    w, h = im.size
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    alpha = np.clip(255 * (xx / w * 0.8 + 0.2 + rng.normal(0, 0.05, (h, w))), 0, 255)
    alpha[: h // 4, : w // 4] = 0
    out = im.convert('RGBA')
    out.putalpha(Image.fromarray(alpha.astype(np.uint8), 'L'))
    return out


def fixtures(out):
    """JPEGs at 4:4:4, 4:2:2, 4:2:0 (sizes that are and are not whole MCUs), CMYK, grey and
    progressive, WebPs (lossy, with alpha, lossless) and a PNG with alpha, each with Pillow's
    decode (raw RGBA) and Pillow's bilinear resize to several sizes in L, RGB and RGBA (raw): what
    Netwright must reproduce."""
    os.makedirs(out, exist_ok=True)
    files = []

    def raw(name, im):
        im.tobytes()
        with open(os.path.join(out, name), 'wb') as f:
            f.write(im.tobytes())
        return name

    def add(name, save):
        save(os.path.join(out, name))
        with Image.open(os.path.join(out, name)) as im:
            im.load()
            decoded = im.convert('RGBA')
            entry = {'file': name, 'width': im.width, 'height': im.height, 'decoded': raw(name + '.rgba', decoded), 'resized': []}
            if name.startswith('photo-420-257'):
                for w, h in [(64, 48), (32, 32), (100, 30), (300, 250), (257, 193), (257, 40), (90, 193)]:
                    for mode in ('L', 'RGB', 'RGBA'):
                        small = im.convert(mode)
                        if small.size != (w, h):
                            small = small.resize((w, h), Image.BILINEAR)
                        entry['resized'].append({'mode': mode, 'width': w, 'height': h, 'file': raw(f'{name}.{mode}.{w}x{h}', small)})
            if name.endswith('.png') or name.startswith('photo-alpha'):
                for w, h in [(64, 48), (31, 77)]:
                    small = im.convert('RGBA').resize((w, h), Image.BILINEAR)
                    entry['resized'].append({'mode': 'RGBA', 'width': w, 'height': h, 'file': raw(f'{name}.RGBA.{w}x{h}', small)})
            files.append(entry)

    for sub, label in [(0, '444'), (1, '422'), (2, '420')]:
        for w, h, seed in [(257, 193, 1), (128, 96, 2)]:
            im = photo(w, h, seed + 10 * sub)
            add(f'photo-{label}-{w}x{h}.jpg', lambda p, im=im, sub=sub: im.save(p, 'JPEG', quality=90, subsampling=sub))
    cmyk = photo(128, 96, 6).convert('CMYK')
    add('photo-cmyk-128x96.jpg', lambda p: cmyk.save(p, 'JPEG', quality=90))
    grey = photo(120, 90, 7).convert('L')
    add('photo-grey-120x90.jpg', lambda p: grey.save(p, 'JPEG', quality=90))
    prog = photo(160, 120, 8)
    add('photo-420-progressive-160x120.jpg', lambda p: prog.save(p, 'JPEG', quality=85, subsampling=2, progressive=True))
    lossy = photo(200, 150, 9)
    add('photo-lossy-200x150.webp', lambda p: lossy.save(p, 'WEBP', quality=80))
    add('photo-alpha-200x150.webp', lambda p: rgba(lossy, 10).save(p, 'WEBP', quality=80))
    add('photo-lossless-200x150.webp', lambda p: lossy.save(p, 'WEBP', lossless=True))
    add('photo-alpha-133x101.png', lambda p: rgba(photo(133, 101, 11), 12).save(p, 'PNG'))
    with open(os.path.join(out, 'manifest.json'), 'w') as f:
        json.dump(files, f, indent=1)


def folder(out, n):
    """n photos per class for train/, a fifth as many for val/ (one small distractor shape each)."""
    for split, count, base in [('train', n, 0), ('val', max(1, n // 5), 100000)]:
        for c, name in enumerate(CLASSES):
            d = os.path.join(out, split, name)
            os.makedirs(d, exist_ok=True)
            for i in range(count):
                w, h = (160, 120) if i % 2 == 0 else (120, 160)
                photo(w, h, base + 1000 * c + i, name, distractors=1).save(os.path.join(d, f'{i:04d}.jpg'), 'JPEG', quality=85, subsampling=2)


def bench(out):
    os.makedirs(out, exist_ok=True)
    for w, h in [(500, 375), (1024, 768)]:
        for i in range(4):
            im = photo(w, h, 100 + i)
            im.save(os.path.join(out, f'{w}x{h}-{i}.jpg'), 'JPEG', quality=90, subsampling=2)
            im.save(os.path.join(out, f'{w}x{h}-{i}.webp'), 'WEBP', quality=80)


if __name__ == '__main__':
    what, dest = sys.argv[1], sys.argv[2]
    if what == 'fixtures':
        fixtures(dest)
    elif what == 'folder':
        folder(dest, int(sys.argv[3]))
    elif what == 'bench':
        bench(dest)
    else:
        sys.exit(f'unknown: {what}')
