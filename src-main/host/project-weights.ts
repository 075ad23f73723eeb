import { createHash, randomBytes, type Hash } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { PROJECT_LIMITS } from '../../src-contracts/files';
import { projectWeightsFileName } from '../../src-engine/base/ir/project';
import { FileError } from './file-paths';

/** `n` bytes as people read a limit: `64 MiB`, `4 GiB`. */
const size = (n: number) => (n >= 2 ** 30 ? `${+(n / 2 ** 30).toFixed(1)} GiB` : `${Math.round(n / 2 ** 20)} MiB`);

/**
 * The weights file of the project at `abs` holding the bytes whose SHA-256 is `sha256`: beside it,
 * named after the project and the bytes (`icons.netwright.json` → `icons.netwright.weights-<16 hex>.safetensors`),
 * so a save never writes over the weights the project file on disk names, and two versions of a
 * project never share a name unless they share the bytes.
 */
export function weightsFileOf(abs: string, sha256: string): string {
  return path.join(path.dirname(abs), projectWeightsFileName(path.basename(abs), sha256));
}

/** The SHA-256 the project text names for its weights (`model.weights.sha256`), or undefined (none, or not a project). */
export function weightsNamed(text: string | Buffer | undefined): string | undefined {
  if (text === undefined) return undefined;
  try {
    const json = JSON.parse(text.toString()) as { model?: { weights?: { sha256?: unknown } } };
    const sha = json?.model?.weights?.sha256;
    return typeof sha === 'string' && /^[0-9a-f]{64}$/.test(sha) ? sha : undefined;
  } catch {
    return undefined;
  }
}

/** Weights being received for a save: a temp file beside the project, filled in order. */
interface Staged {
  readonly target: string;
  readonly tmp: string;
  readonly bytes: number;
  readonly hash: Hash;
  handle: fs.FileHandle | undefined;
  next: number;
  written: number;
  sha256: string | undefined;
  touched: number;
}

/** Weights received for a save, complete and flushed: `tmp` holds them. */
export interface StagedWeights {
  readonly tmp: string;
  readonly sha256: string;
}

/** How long weights being received wait for their next part before they are dropped (ms). */
const STAGED_IDLE_MS = 10 * 60_000;

/** What bounds a project's weights: their size, a part's, and the free space where they go (tests lower them). */
export interface ProjectWeightsLimits {
  /** The most bytes of weights a project keeps (PROJECT_LIMITS.weightsBytes). */
  weightsBytes: number;
  /** The most bytes one part carries (PROJECT_LIMITS.chunkBytes). */
  chunkBytes: number;
  /** Bytes free to this process on the disk holding `dir`. */
  freeBytes(dir: string): Promise<number>;
}

/** The disk's space free to unprivileged users (statfs `bavail`); Infinity where it cannot be told. */
const freeBytes = (dir: string): Promise<number> => fs.statfs(dir).then((s) => s.bavail * s.bsize, () => Infinity);

/** The limits a host runs under. */
export const PROJECT_WEIGHTS_LIMITS: ProjectWeightsLimits = { weightsBytes: PROJECT_LIMITS.weightsBytes, chunkBytes: PROJECT_LIMITS.chunkBytes, freeBytes };

/** A FileError for a disk without room for `bytes` more of weights beside `abs` (`free` known, or not). */
const diskFull = (abs: string, bytes: number, free?: number) =>
  new FileError('E_FILE_DISK_FULL', `The project's trained weights need ${size(bytes)} beside ${path.basename(abs)}${free === undefined ? ', more than the disk had free' : `, and that disk has ${size(free)} free`}; nothing was saved (the project on disk is as it was). Free at least ${size(Math.max(0, bytes - (free ?? 0)) + 2 ** 20)} there, or save the project on another disk (Save As…), then save again.`);

/**
 * A project's trained weights, kept beside its file as safetensors (docs/export.md "Weights kept
 * with the project"), received and sent in parts of at most PROJECT_LIMITS.chunkBytes, as bytes
 * (Electron's IPC clones them; web mode's FILE_BYTES route carries them as request and response
 * bodies): a model of any size crosses the renderer/host boundary in calls of a few MiB, never as
 * text. `begin` makes a temp file beside the project (`<target>.<pid>.<8 hex>.tmp`, created
 * exclusively: host start removes one a crash left), `append` fills it in order and answers the
 * bytes' SHA-256 with the last part, and FileService.write `take`s it to put it in place under
 * the project's save lock. `read` answers the weights a project names, part by part.
 */
export class ProjectWeights {
  private readonly staged = new Map<string, Staged>();

  constructor(private readonly limits: ProjectWeightsLimits = PROJECT_WEIGHTS_LIMITS) {}

  /** Start receiving `bytes` of weights for the project at `abs` (resolved and confined by the caller); answers their id and the most bytes a part may carry. */
  async begin(abs: string, bytes: number): Promise<{ id: string; partBytes: number }> {
    this.dropIdle();
    if (bytes > this.limits.weightsBytes) {
      throw new FileError('E_FILE_TOO_LARGE', `The trained weights are ${size(bytes)}; Netwright keeps up to ${size(this.limits.weightsBytes)} of weights with a project. Save the design without them (clear the run first), or export the model instead (Export ▾).`);
    }
    // Refused before a byte is sent where the disk cannot take them (a full disk mid-save left nothing either, but after minutes).
    const free = await this.limits.freeBytes(path.dirname(abs));
    if (bytes > free) throw diskFull(abs, bytes, free);
    const id = randomBytes(12).toString('hex');
    const tmp = `${abs}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    const handle = await fs.open(tmp, 'wx');
    this.staged.set(id, { target: abs, tmp, bytes, hash: createHash('sha256'), handle, next: 0, written: 0, sha256: undefined, touched: Date.now() });
    return { id, partBytes: this.limits.chunkBytes };
  }

  /** Part `seq` (0, 1, 2…) of weights being received, its bytes as they are; answers their SHA-256 with the part that completes them. */
  async append(id: string, seq: number, data: Uint8Array): Promise<{ sha256: string | null }> {
    const s = this.staged.get(id);
    if (!s?.handle) throw new FileError('E_FILE_BAD_REQUEST', 'Those weights are not being received (too long since their last part, or already saved). Save again.');
    if (seq !== s.next) {
      await this.drop(id);
      throw new FileError('E_FILE_BAD_REQUEST', `Part ${seq} of the weights came where part ${s.next} was expected; nothing was saved. Save again.`);
    }
    if (data.length > this.limits.chunkBytes || s.written + data.length > s.bytes) {
      await this.drop(id);
      throw new FileError('E_FILE_BAD_REQUEST', 'The weights came larger than announced; nothing was saved. Save again.');
    }
    s.next++;
    s.touched = Date.now();
    try {
      await s.handle.write(data, 0, data.length, s.written);
      s.hash.update(data);
      s.written += data.length;
      if (s.written < s.bytes) return { sha256: null };
      await s.handle.sync();
    } catch (e) {
      await this.drop(id);
      if ((e as NodeJS.ErrnoException).code === 'ENOSPC') throw diskFull(s.target, s.bytes);
      throw e;
    }
    await s.handle.close();
    s.handle = undefined;
    s.sha256 = s.hash.digest('hex');
    return { sha256: s.sha256 };
  }

  /** The weights `id` for a save of `abs`, complete: the caller puts `tmp` in place or removes it. */
  async take(id: string, abs: string): Promise<StagedWeights> {
    const s = this.staged.get(id);
    if (!s || s.target !== abs || !s.sha256) {
      if (s) await this.drop(id);
      throw new FileError('E_FILE_BAD_REQUEST', `The weights for this save are not all here (or were sent for another file); nothing was saved. Save again.`);
    }
    this.staged.delete(id);
    return { tmp: s.tmp, sha256: s.sha256 };
  }

  /**
   * Part of the weights file of the project at `abs` whose SHA-256 is `sha256`, from byte `offset`
   * (at most PROJECT_LIMITS.chunkBytes, as bytes), and its size. With offset 0 the whole file is
   * checked against `sha256` first: a damaged or replaced one is refused (E_FILE_CONTENT).
   */
  async read(abs: string, sha256: string, offset: number): Promise<{ data: Uint8Array; total: number }> {
    const file = weightsFileOf(abs, sha256);
    const name = path.basename(file);
    const handle = await fs.open(file, 'r').catch((e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') throw new FileError('E_FILE_NOT_FOUND', `The project's trained weights (${name}, beside it) are missing; it opens without them. Keep that file with the project when you copy or move it.`);
      throw e;
    });
    try {
      const st = await handle.stat();
      if (!st.isFile()) throw new FileError('E_FILE_NOT_A_FILE', `${name} is not a file.`);
      if (offset === 0) {
        const hash = createHash('sha256');
        for await (const part of handle.createReadStream({ start: 0, autoClose: false })) hash.update(part as Buffer);
        if (hash.digest('hex') !== sha256) throw new FileError('E_FILE_CONTENT', `${name} does not hold the weights the project names (it was changed or damaged); the project opens without them.`);
      }
      const length = Math.max(0, Math.min(this.limits.chunkBytes, st.size - offset));
      const buf = new Uint8Array(length);
      const { bytesRead } = await handle.read(buf, 0, length, offset);
      return { data: buf.subarray(0, bytesRead), total: st.size };
    } finally {
      await handle.close();
    }
  }

  private async drop(id: string): Promise<void> {
    const s = this.staged.get(id);
    if (!s) return;
    this.staged.delete(id);
    await s.handle?.close().catch(() => {});
    await fs.rm(s.tmp, { force: true });
  }

  private dropIdle(): void {
    const now = Date.now();
    for (const [id, s] of this.staged) if (now - s.touched > STAGED_IDLE_MS) void this.drop(id);
  }
}
