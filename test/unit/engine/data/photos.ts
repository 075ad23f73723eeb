/**
 * Photographic test images made at test time by Pillow (photos.py beside this file), cached under
 * node_modules/.cache keyed by the script's content and the Pillow that ran it: a second run, or a
 * second test file, reuses them (`npm test` gives each run a temp folder of its own, removed after).
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

const SCRIPT = join(import.meta.dirname, 'photos.py');
const CACHE = join(import.meta.dirname, '..', '..', '..', '..', 'node_modules', '.cache', 'netwright-photos');

/** The Python with Pillow and NumPy (Debian's; `NETWRIGHT_PILLOW_PYTHON` names another). */
export const PILLOW_PYTHON = process.env.NETWRIGHT_PILLOW_PYTHON ?? '/usr/bin/python3';
const probe = spawnSync(PILLOW_PYTHON, ['-c', "import numpy, PIL; from PIL import features; print(PIL.__version__, 'libjpeg-turbo' if features.check_feature('libjpeg_turbo') else 'libjpeg', features.version('jpg'), 'libwebp', features.version('webp'))"], { encoding: 'utf8' });
export const HAS_PILLOW = probe.status === 0;
/** Which Pillow, with which JPEG and WebP libraries, made the references (for the figures a test prints). */
export const PILLOW_VERSION = HAS_PILLOW ? `Pillow ${probe.stdout.trim()}` : '';

/** One image of the comparison set, with Pillow's decode (RGBA) and its bilinear resizes. */
export interface PhotoFixture {
  file: string;
  width: number;
  height: number;
  /** Pillow's `Image.open(file).convert('RGBA')`, raw. */
  decoded: string;
  /** Pillow's `im.convert(mode).resize((width, height), Image.BILINEAR)`, raw (interleaved). */
  resized: { mode: 'L' | 'RGB' | 'RGBA'; width: number; height: number; file: string }[];
}

/**
 * The folder `python3 photos.py <what> <folder> [...args]` writes, made once per script version.
 * `what`: 'fixtures' (the comparison set, manifest.json), 'folder' (class folders), 'bench'.
 */
export function photos(what: 'fixtures' | 'folder' | 'bench', ...args: string[]): string {
  const key = createHash('sha256').update(readFileSync(SCRIPT)).update(JSON.stringify([what, args, PILLOW_VERSION])).digest('hex').slice(0, 16);
  const dir = join(CACHE, `${what}-${key}`);
  if (existsSync(dir)) return dir;
  mkdirSync(CACHE, { recursive: true });
  // Written beside and renamed into place: a run stopped halfway leaves no half folder behind.
  const part = `${dir}.${process.pid}.part`;
  rmSync(part, { recursive: true, force: true });
  const r = spawnSync(PILLOW_PYTHON, [SCRIPT, what, part, ...args], { encoding: 'utf8', timeout: 120_000 });
  if (r.status !== 0) throw new Error(`photos.py ${what} failed: ${r.stderr || r.error}`);
  try {
    renameSync(part, dir);
  } catch (e) {
    // Another test file made it meanwhile.
    if (!existsSync(dir)) throw e;
    rmSync(part, { recursive: true, force: true });
  }
  return dir;
}

/** The comparison set's manifest (see photos.py `fixtures`). */
export function photoFixtures(): { dir: string; files: PhotoFixture[] } {
  const dir = photos('fixtures');
  return { dir, files: JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as PhotoFixture[] };
}
