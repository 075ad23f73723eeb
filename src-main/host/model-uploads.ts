import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import path from 'node:path';
import { processAlive } from './file-lock';
import { FileError, mib, type FilePaths } from './file-paths';

/**
 * Web mode: model files to import, sent by the browser as a request's body, kept in
 * `<workspace>/.netwright/imports/` for the engine to read by path. One at a time.
 */
export class ModelUploads {
  /** The model file the last upload kept for the engine to read (`receive`). */
  private uploaded: string | undefined;

  constructor(private readonly paths: FilePaths) {}

  /**
   * Web mode: a model file to import, sent by the browser as a request's body (src-contracts/files.ts
   * `MODEL_UPLOAD`), written to `<workspace>/.netwright/imports/` for the engine to read by path
   * (`model.read { path }`). One is kept at a time: the next upload removes the one before (the
   * engine has read it by then: the page imports one file at a time); the host's next start
   * removes those of hosts no longer running. At most `maxBytes`, else E_IMPORT_TOO_LARGE and
   * nothing is kept. Answers its path relative to the workspace.
   */
  async receive(body: AsyncIterable<Uint8Array>, maxBytes: number): Promise<{ path: string }> {
    const root = this.paths.workspaceDir;
    if (!root) throw new FileError('E_FILE_BAD_REQUEST', 'Model uploads are for web mode; in the app, the engine reads the file you pick.');
    const chunks: Uint8Array[] = [];
    let bytes = 0;
    for await (const chunk of body) {
      bytes += chunk.length;
      if (bytes > maxBytes) throw new FileError('E_IMPORT_TOO_LARGE', `The file is larger than ${mib(maxBytes)}; Netwright imports model files up to that size.`);
      chunks.push(chunk);
    }
    if (bytes === 0) throw new FileError('E_IMPORT_FORMAT', 'The file is empty: it is not an ONNX model.');
    const dir = importsDir(root);
    await fs.mkdir(dir, { recursive: true });
    const file = path.join(dir, `${process.pid}.${randomBytes(8).toString('hex')}.onnx`);
    await this.paths.confine(file);
    await fs.writeFile(file, chunks, { flag: 'wx', mode: 0o600 });
    const before = this.uploaded;
    this.uploaded = file;
    if (before) await fs.rm(before, { force: true });
    return { path: path.relative(path.resolve(root), file).split(path.sep).join('/') };
  }

  /** Web mode: model uploads left by hosts no longer running (`receive`); called at start. */
  async cleanup(): Promise<void> {
    if (!this.paths.workspaceDir) return;
    const dir = importsDir(this.paths.workspaceDir);
    for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
      const pid = Number(/^(\d+)\./.exec(name)?.[1]);
      if (!Number.isSafeInteger(pid) || pid === process.pid || !processAlive(pid)) await fs.rm(path.join(dir, name), { force: true });
    }
  }
}

function importsDir(root: string): string {
  return path.join(path.resolve(root), '.netwright', 'imports');
}
