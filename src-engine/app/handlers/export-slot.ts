import { EXPORT_CHUNK_BYTES } from '../../protocol/services/model';
import type { ExportBundle } from '../../core/export/bundle';
import { coded } from './coded';

/** How many exports one connection holds at once for reading in parts; opening another drops the oldest. */
const HELD_EXPORTS = 2;

/**
 * Exports made for reading in parts (`model.exportOpen`, `model.exportRead`, `model.exportClose`):
 * no message carries more than EXPORT_CHUNK_BYTES of one, whatever its size. Each read answers a
 * copy of its part, never a view: a view would take the whole export's buffer along through a
 * MessagePort's or Node IPC's structured clone.
 */
export class ExportSlot {
  private readonly held = new Map<string, ExportBundle>();

  constructor(private readonly nextId: () => number) {}

  /** Hold `bundle`; answers its handle. */
  hold(bundle: ExportBundle): string {
    const handle = `export-${this.nextId()}`;
    this.held.set(handle, bundle);
    for (const old of this.held.keys()) if (this.held.size > HELD_EXPORTS) this.held.delete(old);
    return handle;
  }

  /** Up to `EXPORT_CHUNK_BYTES` of file `file` from `offset`. */
  read(handle: string, file: number, offset: number): Uint8Array {
    const bundle = this.held.get(handle);
    if (!bundle) throw coded('E_EXPORT_GONE', 'That export is no longer held by the engine (another export replaced it, or the engine restarted); export again.');
    const f = bundle.files[file];
    if (!f || offset > f.data.length) throw coded('E_EXPORT_GONE', `The export has no file ${file} with ${offset} bytes; export again.`);
    return f.data.slice(offset, Math.min(f.data.length, offset + EXPORT_CHUNK_BYTES));
  }

  close(handle: string): void {
    this.held.delete(handle);
  }
}
