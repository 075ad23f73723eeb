/**
 * The Electron shell's trust decisions as pure functions (no Electron import), so each can be
 * unit-tested with its negative controls (test/unit/host/electron-policy.test.ts) and main.ts
 * stays glue. docs/security.md ("Electron") lists what each one defends against.
 */
import path from 'node:path';

/** The privileged scheme the app is served from instead of `file://` (registered in main.ts). */
export const APP_SCHEME = 'app';
/** The one host under {@link APP_SCHEME}; every page and asset of the app lives below it. */
export const APP_HOST = 'netwright';
/** The origin the renderer runs at: `app://netwright`. */
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
/** The page a window loads. */
export const APP_ENTRY_URL = `${APP_ORIGIN}/index.html`;

/** What an IPC handler knows about the frame that sent a message (Electron's `WebFrameMain`). */
export interface SenderFrame {
  readonly url: string;
  /** The top frame has no parent; a sub-frame (an iframe) never speaks for the app. */
  readonly parent: unknown;
}

/**
 * Whether an IPC message comes from the app's own top-level page: the `app://netwright` origin,
 * or — only in `npm run dev` — the electron-vite dev server's origin exactly. Sub-frames,
 * other schemes, look-alike hosts and a missing frame (one already navigated away or destroyed)
 * are refused.
 *
 * @example isTrustedSender({ url: 'app://netwright/index.html', parent: null }) // true
 */
export function isTrustedSender(frame: SenderFrame | null | undefined, devServerUrl?: string): boolean {
  if (!frame || frame.parent) return false;
  const origin = originOf(frame.url);
  if (!origin) return false;
  if (origin === APP_ORIGIN) return true;
  if (devServerUrl) {
    const dev = originOf(devServerUrl);
    return dev !== undefined && dev.startsWith('http://') && origin === dev;
  }
  return false;
}

/**
 * `URL.origin` is the string `"null"` for non-special schemes like `app:`, so build it by hand:
 * scheme, host and port, lower-cased as the URL parser leaves them.
 */
function originOf(raw: string): string | undefined {
  let u: URL;
  try {
    u = new URL(raw);
  } catch {
    return undefined;
  }
  if (u.username || u.password) return undefined;
  return `${u.protocol}//${u.host}`;
}

/**
 * Hosts a link in the app may open in the user's browser (`shell.openExternal`): the project's
 * documentation and the datasets it names. Anything else — other hosts, `http:`, `file:`,
 * custom schemes that launch programs — stays closed.
 */
export const EXTERNAL_HOSTS: readonly string[] = ['github.com', 'onnx.ai', 'pytorch.org', 'yann.lecun.com', 'archive.ics.uci.edu', 'www.electronjs.org'];

/** Whether `url` may be handed to `shell.openExternal`: https, no credentials, default port, an allow-listed host. */
export function isAllowedExternal(url: string, hosts: readonly string[] = EXTERNAL_HOSTS): boolean {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return false;
  }
  if (u.protocol !== 'https:' || u.username || u.password || u.port !== '') return false;
  return hosts.includes(u.hostname);
}

/** Why {@link resolveAppAsset} refused a request; the protocol handler answers 404 / 403. */
export type AppAssetResult = { ok: true; file: string } | { ok: false; status: 403 | 404; reason: string };

/**
 * Map an `app://netwright/...` request to a file under `root` (the built renderer folder).
 * Percent-encoded traversal (`%2e%2e`, `%2f`, `%5c`), NUL bytes, other hosts and anything that
 * resolves outside `root` are refused; `/` means `index.html`.
 */
export function resolveAppAsset(requestUrl: string, root: string): AppAssetResult {
  let u: URL;
  try {
    u = new URL(requestUrl);
  } catch {
    return { ok: false, status: 404, reason: 'malformed URL' };
  }
  if (u.protocol !== `${APP_SCHEME}:` || u.host !== APP_HOST) return { ok: false, status: 404, reason: 'not the app origin' };
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname);
  } catch {
    return { ok: false, status: 404, reason: 'malformed path' };
  }
  if (rel.includes('\0') || rel.includes('\\')) return { ok: false, status: 403, reason: 'forbidden character' };
  const segments = rel.split('/').filter((s) => s !== '');
  if (segments.some((s) => s === '..' || s === '.')) return { ok: false, status: 403, reason: 'path traversal' };
  if (segments.length === 0) segments.push('index.html');
  const base = path.resolve(root);
  const file = path.resolve(base, ...segments);
  if (file !== base && !file.startsWith(base + path.sep)) return { ok: false, status: 403, reason: 'outside the app folder' };
  return { ok: true, file };
}

/**
 * Permissions the renderer may be granted (both the check and the request handler answer from
 * this): the camera only — `media` asked by the app's own top-level page (`fromApp`: the app's
 * window and origin, see isTrustedSender) for video alone (no microphone, no unknown media type);
 * nothing else (notifications, geolocation, clipboard-read…), and nothing for any other page.
 * Chromium asks only when the page calls getUserMedia, which it does when the user clicks
 * "Take photos…" or the Playground's Camera.
 */
export function isPermissionAllowed(permission: string, asked: { fromApp: boolean; mediaTypes?: readonly string[] } = { fromApp: false }): boolean {
  if (permission !== 'media' || !asked.fromApp) return false;
  const types = asked.mediaTypes ?? [];
  return types.length > 0 && types.every((t) => t === 'video');
}
