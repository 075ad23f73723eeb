import type { ErrorCode } from '../../base/errors';

/** An error carrying its code from the table (base/errors.ts), as the handlers throw them. */
export function coded(code: ErrorCode, message: string): Error & { code: ErrorCode } {
  return Object.assign(new Error(message), { code });
}
