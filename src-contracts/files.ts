import { z } from 'zod';
import { HostFileError, unwrapFileResult, type FileOpResult } from './file-result';

// NOTE: kept apart from bridge.ts, which the sandboxed preload imports: a sandboxed preload
// cannot require packages (zod), so the checks run in the hosts and the renderer, not there.

const FilePath = z.string().min(1).max(4096);
const ProjectText = z.string().max(80 * 1024 * 1024);
/** An export's files as they travel to the host: paths relative to the export, bytes as base64. */
const ExportFiles = z
  .array(z.object({ path: z.string().min(1).max(1024), data: z.string().max(80 * 1024 * 1024) }))
  .min(1)
  .max(64);
/** A file's version: the SHA-256 of its bytes, in hex (FileService `read` and `write` answer it). */
const FileVersion = z.string().regex(/^[0-9a-f]{64}$/);
const HostFileSchema = z.object({ path: z.string().max(4096), name: z.string().max(1024), text: ProjectText, version: FileVersion });
/**
 * When a project write may go ahead (checked by the host at the moment it writes, so nothing is
 * replaced that the user has not seen): `ifAbsent`, only where no file is (Save As: a name
 * taken is answered E_FILE_EXISTS); `ifVersion`, only over the version this document was opened
 * or last saved as, or where the file is gone (Save: a file changed since, by another tab or
 * window, is answered E_FILE_CHANGED); `replace`, whatever is there (the user confirmed).
 */
export const WriteCondition = z.union([z.object({ ifAbsent: z.literal(true) }).strict(), z.object({ ifVersion: FileVersion }).strict(), z.object({ replace: z.literal(true) }).strict()]);
export type WriteCondition = z.infer<typeof WriteCondition>;
/** The most bytes one `appendExport` carries (the engine's parts, protocol EXPORT_CHUNK_BYTES, are as large). */
const EXPORT_CHUNK_BYTES = 4 * 2 ** 20;
/**
 * The most files one streamed export (`beginExport`) lists: as many as the engine's `model.exportOpen`
 * answers. A PyTorch project carries the user's image files, one each (573 icons: 582 files).
 */
const STREAMED_EXPORT_FILES = 100_000;
/** An export staged in parts (`stageExport`): an id the renderer made up for it. */
const StagingId = z.string().regex(/^[A-Za-z0-9_-]{8,64}$/);
/**
 * A project's size limits: `textBytes`, its file (the design, settings and notes; web mode reads a
 * request up to 80 MiB); `weightsBytes`, its trained weights, kept beside it as safetensors
 * (`beginWeights`) and sent in parts of at most `chunkBytes`.
 */
export const PROJECT_LIMITS = { textBytes: 64 * 2 ** 20, weightsBytes: 4 * 2 ** 30, chunkBytes: 4 * 2 ** 20 } as const;
/** A part of a project's weights as it travels: at most PROJECT_LIMITS.chunkBytes, as bytes (never as text). */
const WeightsPart = z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length <= PROJECT_LIMITS.chunkBytes, { message: `expected at most ${PROJECT_LIMITS.chunkBytes} bytes` });
/** Weights being received for a save (`beginWeights`): an id the host made up for them. */
const WeightsId = z.string().regex(/^[0-9a-f]{24}$/);

/**
 * The file channel, typed like the engine's methods: each operation's arguments (a tuple, as they
 * travel) and result, checked by the host before it acts (src-main/host/files.ts `callFileOp`)
 * and by the renderer before it believes an answer (`unwrapFileResult`). Both hosts serve it:
 * Electron over `IpcChannels.files`, web mode over `POST /api/files`.
 */
export const FileMethods = {
  list: { args: z.tuple([]), result: z.array(z.object({ path: z.string().max(4096), name: z.string().max(1024), modified: z.number() })).max(100_000) },
  read: { args: z.tuple([FilePath]), result: HostFileSchema },
  /**
   * `weights`: the project's trained weights, received by `beginWeights`/`appendWeights`, put
   * beside the file (named by their SHA-256, which the text names as `model.weights.sha256`) under
   * the same lock and condition, before the file that names them; those the file named before go.
   */
  write: { args: z.union([z.tuple([FilePath, ProjectText, WriteCondition]), z.tuple([FilePath, ProjectText, WriteCondition, WeightsId.nullable()])]), result: z.object({ version: FileVersion }) },
  /**
   * A project's trained weights (a safetensors file of `bytes` bytes, at most
   * PROJECT_LIMITS.weightsBytes) for a `write` of `path`: `beginWeights` answers their id and the
   * most bytes a part may carry (`partBytes`, at most PROJECT_LIMITS.chunkBytes);
   * `appendWeights` sends part `seq` (0, 1, 2…: the next bytes, at most
   * PROJECT_LIMITS.chunkBytes) once the last is answered, and the part that completes them is
   * answered their SHA-256 (null before). `readWeights` answers the weights the project at `path`
   * names by `sha256`, from byte `offset` (a part) and their size; from offset 0 it checks the
   * whole file against `sha256` first. The parts travel as bytes: Electron's IPC clones them, web
   * mode sends them as bodies (FILE_BYTES). `E_FILE_DISK_FULL` where the disk has not the room.
   */
  beginWeights: { args: z.tuple([FilePath, z.number().int().min(1).max(2 ** 50)]), result: z.object({ id: WeightsId, partBytes: z.number().int().min(1).max(PROJECT_LIMITS.chunkBytes) }) },
  appendWeights: { args: z.tuple([WeightsId, z.number().int().min(0), WeightsPart]), result: z.object({ sha256: FileVersion.nullable() }) },
  readWeights: { args: z.tuple([FilePath, FileVersion, z.number().int().min(0)]), result: z.object({ data: WeightsPart, total: z.number().int().min(0) }) },
  recent: { args: z.tuple([]), result: z.array(z.object({ path: z.string().max(4096), name: z.string().max(1024) })).max(1000) },
  writeRecovery: { args: z.tuple([ProjectText]), result: z.null() },
  readRecovery: { args: z.tuple([]), result: z.object({ text: ProjectText, savedAt: z.number() }).nullable() },
  clearRecovery: { args: z.tuple([]), result: z.null() },
  /**
   * Write an exported model (docs/export.md) atomically, never over anything the exporter did not
   * write: web mode into the workspace's `exports/` folder under the given plain name (or the
   * next free `name (2)`…); Electron to the path the export dialog granted. Answers where, as
   * shown to the user (`path`) and in full (`full`).
   */
  writeExport: { args: z.tuple([FilePath, z.enum(['file', 'folder']), ExportFiles, StagingId.nullable()]), result: z.object({ path: z.string().max(4096), full: z.string().max(4096) }) },
  /**
   * Part of an export too large for one call (web mode's requests are read up to 80 MiB): each
   * file's base64 in pieces of a multiple of 4 characters, appended in order under the staging
   * id; `writeExport` with that id adds its own pieces and writes the whole (exportCalls).
   */
  stageExport: { args: z.tuple([StagingId, ExportFiles]), result: z.null() },
  /**
   * An export of any size, streamed to disk in parts (the app's Export; `writeExport` stays for
   * small files such as a chart): `beginExport` names the target as `writeExport` does and each
   * file's path and size, in the order the parts come, and answers the export's id; `appendExport`
   * carries part `seq` (0, 1, 2…) — the next bytes of a file, base64, at most
   * EXPORT_LIMITS.chunkBytes — each sent once the last is answered; `commitExport` puts the whole in
   * place and answers where, as `writeExport`; `cancelExport` removes what was written. A part out
   * of order ends the export (`E_EXPORT_CHUNK_ORDER`, nothing left behind).
   */
  beginExport: { args: z.tuple([FilePath, z.enum(['file', 'folder']), z.array(z.object({ path: z.string().min(1).max(1024), bytes: z.number().int().min(0).max(2 ** 40) })).min(1).max(STREAMED_EXPORT_FILES)]), result: z.object({ id: StagingId }) },
  appendExport: { args: z.tuple([StagingId, z.number().int().min(0), z.string().min(1).max(1024), z.string().max(Math.ceil(EXPORT_CHUNK_BYTES / 3) * 4)]), result: z.null() },
  commitExport: { args: z.tuple([StagingId]), result: z.object({ path: z.string().max(4096), full: z.string().max(4096) }) },
  cancelExport: { args: z.tuple([StagingId]), result: z.null() },
  /**
   * Web mode: the user's data the engine may read (docs/data.md "In the app"): what is in the
   * workspace's `data/` folder and in the folder the host was started with (`--data-dir`), one
   * entry per image folder, table or `.npz`, with the path `data.scan` takes. Electron: none (its
   * native dialog picks data).
   */
  listData: { args: z.tuple([]), result: z.array(z.object({ path: z.string().max(4096), name: z.string().max(1024), kind: z.enum(['image-folder', 'text-folder', 'csv', 'npz']), where: z.enum(['workspace', 'data-dir']), modified: z.number() })).max(10_000) },
  /**
   * Web mode: copy data from the browser into the workspace's `data/` folder, never over anything
   * there: a table or `.npz` (`file`: one file, named by `target`), or a folder of class
   * sub-folders of images (`folder`: up to 64 files a call, paths relative to the folder; the
   * first call (`more` false) names a new folder — `target`, or `target (2)`… when taken — and the
   * next calls (`more` true) add to the one it answered). Only images, tables and arrays are
   * taken; sizes are capped (UPLOAD_LIMITS). Answers the path to scan, relative to the workspace.
   */
  uploadData: {
    args: z.tuple([FilePath, z.enum(['file', 'folder']), z.array(z.object({ path: z.string().min(1).max(1024), data: z.string().max(80 * 1024 * 1024) })).min(1).max(64), z.boolean()]),
    result: z.object({ path: z.string().max(4096) }),
  },
  /**
   * Camera frames ("Take photos…" in Add data…) into `<folder>/<className>/`: `folder` is a
   * folder of the workspace (web mode, e.g. `data/camera`) or one the user picked (Electron);
   * the class folder is made when missing; each frame (PNG or JPEG bytes as base64, up to 64 a
   * call) gets the next free `<class>-NNNN.<ext>` and is written with an exclusive create, never
   * over a file. Answers the class folder and the names written.
   */
  saveCaptures: {
    args: z.tuple([FilePath, z.string().min(1).max(64), z.enum(['png', 'jpg']), z.array(z.string().min(1).max(16 * 1024 * 1024)).min(1).max(64)]),
    result: z.object({ folder: z.string().max(4096), names: z.array(z.string().max(1024)).max(64) }),
  },
  /**
   * Web mode: where the host keeps projects (`--workspace`, absolute) and the data folder it was
   * started with (`--data-dir`), for the Open picker to say where to put files, and the command
   * that starts it as the user ran it (`netwright web` or `npm run web --`), for the hints that
   * name its options. Electron: null (its native dialogs reach any folder).
   */
  workspace: { args: z.tuple([]), result: z.object({ path: z.string().max(4096), dataDir: z.string().max(4096).nullable(), command: z.string().max(200) }).nullable() },
} as const;

/** What one upload may hold (web mode's `uploadData`). */
export const UPLOAD_LIMITS = {
  /** Bytes in one call (base64 makes the request a third larger; the host reads requests up to 80 MiB). */
  callBytes: 48 * 2 ** 20,
  /** Bytes of one file (an image, a table, an archive). */
  fileBytes: 48 * 2 ** 20,
  /** Bytes of one uploaded folder, all calls together. */
  folderBytes: 2 * 2 ** 30,
  /** Files in one uploaded folder. */
  folderFiles: 200_000,
} as const;

/** File extensions an upload takes: images into folders, tables and arrays as files. */
export const UPLOAD_EXTENSIONS = { folder: ['.png', '.jpg', '.jpeg', '.webp', '.txt'], file: ['.csv', '.tsv', '.txt', '.npz', '.npy'] } as const;
/** Most values one call may carry (an export's files add three each), for the hosts' pre-parse bound. */
export const FILE_VALUE_LIMIT: Partial<Record<FileMethod, number>> & { default: number } = { default: 16, writeExport: 16 + 3 * 64, stageExport: 16 + 3 * 64, beginExport: 16 + 3 * STREAMED_EXPORT_FILES, uploadData: 16 + 3 * 64, saveCaptures: 16 + 64 };

/**
 * What an export may hold, all files together: `bytes` in one `writeExport` (with `stageExport`),
 * `streamBytes` streamed (`beginExport`), in parts of at most `chunkBytes` each (the engine's
 * `model.exportRead` answers as much: protocol EXPORT_CHUNK_BYTES).
 */
export const EXPORT_LIMITS = { bytes: 256 * 2 ** 20, partChars: 16 * 2 ** 20, streamBytes: 64 * 2 ** 30, chunkBytes: EXPORT_CHUNK_BYTES } as const;

/**
 * An export's files as the calls that carry it (web mode: each request well under the host's
 * 80 MiB): `staged`, the calls to `stageExport`, in order, then `last`, what `writeExport` carries.
 * Each file's base64 is cut at multiples of 4 characters (each piece decodes on its own), into
 * calls of at most `partChars` characters and 64 pieces. An export that fits in one call is `last` alone.
 *
 * @example
 * ```ts
 * const { staged, last } = exportCalls(files);
 * for (const part of staged) await call('stageExport', id, part);
 * await call('writeExport', target, kind, last, staged.length > 0 ? id : null);
 * ```
 */
export function exportCalls(files: readonly { path: string; data: string }[], partChars: number = EXPORT_LIMITS.partChars): { staged: { path: string; data: string }[][]; last: { path: string; data: string }[] } {
  const step = Math.max(4, partChars - (partChars % 4));
  const pieces: { path: string; data: string }[] = [];
  for (const f of files) {
    if (f.data.length === 0) pieces.push(f);
    for (let at = 0; at < f.data.length; at += step) pieces.push({ path: f.path, data: f.data.slice(at, at + step) });
  }
  const calls: { path: string; data: string }[][] = [[]];
  let chars = 0;
  for (const p of pieces) {
    const open = calls[calls.length - 1];
    if (open.length > 0 && (chars + p.data.length > step || open.length >= 64)) {
      calls.push([p]);
      chars = p.data.length;
    } else {
      open.push(p);
      chars += p.data.length;
    }
  }
  return { staged: calls.slice(0, -1), last: calls[calls.length - 1] };
}
export type FileMethod = keyof typeof FileMethods;
export type FileArgs<M extends FileMethod> = z.infer<(typeof FileMethods)[M]['args']>;
export type FileResult<M extends FileMethod> = z.infer<(typeof FileMethods)[M]['result']>;

/** Whether `op` names a file method (own keys only: `__proto__` and `toString` are not methods). */
export function isFileMethod(op: unknown): op is FileMethod {
  return typeof op === 'string' && Object.hasOwn(FileMethods, op);
}

/** Unwrap a host's answer to file method `op`, checking the result against the method's schema. */
export function unwrapFileMethod<M extends FileMethod>(op: M, r: FileOpResult): FileResult<M> {
  const result = unwrapFileResult<unknown>(r);
  const checked = FileMethods[op].result.safeParse(result);
  if (!checked.success) throw new HostFileError('E_FILE_BAD_RESPONSE', `The host gave a malformed answer to ${op}.`);
  return checked.data as FileResult<M>;
}

/** Check a value a host returned for file method `op` (the Electron bridge unwraps; the renderer checks). */
export function checkFileResult<M extends FileMethod>(op: M, value: unknown): FileResult<M> {
  return unwrapFileMethod(op, { ok: true, result: value });
}

/**
 * Web mode's import upload: a model file to import (an `.onnx` the browser picked) `POST`ed as the
 * request's body, as it is (`application/octet-stream`, up to the protocol's MAX_IMPORT_BYTES),
 * with the page's token. The host keeps it in the workspace and answers, as a
 * file operation does (`FileOpResult`), the `path` the engine reads it from (`model.read { path }`):
 * the file crosses once, as one HTTP body, not through the engine's socket and IPC, which cost
 * seconds for a 32 MB torchvision model.
 */
export const MODEL_UPLOAD = { route: '/api/model-upload', result: z.object({ path: FilePath }) } as const;

/**
 * Web mode's file operations whose bytes travel as an HTTP body, not inside JSON (POST
 * `FILE_BYTES.route`): the operation and its other arguments go in the `X-Netwright-Call` header
 * (`{op, args}` as JSON, percent-encoded), and `ops` says which way the bytes go — `request`: the
 * body is the operation's last argument (`appendWeights`' part); `response`: the answer's `data`
 * is the response body and the rest of it the `X-Netwright-Result` header (`readWeights`). The
 * host checks the whole call against FileMethods as it checks `POST /api/files`.
 */
export const FILE_BYTES = { route: '/api/file-bytes', ops: { appendWeights: 'request', readWeights: 'response' } } as const satisfies { route: string; ops: Partial<Record<FileMethod, 'request' | 'response'>> };
/** The header carrying a FILE_BYTES call, and the one carrying its answer without its bytes. */
export const FILE_BYTES_HEADERS = { call: 'x-netwright-call', result: 'x-netwright-result' } as const;

/** A model upload's answer (`MODEL_UPLOAD`), checked: the path to import, or the host's coded refusal (HostFileError). */
export function checkModelUpload(raw: unknown): { path: string } {
  const parsed = MODEL_UPLOAD.result.safeParse(unwrapFileResult(raw as FileOpResult));
  if (!parsed.success) throw new HostFileError('E_FILE_BAD_RESPONSE', 'The host gave a malformed answer to the upload.');
  return parsed.data;
}
