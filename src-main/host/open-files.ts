/**
 * Files the desktop app is asked to open from outside (issue #46): a double-click on a
 * `.netwright.json` or `.onnx` (file associations), `netwright-app file` on the command line, or
 * a second launch, which hands its files to the running instance (Electron's single-instance
 * lock: `second-instance` carries the second process's argv and working folder; macOS sends
 * `open-file` instead, possibly before the app is ready). Pure: main.ts wires it to Electron.
 */
import path from 'node:path';
import { PROJECT_EXTENSION } from './files';

/** What an opened file becomes: a project opened as Open… does, or an ONNX model imported as Import ONNX… does. */
export type OpenKind = 'project' | 'onnx';

/** The file types the app registers (electron-builder's `fileAssociations` lists the same). */
export const OPENABLE: readonly { suffix: string; kind: OpenKind }[] = [
  { suffix: PROJECT_EXTENSION, kind: 'project' },
  { suffix: '.onnx', kind: 'onnx' },
];

/** How the app opens `file`, by its name (case-insensitive); undefined for any other file. */
export function openKind(file: string): OpenKind | undefined {
  const name = file.toLowerCase();
  return OPENABLE.find((o) => name.endsWith(o.suffix) && name.length > o.suffix.length)?.kind;
}

/**
 * The files a command line asks to open, as absolute paths: the arguments that name an openable
 * file, relative ones resolved against `cwd` (the launching process's folder, which for a second
 * instance is not ours). Switches (`--flag`, `--flag=value`), the executable and the app folder
 * (`electron .` in development) are skipped; so is a `file://` URL or any other scheme.
 */
export function filesToOpen(argv: readonly string[], cwd: string): string[] {
  return argv.filter((a) => !a.startsWith('-') && !/^[a-z][a-z0-9+.-]+:\/\//i.test(a) && openKind(a) !== undefined).map((a) => path.resolve(cwd, a));
}

/**
 * Opens asked for before the window can take them (macOS's `open-file` before `ready`, a
 * double-click while the page loads) wait here, in order, and go out once it can; later ones go
 * out at once. A file asked for twice while waiting opens once.
 */
export class OpenQueue {
  private pending: string[] = [];
  private ready = false;

  constructor(private readonly deliver: (file: string) => void) {}

  request(file: string): void {
    if (this.ready) this.deliver(file);
    else if (!this.pending.includes(file)) this.pending.push(file);
  }

  /** The window can take files now (its page loaded): the waiting ones go out. */
  open(): void {
    this.ready = true;
    const waiting = this.pending;
    this.pending = [];
    waiting.forEach((f) => this.deliver(f));
  }

  /** The window is gone or reloading: hold files again until `open`. */
  close(): void {
    this.ready = false;
  }
}
