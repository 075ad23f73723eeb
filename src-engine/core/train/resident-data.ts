import type { ResidentStatus } from './types';

/**
 * The line the CLI and the run's log show for a GPU run's training split (`onResidentData`):
 * `training data on the GPU: 60000 samples (188 MB, uploaded in 0.3 s); each batch is gathered there`,
 * or `training data uploaded every step: <the reason>`.
 */
export function residentDataMessage(s: ResidentStatus): string {
  if (s.state === 'off') return `training data uploaded every step: ${s.reason}`;
  const mb = s.bytes / 1e6;
  return `training data on the GPU: ${s.samples} samples (${mb < 10 ? mb.toFixed(1) : Math.round(mb)} MB, uploaded in ${s.seconds.toFixed(1)} s); each batch is gathered there`;
}
