import { promises as fs } from 'node:fs';
import path from 'node:path';
import { UPLOAD_EXTENSIONS, UPLOAD_LIMITS, type FileResult } from '../../src-contracts/files';
import { fileFormatOf } from '../../src-engine/catalog/data-formats/registry';
import { npyTargetsPath } from '../../src-engine/core/data/npy';
import { commandLine } from '../../src-engine/node/cli-script';
import { folderFormat } from '../../src-engine/node/data-scan';
import { writeBytesAtomic } from './atomic-write';
import { captureName, isClassName, MAX_CAPTURE_NUMBER, nextCaptureNumber, type CaptureExtension } from './captures';
import { FileError, isPlainName, mib, type FilePaths } from './file-paths';

/**
 * The user's data as the hosts keep it: listed from the workspace's `data/` and the host's data
 * folder, uploaded into `data/` (web mode) under free names, never over anything, and camera
 * frames saved into class folders (both hosts).
 */
export class DataFiles {
  /** Web mode: the folders uploads made this session, with the bytes and files written into each so far. */
  private readonly uploads = new Map<string, { bytes: number; files: number }>();

  /** `dataDir`: web mode's folder of the user's data the host was started with (`--data-dir`). */
  constructor(
    private readonly paths: FilePaths,
    private readonly dataDir: string | undefined,
  ) {}

  /**
   * Web mode: the data in the workspace's `data/` folder and in the host's data folder, one entry
   * per image or text folder (a folder: a text folder's class folders hold `.txt` files and no image),
   * table or `.npz` directly inside them (docs/data.md "In the app").
   */
  async list(): Promise<FileResult<'listData'>> {
    const root = this.paths.workspaceDir;
    if (!root) return [];
    const places: [string, 'workspace' | 'data-dir', (abs: string) => string][] = [[path.join(path.resolve(root), 'data'), 'workspace', (abs) => this.paths.display(abs)]];
    if (this.dataDir) places.push([path.resolve(this.dataDir), 'data-dir', (abs) => abs]);
    const out: FileResult<'listData'> = [];
    for (const [dir, where, shown] of places) {
      const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
      for (const e of entries) {
        if (e.name.startsWith('.') || out.length >= 10_000) continue;
        let abs = path.join(dir, e.name);
        // A folder by what its class folders hold, a file by its extension (catalog/data-formats).
        let format = e.isDirectory() ? folderFormat(abs) : e.isFile() ? fileFormatOf(e.name) : undefined;
        if (!format) continue;
        let name = e.name;
        // A folder holding a pair of .npy (an upload of two) is listed as its features file.
        const pair = format.reads === 'images' ? await npyPairIn(abs) : undefined;
        if (pair) [format, abs, name] = [fileFormatOf(pair), path.join(abs, pair), `${e.name}/${pair}`];
        const st = await fs.stat(abs).catch(() => undefined);
        // The formats a folder or an extension alone names: the kinds the contract lists.
        if (format) out.push({ path: shown(abs), name, kind: format.kind as FileResult<'listData'>[number]['kind'], where, modified: st?.mtimeMs ?? 0 });
      }
    }
    return out.sort((a, b) => b.modified - a.modified);
  }

  /**
   * Web mode: write uploaded data into `<workspace>/data/` (FileMethods.uploadData): a new file or
   * folder under a free name, never over anything; images into folders, tables and arrays as
   * files (a pair of `.npy`, features and targets, into a new folder of their own, so that no
   * renaming parts them); every path checked to stay inside (no `..`, no links), sizes capped
   * (UPLOAD_LIMITS).
   */
  async upload(target: string, kind: 'file' | 'folder', files: { path: string; data: string }[], more: boolean): Promise<{ path: string }> {
    if (!this.paths.workspaceDir) throw new FileError('E_FILE_BAD_REQUEST', 'Uploads are for web mode; in the app, choose your data in the file dialog.');
    const decoded = files.map((f) => ({ path: f.path, data: Buffer.from(f.data, 'base64') }));
    const bytes = decoded.reduce((a, f) => a + f.data.length, 0);
    if (bytes > UPLOAD_LIMITS.callBytes) throw new FileError('E_FILE_TOO_LARGE', `One upload call carries up to ${mib(UPLOAD_LIMITS.callBytes)}.`);
    for (const f of decoded) if (f.data.length > UPLOAD_LIMITS.fileBytes) throw new FileError('E_FILE_TOO_LARGE', `${path.basename(f.path)} is ${mib(f.data.length)}; uploads take files up to ${mib(UPLOAD_LIMITS.fileBytes)} (copy larger data into the data folder instead).`);
    const allowed: readonly string[] = UPLOAD_EXTENSIONS[kind];
    for (const f of decoded) {
      if (!allowed.includes(path.extname(f.path).toLowerCase())) throw new FileError('E_FILE_PATH', `${path.basename(f.path)}: uploads take ${kind === 'folder' ? 'images (PNG, JPEG) or texts (.txt) into a folder' : 'a table (CSV, TSV) or arrays (.npz, or a pair of .npy)'}.`);
      const parts = f.path.split('/');
      if (parts.length > 10 || !parts.every(isPlainName)) throw new FileError('E_FILE_PATH', 'An uploaded file is named by a path inside the upload (no "..", no absolute paths).');
    }
    const dataDir = this.paths.resolve('data');
    let dest: string;
    if (more) {
      if (!isPlainName(target) || !this.uploads.has(path.join(dataDir, target))) throw new FileError('E_FILE_BAD_REQUEST', 'That upload is not in progress; start it again.');
      dest = path.join(dataDir, target);
    } else {
      if (!isPlainName(target)) throw new FileError('E_FILE_PATH', 'An upload is named by a plain name (no folders, not "." or "..").');
      if (kind === 'file' && decoded.length === 2) return this.uploadNpyPair(dataDir, decoded);
      if (kind === 'file' && decoded.length !== 1) throw new FileError('E_FILE_CONTENT', 'A table or an .npz is uploaded as one file (arrays saved with np.save: the two .npy files together).');
      const name = kind === 'file' ? path.basename(decoded[0].path) : target;
      if (name.startsWith('.')) throw new FileError('E_FILE_HIDDEN_NAME', `${name}: a name starting with "." is hidden from the data list; rename it and upload again.`);
      await fs.mkdir(dataDir, { recursive: true });
      await this.paths.confine(dataDir);
      // The free name is taken by the write itself (an exclusive create): concurrent uploads of
      // one name each get their own, none lands over another.
      if (kind === 'file') {
        dest = await this.paths.claimFreeName(dataDir, name, (candidate) => writeBytesAtomic(candidate, decoded[0].data, true));
        return { path: this.paths.display(dest) };
      }
      dest = await this.paths.claimFreeName(dataDir, name, (candidate) => fs.mkdir(candidate));
      this.uploads.set(dest, { bytes: 0, files: 0 });
    }
    const tally = this.uploads.get(dest)!;
    if (tally.bytes + bytes > UPLOAD_LIMITS.folderBytes || tally.files + decoded.length > UPLOAD_LIMITS.folderFiles) {
      throw new FileError('E_FILE_TOO_LARGE', `An uploaded folder holds up to ${mib(UPLOAD_LIMITS.folderBytes)} in ${UPLOAD_LIMITS.folderFiles.toLocaleString('en-US')} files; put larger data in the host's data folder (${commandLine('web', '--data-dir DIR')}).`);
    }
    for (const f of decoded) {
      const abs = path.join(dest, ...f.path.split('/'));
      await this.paths.confine(abs);
      await fs.mkdir(path.dirname(abs), { recursive: true });
      await this.paths.confine(abs);
      await writeBytesAtomic(abs, f.data, true);
    }
    tally.bytes += bytes;
    tally.files += decoded.length;
    return { path: this.paths.display(dest) };
  }

  /**
   * Camera frames into `<folder>/<className>/` (FileMethods.saveCaptures): numbered after the
   * frames there (nextCaptureNumber), each an exclusive create; a name taken meanwhile moves on to
   * the next number, nothing is replaced. The numbers only grow, up to MAX_CAPTURE_NUMBER: past it
   * the save is refused (E_FILE_EXISTS), so it always ends. `folder` resolves as any path does
   * (inside the workspace in web mode; a folder the user picked in Electron).
   */
  async saveCaptures(folder: string, className: string, ext: CaptureExtension, frames: string[]): Promise<{ folder: string; names: string[] }> {
    if (!isClassName(className)) throw new FileError('E_FILE_PATH', `"${className}" cannot name a class folder: use letters, digits, spaces, "_", "-" or "." (not first).`);
    const decoded = frames.map((f) => Buffer.from(f, 'base64'));
    if (decoded.some((d) => d.length > UPLOAD_LIMITS.fileBytes)) throw new FileError('E_FILE_TOO_LARGE', 'A camera frame is larger than an upload may be.');
    const dir = path.join(this.paths.resolve(folder), className);
    await this.paths.confine(dir);
    await fs.mkdir(dir, { recursive: true });
    await this.paths.confine(dir);
    const names: string[] = [];
    let after = 0;
    for (const data of decoded) {
      for (;;) {
        after = nextCaptureNumber(await fs.readdir(dir), className, after);
        if (after > MAX_CAPTURE_NUMBER) {
          throw new FileError('E_FILE_EXISTS', `${this.paths.display(dir)} already holds a frame numbered ${MAX_CAPTURE_NUMBER.toLocaleString('en-US')}, the highest a frame is given; ${names.length ? `${names.length} of the ${decoded.length} frames were saved. ` : ''}Move or rename its highest-numbered frames, or take the photos into another class.`);
        }
        const name = captureName(className, after, ext);
        try {
          await writeBytesAtomic(path.join(dir, name), data, true);
          names.push(name);
          break;
        } catch (e) {
          if ((e as { code?: string }).code !== 'E_FILE_EXISTS' && (e as { code?: string }).code !== 'EEXIST') throw e;
        }
      }
    }
    return { folder: this.paths.display(dir), names };
  }

  /**
   * Two `.npy` files, features and targets named as a pair (`X_train.npy` / `y_train.npy`,
   * `features.npy` / `labels.npy`: npyTargetsPath), into a new folder named after the features
   * file; answers the features file's path (what the scan reads, its pair found beside it).
   */
  private async uploadNpyPair(dataDir: string, files: { path: string; data: Buffer }[]): Promise<{ path: string }> {
    const names = files.map((f) => path.basename(f.path));
    const features = names.findIndex((n, i) => names[1 - i].toLowerCase().endsWith('.npy') && n.toLowerCase().endsWith('.npy') && npyTargetsPath(n, (c) => c === names[1 - i]) === names[1 - i]);
    if (features < 0) {
      throw new FileError('E_FILE_CONTENT', `${names.join(' and ')}: two files are uploaded together as arrays saved with np.save, features and targets named as a pair (X_train.npy and y_train.npy, x.npy and y.npy, features.npy and labels.npy).`);
    }
    if (names[features].startsWith('.')) throw new FileError('E_FILE_HIDDEN_NAME', `${names[features]}: a name starting with "." is hidden from the data list; rename it and upload again.`);
    await fs.mkdir(dataDir, { recursive: true });
    await this.paths.confine(dataDir);
    const dest = await this.paths.claimFreeName(dataDir, names[features].replace(/\.npy$/i, ''), (candidate) => fs.mkdir(candidate));
    for (const [i, f] of files.entries()) {
      const abs = path.join(dest, names[i]);
      await this.paths.confine(abs);
      await writeBytesAtomic(abs, f.data, true);
    }
    return { path: this.paths.display(path.join(dest, names[features])) };
  }
}

/** The features file of a folder that holds just a pair of `.npy` (npyTargetsPath's names), else undefined. */
async function npyPairIn(dir: string): Promise<string | undefined> {
  const names = (await fs.readdir(dir).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
  if (names.length !== 2 || !names.every((n) => /\.npy$/i.test(n))) return undefined;
  return names.find((n, i) => npyTargetsPath(n, (c) => c === names[1 - i]) === names[1 - i]);
}
