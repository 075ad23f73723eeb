import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FeatureSpill, FeatureStore } from '../core/train/types';

/**
 * A frozen backbone's feature cache past its memory budget (core/train/feature-cache.ts), as a
 * file of float32 values in a folder of its own under `dir` (default the OS's temporary folder),
 * written once and read back per batch, a sample's row at a time; removed when the run ends.
 */
export function fileFeatureSpill(dir: string = tmpdir()): FeatureSpill {
  return {
    open(floats: number): FeatureStore {
      const folder = mkdtempSync(join(dir, 'netwright-features-'));
      let fd: number | null = openSync(join(folder, 'features.f32'), 'w+');
      const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const file = (): number => {
        if (fd === null) throw new Error('The feature cache was closed.');
        return fd;
      };
      // The file's size up front: a write past the end of another's region never leaves a hole unread.
      if (floats > 0) writeSync(file(), new Uint8Array(4), 0, 4, (floats - 1) * 4);
      return {
        write(at, values) {
          const b = bytes(values);
          for (let done = 0; done < b.length; ) done += writeSync(file(), b, done, b.length - done, at * 4 + done);
        },
        read(at, into) {
          const b = bytes(into);
          for (let done = 0; done < b.length; ) {
            const n = readSync(file(), b, done, b.length - done, at * 4 + done);
            if (n === 0) throw new Error(`The feature cache's file ends before value ${at + into.length}.`);
            done += n;
          }
        },
        close() {
          if (fd === null) return;
          closeSync(fd);
          fd = null;
          rmSync(folder, { recursive: true, force: true });
        },
      };
    },
  };
}
