import { closeSync, mkdtempSync, openSync, readSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { FeatureSpill, FeatureStore } from '../core/train/types';
import { mib } from '../core/data';
import { privateTempFolder } from './temp-folder';

/** The feature cache's file did not fit on its disk (ENOSPC, or the user's quota: EDQUOT); the partial file was removed. */
export class FeatureSpillError extends Error {
  readonly code = 'E_FEATURE_CACHE_DISK_FULL';
}

/**
 * A frozen backbone's feature cache past its memory budget (core/train/feature-cache.ts), as a
 * file of float32 values in a folder of its own under `dir` (default this process's private
 * temporary folder, node/temp-folder.ts: removed at exit, or by the next start after a kill),
 * written once and read back per batch, a sample's row at a time; removed when the run ends. A
 * disk that fills while it is written fails the run with E_FEATURE_CACHE_DISK_FULL, the partial
 * file removed.
 */
export function fileFeatureSpill(dir?: string): FeatureSpill {
  return {
    open(floats: number): FeatureStore {
      let folder: string | undefined;
      let fd: number | null = null;
      const close = () => {
        if (fd !== null) closeSync(fd);
        fd = null;
        if (folder !== undefined) rmSync(folder, { recursive: true, force: true });
      };
      const bytes = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
      const file = (): number => {
        if (fd === null) throw new Error('The feature cache was closed.');
        return fd;
      };
      // A full disk: the partial file removed, the run told why in words it can act on.
      const writing = (f: () => void): void => {
        try {
          f();
        } catch (e) {
          const code = (e as NodeJS.ErrnoException).code;
          if (code !== 'ENOSPC' && code !== 'EDQUOT') throw e;
          close();
          throw new FeatureSpillError(`The frozen layers' outputs (${mib(floats * 4)}) do not fit on the disk of the temporary folder (${code === 'ENOSPC' ? 'it is full' : 'your disk quota is reached'}): the partial cache was removed. Free some space there or set TMPDIR to a folder on a larger disk, then train again.`);
        }
      };
      writing(() => {
        folder = mkdtempSync(join(dir ?? privateTempFolder(), 'features-'));
        fd = openSync(join(folder, 'features.f32'), 'wx+', 0o600);
        // The file's size up front: a write past the end of another's region never leaves a hole unread.
        if (floats > 0) writeSync(file(), new Uint8Array(4), 0, 4, (floats - 1) * 4);
      });
      return {
        write(at, values) {
          const b = bytes(values);
          writing(() => {
            for (let done = 0; done < b.length; ) done += writeSync(file(), b, done, b.length - done, at * 4 + done);
          });
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
          close();
        },
      };
    },
  };
}
