/**
 * Error messages leave the engine for the renderer, which has no business knowing where the host
 * keeps its files (in web mode it is a browser tab). Absolute paths in a message are cut to their
 * last part, the file's name: `open '/home/ada/.config/Netwright/runs/…/graph.json'` →
 * `open 'graph.json'`. Relative paths, URLs, fractions (`3/4`) and rates (`steps/s`) are left
 * alone: a POSIX path must start at a word boundary with `/` and have at least two parts.
 */
const POSIX_PATH = /(?<![\w.:/~-])\/(?:[^\s'"`()<>,;:/]+\/)+([^\s'"`()<>,;:/]*)/g;
const WINDOWS_PATH = /(?<![\w])[A-Za-z]:\\(?:[^\s'"`()<>,;\\]+\\)*([^\s'"`()<>,;\\]*)/g;

/** A text with every absolute host path replaced by its last part (the file or folder name). */
export function withoutHostPaths(text: string): string {
  return text.replace(POSIX_PATH, (_m, base: string) => base).replace(WINDOWS_PATH, (_m, base: string) => base);
}

/**
 * `data` with every string under a key `message` — at the top or in a nested object, as a sweep
 * run's `failed.message` — passed through `withoutHostPaths`; `data` itself when none changes.
 * Arrays are not searched (probe frames' numbers: no message lives in one).
 */
export function messagesWithoutHostPaths<T>(data: T, depth = 0): T {
  if (data === null || typeof data !== 'object' || Array.isArray(data) || ArrayBuffer.isView(data) || depth > 4) return data;
  let copy: Record<string, unknown> | undefined;
  for (const [key, value] of Object.entries(data)) {
    const next = key === 'message' && typeof value === 'string' ? withoutHostPaths(value) : messagesWithoutHostPaths(value, depth + 1);
    if (next !== value) (copy ??= { ...(data as Record<string, unknown>) })[key] = next;
  }
  return (copy ?? data) as T;
}

/**
 * Whether an error's `code` is one of the app's (`E_RUN_DAMAGED`, `DATA_NOT_FOUND`, …) rather than
 * a system error's that escaped unhandled (Node's `ENOENT`, `EACCES`, `ERR_INVALID_ARG_TYPE`),
 * which the engine answers as internal.
 */
export function isAppErrorCode(code: unknown): code is string {
  return typeof code === 'string' && code.includes('_') && !code.startsWith('ERR_');
}
