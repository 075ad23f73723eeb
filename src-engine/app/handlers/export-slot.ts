import { EXPORT_CHUNK_BYTES } from '../../protocol/services/model';
import type { ExportBundle } from '../../core/export/bundle';
import { coded } from './coded';

/** A held file: its size, and a copy of its bytes from `offset`, at most `length` (fewer at its end). */
export interface HeldFile {
  bytes: number;
  read(offset: number, length: number): Uint8Array;
}

/** How many exports one connection holds at once for reading in parts; opening another drops the oldest. */
const HELD_EXPORTS = 2;

/**
 * Exports made for reading in parts (`model.exportOpen`, `model.exportRead`, `model.exportClose`):
 * no message carries more than EXPORT_CHUNK_BYTES of one, whatever its size. Each read answers a
 * copy of its part, never a view: a view would take the whole export's buffer along through a
 * MessagePort's or Node IPC's structured clone.
 */
export class ExportSlot {
  private readonly held = new Map<string, HeldFile[]>();

  constructor(private readonly nextId: () => number) {}

  /** Hold `bundle`; answers its handle. */
  hold(bundle: ExportBundle): string {
    return this.holdFiles(bundle.files.map((f) => ({ bytes: f.data.length, read: (offset, length) => f.data.slice(offset, Math.min(f.data.length, offset + length)) })));
  }

  /** Hold files read on demand (a project's weights file, made part by part from the model's tensors); answers the handle. */
  holdFiles(files: HeldFile[]): string {
    const handle = `export-${this.nextId()}`;
    this.held.set(handle, files);
    for (const old of this.held.keys()) if (this.held.size > HELD_EXPORTS) this.held.delete(old);
    return handle;
  }

  /** Up to `EXPORT_CHUNK_BYTES` of file `file` from `offset`. */
  read(handle: string, file: number, offset: number): Uint8Array {
    const files = this.held.get(handle);
    if (!files) throw coded('E_EXPORT_GONE', 'That export is no longer held by the engine (another export replaced it, or the engine restarted); export again.');
    const f = files[file];
    if (!f || offset > f.bytes) throw coded('E_EXPORT_GONE', `The export has no file ${file} with ${offset} bytes; export again.`);
    return f.read(offset, EXPORT_CHUNK_BYTES);
  }

  close(handle: string): void {
    this.held.delete(handle);
  }
}
