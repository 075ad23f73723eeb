import { promises as fs } from 'node:fs';
import path from 'node:path';
import { readRegularFile } from '../../src-engine/node/regular-file';
import { writeAtomic } from './atomic-write';
import type { FilePaths } from './file-paths';

const MAX_RECENT = 10;

/**
 * Operations in progress, by file: each waits for the one before it on the same file, so two
 * project writes never pass one version check, and the state files (recents, the recovery slot)
 * change in the order asked: a clear sent while an autosave is still being written (a save right
 * after an edit) lands after it, not before its rename brings the stale draft back.
 */
export class FileTurns {
  private readonly writing = new Map<string, Promise<unknown>>();

  /** Run `op` on `file` after the operations on it already asked for (whether they failed or not). */
  async inTurn<T>(file: string, op: () => Promise<T>): Promise<T> {
    const done = (this.writing.get(file) ?? Promise.resolve()).catch(() => {}).then(op);
    this.writing.set(file, done);
    try {
      return await done;
    } finally {
      if (this.writing.get(file) === done) this.writing.delete(file);
    }
  }
}

/**
 * The host's own files in its state folder (Electron: the user data folder; web mode: the
 * workspace's `.netwright/`): the recent files (`recent.json`, the last 10) and one autosave slot
 * for crash recovery (`recovery.json`). Missing or damaged state reads as empty.
 */
export class HostState {
  constructor(
    private readonly stateDir: string,
    private readonly maxBytes: number,
    private readonly paths: FilePaths,
    private readonly turns: FileTurns,
  ) {}

  async recent(): Promise<{ path: string; name: string }[]> {
    const list = await this.readState<string[]>('recent.json', []);
    const valid = Array.isArray(list) ? [...new Set(list.filter((p): p is string => typeof p === 'string'))] : [];
    if (!this.paths.workspaceDir) valid.forEach((p) => this.paths.grantListed(p));
    return valid.map((abs) => ({ path: this.paths.display(abs), name: path.basename(abs) }));
  }

  async addRecent(abs: string): Promise<void> {
    await this.inState('recent.json', async () => {
      const list = (await this.readStateNow<string[]>('recent.json', [])).filter((p) => typeof p === 'string' && p !== abs);
      await this.writeStateNow('recent.json', [abs, ...list].slice(0, MAX_RECENT));
    });
  }

  async writeRecovery(text: string): Promise<void> {
    if (typeof text !== 'string' || Buffer.byteLength(text) > this.maxBytes) return;
    await this.inState('recovery.json', () => this.writeStateNow('recovery.json', { savedAt: Date.now(), text }));
  }

  async readRecovery(): Promise<{ text: string; savedAt: number } | null> {
    const r = await this.readState<{ text?: unknown; savedAt?: unknown } | null>('recovery.json', null);
    return r && typeof r.text === 'string' && typeof r.savedAt === 'number' ? { text: r.text, savedAt: r.savedAt } : null;
  }

  async clearRecovery(): Promise<void> {
    await this.inState('recovery.json', () => fs.rm(path.join(this.stateDir, 'recovery.json'), { force: true }));
  }

  /** A state file's content, after the changes to it already asked for. */
  readState<T>(name: string, fallback: T): Promise<T> {
    return this.inState(name, () => this.readStateNow(name, fallback));
  }

  /** A state file's operation in its turn (`FileTurns`). */
  private inState<T>(name: string, op: () => Promise<T>): Promise<T> {
    return this.turns.inTurn(path.join(this.stateDir, name), op);
  }

  private async readStateNow<T>(name: string, fallback: T): Promise<T> {
    try {
      // A regular file (a FIFO there is not waited on); the recovery slot holds a project's text, escaped.
      return JSON.parse(readRegularFile(path.join(this.stateDir, name), 4 * this.maxBytes).toString('utf8')) as T;
    } catch {
      return fallback; // missing or corrupt state is not the user's problem: start fresh
    }
  }

  private async writeStateNow(name: string, value: unknown): Promise<void> {
    await fs.mkdir(this.stateDir, { recursive: true });
    await writeAtomic(path.join(this.stateDir, name), JSON.stringify(value));
  }
}
