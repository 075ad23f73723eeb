import type { ResidentStatus } from './types';

/**
 * The line the CLI and the run's log show for a GPU run's training split (`onResidentData`):
 * `training data on the GPU: 60000 samples (188 MB, uploaded in 0.3 s); each batch is gathered there`,
 * or `training data uploaded every step: <the reason>`.
 */
export function residentDataMessage(s: ResidentStatus): string {
  if (s.state === 'off') return `training data uploaded every step: ${s.reason}`;
  return `training data on the GPU: ${s.samples} samples (${byteSize(s.bytes)}, uploaded in ${duration(s.seconds)}); each batch is gathered there`;
}

/** 188 MB, 3.1 MB, 42 KB: a small split does not read "0.0 MB" (the line, and the reasons a device gives: core/gpu/resident.ts). */
export function byteSize(bytes: number): string {
  const mb = bytes / 1e6;
  return mb >= 10 ? `${Math.round(mb)} MB` : mb >= 0.1 ? `${mb.toFixed(1)} MB` : `${Math.max(1, Math.round(bytes / 1e3))} KB`;
}

/** 0.3 s, 12 ms: an upload under a tenth of a second does not read "0.0 s". */
function duration(seconds: number): string {
  return seconds >= 0.1 ? `${seconds.toFixed(1)} s` : `${Math.max(1, Math.round(seconds * 1000))} ms`;
}
