/**
 * The files a command-line tool reads from paths the user typed: a design or project, a model,
 * weights. They are read as the engine reads data (readRegularFile: opened without blocking, only
 * a regular file, no larger than a limit), so `/dev/zero` or a FIFO named as a design is refused
 * at once with a coded message rather than filling memory or hanging the command.
 */
import { constants } from 'node:buffer';
import { mib } from '../core/data';
import { thrownCode, type ErrorCode, type ThrownCode } from '../base/errors';
import { readRegularFile, RegularFileError } from './regular-file';

/**
 * The most of a design, project or model JSON file read: the longest string V8 makes (512 MiB
 * less 24 bytes), which `JSON.parse` needs it as; a byte of UTF-8 is at most one character.
 */
export const JSON_FILE_MAX_BYTES = constants.MAX_STRING_LENGTH;

/** A command-line tool's refusal: its code, a message naming the file, the exit code (2: the user's input). */
export class CliError extends Error {
  constructor(
    readonly code: ErrorCode | ThrownCode,
    message: string,
    readonly exit = 2,
  ) {
    super(message);
  }
}

/**
 * The bytes of `file`, a path the user typed (a link is followed: it is theirs), if it is a
 * regular file of at most `maxBytes`.
 *
 * @throws CliError CLI_NO_FILE (missing or unopenable), CLI_NOT_A_FILE (a folder, device, FIFO or
 *   socket), `tooLarge` (default CLI_TOO_LARGE) over `maxBytes`.
 */
export function readNamedFile(file: string, maxBytes: number, tooLarge: ErrorCode = 'CLI_TOO_LARGE'): Buffer {
  try {
    return readRegularFile(file, maxBytes);
  } catch (e) {
    if (!(e instanceof RegularFileError)) throw e;
    switch (e.problem) {
      case 'too-large':
        throw new CliError(tooLarge, `${file} is ${mib(e.size)}; Netwright reads such files up to ${mib(maxBytes)}.`);
      case 'not-regular':
        throw new CliError('CLI_NOT_A_FILE', `${file} is not a regular file (a folder, device or pipe).`);
      case 'missing':
        throw new CliError('CLI_NO_FILE', `${file}: no such file.`);
      default:
        throw new CliError('CLI_NO_FILE', `${file} cannot be opened (${e.errno ?? e.problem}).`);
    }
  }
}

/**
 * The JSON object in `file` (a design, project or model), read as `readNamedFile` reads within
 * JSON_FILE_MAX_BYTES.
 *
 * @throws CliError as readNamedFile, and CLI_BAD_JSON (not JSON, or not an object).
 */
export function readNamedJson(file: string): Record<string, unknown> {
  const text = readNamedFile(file, JSON_FILE_MAX_BYTES).toString('utf8');
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new CliError('CLI_BAD_JSON', `${file}: not valid JSON (${(e as Error).message}).`);
  }
  if (json === null || typeof json !== 'object' || Array.isArray(json)) throw new CliError('CLI_BAD_JSON', `${file}: not a JSON object (a design, project or model).`);
  return json as Record<string, unknown>;
}

/** Refuse the command: a `CliError` of `code` (exit 2 unless said). */
export const refuse = (code: ErrorCode | ThrownCode, message: string, exit = 2): never => {
  throw new CliError(code, message, exit);
};

/** `fn()`; what it throws (a refusal aside) is refused under the error's own code, else `fallback`. */
export function refusing<T>(fallback: ErrorCode, fn: () => T, exit = 2, describe = (e: Error) => e.message): T {
  try {
    return fn();
  } catch (e) {
    if (e instanceof CliError) throw e;
    throw new CliError(thrownCode(e, fallback), describe(e as Error), exit);
  }
}
