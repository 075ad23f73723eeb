// How a host answers a file operation, and its unwrapping: what both the host's bridge types
// (host.ts) and the file service's contract (files.ts) need, in a file of its own so neither
// imports the other for it (host.ts names files.ts's WriteCondition).

/** How a host answers a file operation (Electron IPC and the web host's /api/files alike). */
export type FileOpResult = { ok: true; result: unknown } | { ok: false; error: { code: string; message: string } };

/** A failed file operation, with the host's stable code; `message` is meant for the user. */
export class HostFileError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'HostFileError';
  }
}

/** Unwrap a host's answer, throwing HostFileError on failure. */
export function unwrapFileResult<T>(r: FileOpResult): T {
  if (!r || typeof r !== 'object' || typeof r.ok !== 'boolean') throw new HostFileError('E_FILE_BAD_RESPONSE', 'The host gave a malformed answer.');
  if (!r.ok) throw new HostFileError(String(r.error?.code ?? 'E_FILE'), String(r.error?.message ?? 'The file operation failed.'));
  return r.result as T;
}
