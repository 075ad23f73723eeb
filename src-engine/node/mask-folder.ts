import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import path from 'node:path';
import { DATA_LIMITS, DataError } from '../core/data';
import { refusedDataFile } from './data-access';
import { HeldDir, readFileInside } from './confined-fs';
import { RegularFileError } from './regular-file';
import type { LoadedDataset, SkippedFile } from '../core/data';
import { imageToSample } from '../core/data/image';
import { IMAGE_DECODERS, type ImageDecoders } from './image-decoders';
import { conversionNote, damaged, IMAGE_EXT, readImage, readImageFile } from './image-folder';
import { decodeMaskPng } from './mask-png';
import { imageFolder } from '../catalog/datasets/image-folder';
import { taskFor } from '../catalog/tasks';

/** Most classes a mask folder may have: ids 0–255, an 8-bit mask's values (a larger id, which a 16-bit mask can hold, is refused). */
const MAX_CLASSES = 256;
/** The most of `classes.txt` read: its names, one a line, for at most MAX_CLASSES classes. */
const CLASS_NAMES_MAX_BYTES = 2 ** 20;

/** Whether `root` is laid out for segmentation: an `images/` and a `masks/` folder side by side. */
export function isMaskFolder(root: string): boolean {
  const dir = (n: string) => existsSync(path.join(root, n)) && statSync(path.join(root, n)).isDirectory();
  return dir('images') && dir('masks');
}

export interface MaskFolderOptions {
  /** The sample shape `[C, H, W]` (the features Input's). Default: the first image's size, 3 channels. */
  shape?: readonly number[];
  name?: string;
  decoders?: ImageDecoders;
}

/**
 * A segmentation folder (docs/data.md "Masks"): `images/NAME.png|jpg|webp` and `masks/NAME.png`,
 * the mask a PNG of the image's size whose value at each pixel is its class id (0 = background):
 * grey at its own bit depth (1, 2, 4, 8 or 16), or a palette's index (mask-png.ts). Class names
 * come from `classes.txt` beside the two folders (one a line, in id order), else `class 0 … class K` for the largest id K found. Images are converted and resized
 * as an image folder's; masks are resized with the nearest pixel (a class id is never blended).
 * The test split is carved from it as from any set without its own.
 *
 * @throws DataError DATA_MASK_MISSING (an image without its mask), DATA_MASK_FORMAT (a mask that is
 *   not a PNG by its bytes: a JPEG or WebP), DATA_MASK_SIZE (a mask of another size than its
 *   image), DATA_MASK_CLASS (a value that is not a class id: over the classes of classes.txt or
 *   256, or a colour mask without a palette), DATA_IMAGES_EMPTY.
 */
export function loadMaskFolder(root: string, options: MaskFolderOptions = {}): LoadedDataset {
  const name = options.name ?? path.basename(root);
  let held: HeldDir;
  try {
    held = HeldDir.open(root);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    throw refusedDataFile(e, name, root, 0);
  }
  try {
    return loadHeldMaskFolder(held, root, name, options);
  } finally {
    held.close();
  }
}

/** `loadMaskFolder` of the folder held as `held` (at the real path `root`): listed and read below the handle (confined-fs.ts). */
function loadHeldMaskFolder(held: HeldDir, root: string, name: string, options: MaskFolderOptions): LoadedDataset {
  const decoders = options.decoders ?? IMAGE_DECODERS;
  const skipped: SkippedFile[] = [];
  // images/ and masks/ as the folders they really are: a link is followed only to a place inside
  // `root`, as the scan follows class folders, and their files are read there.
  const imagesRel = folderInside(held, 'images', name);
  const masksRel = folderInside(held, 'masks', name);
  const imagesDir = path.join(root, imagesRel);
  const masksDir = path.join(root, masksRel);
  const files = listed(held, imagesRel, name, 'images');
  const masks = new Set(listed(held, masksRel, name, 'masks'));
  if (files.length > DATA_LIMITS.maxFolderEntries) throw new DataError('DATA_TOO_LARGE', `${name}: more than ${DATA_LIMITS.maxFolderEntries.toLocaleString('en-US')} images.`);
  const images = files.filter((f) => {
    // images/ takes an image folder's extensions; masks are PNG (lossless: a JPEG would blur the class ids).
    const ok = IMAGE_EXT.has(path.extname(f).toLowerCase());
    if (!ok) skipped.push({ path: `images/${f}`, reason: 'not a PNG, JPEG or WebP file (by its extension)' });
    return ok;
  });
  if (images.length === 0) throw new DataError('DATA_IMAGES_EMPTY', `${name}: images/ holds no PNG, JPEG or WebP file; put the images in images/ and their masks (PNG, same names) in masks/.`);
  const maskOf = (f: string) => `${path.basename(f, path.extname(f))}.png`;
  for (const f of images) {
    if (!masks.has(maskOf(f))) {
      throw new DataError('DATA_MASK_MISSING', `${name}: images/${f} has no mask: masks/${maskOf(f)} is missing. Every image needs a PNG mask of the same name in masks/.`);
    }
  }
  const named = classNamesIn(root, name);
  const hash = createHash('sha256');
  const unusable = (rel: string, why: string) => new DataError('DATA_IMAGES_EMPTY', `${name}: ${rel} cannot be used: ${why}.`);
  // A file of images/ or masks/ where it really lies: a link is followed to a place inside the
  // folder (as the folders are) and refused when it leads out; then read by the walk from `root`.
  const scanned = (dir: string, f: string, rel: string) => {
    let inside: string | undefined;
    try {
      inside = held.realInside(`${path.relative(root, dir).split(path.sep).join('/')}/${f}`);
    } catch (e) {
      if (!(e instanceof RegularFileError)) throw e;
      throw unusable(rel, `cannot be read (${e.errno ?? e.problem})`);
    }
    if (inside === undefined) throw unusable(rel, 'a link leading outside the chosen folder (not followed)');
    return { root, file: path.join(root, inside) };
  };
  const read = (f: string) => {
    const rel = `images/${f}`;
    const r = readImage(scanned(imagesDir, f, rel), decoders, hash, rel);
    if (typeof r === 'string') throw unusable(rel, r);
    return r.image;
  };
  // A mask's format by its bytes (a JPEG named .png is still a JPEG), its samples at its bit depth.
  const readMask = (f: string) => {
    const rel = `masks/${f}`;
    const r = readImageFile(scanned(masksDir, f, rel), hash, rel);
    if (typeof r === 'string') throw unusable(rel, r);
    if (r.header.format !== 'png') throw new DataError('DATA_MASK_FORMAT', `${name}: ${rel} is a ${r.header.format.toUpperCase()} file (by its bytes, whatever its name); a mask is a PNG, lossless, whose pixels are class ids.`);
    try {
      return decodeMaskPng(r.bytes);
    } catch (e) {
      throw unusable(rel, damaged('png', e));
    }
  };
  let shape = options.shape ? [...options.shape] : undefined;
  let features = new Float32Array(0);
  let targets = new Float32Array(0);
  let most = 0;
  images.forEach((f, i) => {
    const image = read(f);
    const mask = readMask(maskOf(f));
    if (mask.width !== image.width || mask.height !== image.height) {
      throw new DataError('DATA_MASK_SIZE', `${name}: masks/${maskOf(f)} is ${mask.width}×${mask.height} but images/${f} is ${image.width}×${image.height}; a mask has its image's size, one class id per pixel.`);
    }
    if (!shape) shape = [3, image.height, image.width];
    const [, h, w] = shape;
    if (i === 0) {
      if (images.length * (shape[0] + 1) * h * w > DATA_LIMITS.maxValues) throw new DataError('DATA_TOO_LARGE', `${name}: ${images.length} images of [${shape}] and their masks are over the ${DATA_LIMITS.maxValues.toLocaleString('en-US')} values held in memory; use a smaller Input shape.`);
      features = new Float32Array(images.length * shape[0] * h * w);
      targets = new Float32Array(images.length * h * w);
    }
    imageToSample(image, shape, features, i * shape[0] * h * w);
    const d = mask.data;
    for (let p = 0; p < mask.width * mask.height; p++) {
      if (d[4 * p] !== d[4 * p + 1] || d[4 * p] !== d[4 * p + 2]) {
        throw new DataError('DATA_MASK_CLASS', `${name}: masks/${maskOf(f)} is a colour image without a palette (pixel ${p % mask.width}, ${Math.floor(p / mask.width)} is rgb(${d[4 * p]}, ${d[4 * p + 1]}, ${d[4 * p + 2]})); a mask is grey, its value the class id (0, 1, 2, …), or a palette PNG, its index the class id.`);
      }
      if (d[4 * p] >= (named?.length ?? MAX_CLASSES)) {
        const limit = named ? `classes.txt names ${named.length} classes` : `a mask folder has at most ${MAX_CLASSES} classes`;
        throw new DataError('DATA_MASK_CLASS', `${name}: masks/${maskOf(f)} has class id ${d[4 * p]} at pixel ${p % mask.width}, ${Math.floor(p / mask.width)}, but ${limit} (ids 0–${(named?.length ?? MAX_CLASSES) - 1}).`);
      }
    }
    // Nearest pixel: the centre of output pixel (x, y) falls in source pixel ⌊(x + ½)·sw/w⌋.
    for (let y = 0; y < h; y++) {
      const sy = Math.min(mask.height - 1, Math.floor(((y + 0.5) * mask.height) / h));
      for (let x = 0; x < w; x++) {
        const id = d[4 * (sy * mask.width + Math.min(mask.width - 1, Math.floor(((x + 0.5) * mask.width) / w)))];
        targets[i * h * w + y * w + x] = id;
        if (id > most) most = id;
      }
    }
  });
  const classNames = named ?? Array.from({ length: Math.max(2, most + 1) }, (_, c) => `class ${c}`);
  if (classNames.length > MAX_CLASSES) throw new DataError('DATA_MASK_CLASS', `${name}: classes.txt names ${classNames.length} classes; a mask folder has at most ${MAX_CLASSES}.`);
  const [c, h, w] = shape!;
  return {
    train: { name, task: taskFor('classes'), count: images.length, features, featureShape: [c, h, w], targets, targetShape: [h, w], numClasses: classNames.length, classNames },
    report: {
      kind: imageFolder.name,
      fingerprint: hash.digest('hex'),
      files: images.length * 2,
      skipped,
      notes: [`${images.length} images with masks, ${classNames.length} classes${named ? ' (from classes.txt)' : ' (the largest id in the masks + 1; name them in classes.txt)'}`, conversionNote(shape!), `masks resized to ${w}×${h} by the nearest pixel`],
    },
  };
}

/**
 * Where `root`'s sub-folder `sub` really lies, relative to `root` (held): a link is followed only to
 * a place inside it.
 *
 * @throws DataError DATA_NOT_ALLOWED (a link leading outside `root`).
 */
function folderInside(held: HeldDir, sub: string, name: string): string {
  let inside: string | undefined;
  try {
    inside = held.realInside(sub);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    throw refusedDataFile(e, name, `${sub}/`, 0);
  }
  if (inside === undefined) throw new DataError('DATA_NOT_ALLOWED', `${name}: ${sub}/ is a link leading outside the chosen folder; Netwright does not follow it.`);
  return inside;
}

/** The sorted names in the folder at `rel` below `held` (listed through its own handle, a link on its way refused). */
function listed(held: HeldDir, rel: string, name: string, sub: string): string[] {
  try {
    const dir = held.openDir(rel);
    try {
      return dir.list().map((e) => e.name).sort();
    } finally {
      dir.close();
    }
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    throw refusedDataFile(e, name, `${sub}/`, 0);
  }
}

/**
 * The class names `classes.txt` beside images/ and masks/ gives, one a line; undefined without
 * one. It is read only as a regular file inside `root` (already resolved) within
 * CLASS_NAMES_MAX_BYTES: a link leading out of the folder, a device or a pipe is refused with a
 * coded error, never read.
 *
 * @throws DataError DATA_NOT_ALLOWED (a link leading outside `root`), DATA_NOT_A_FILE, DATA_TOO_LARGE.
 */
function classNamesIn(root: string, name: string): string[] | undefined {
  let bytes: Buffer;
  try {
    bytes = readFileInside(root, path.join(root, 'classes.txt'), CLASS_NAMES_MAX_BYTES);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    if (e.problem === 'missing') return undefined;
    throw refusedDataFile(e, name, 'classes.txt', CLASS_NAMES_MAX_BYTES);
  }
  return bytes
    .toString('utf8')
    .split(/\r?\n/)
    .map((l) => l.trim())
    .filter((l) => l.length > 0);
}
