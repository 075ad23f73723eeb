import { z } from 'zod';
import { HostFileError, unwrapFileResult, type FileOpResult } from './host';

// NOTE: kept apart from bridge.ts, which the sandboxed preload imports: a sandboxed preload
// cannot require packages (zod), so the checks run in the hosts and the renderer, not there.

const FilePath = z.string().min(1).max(4096);
const ProjectText = z.string().max(80 * 1024 * 1024);
/** An export's files as they travel to the host: paths relative to the export, bytes as base64. */
const ExportFiles = z
  .array(z.object({ path: z.string().min(1).max(1024), data: z.string().max(80 * 1024 * 1024) }))
  .min(1)
  .max(64);
const HostFileSchema = z.object({ path: z.string().max(4096), name: z.string().max(1024), text: ProjectText });

/**
 * The file channel, typed like the engine's methods: each operation's arguments (a tuple, as they
 * travel) and result, checked by the host before it acts (src-main/host/files.ts `callFileOp`)
 * and by the renderer before it believes an answer (`unwrapFileResult`). Both hosts serve it:
 * Electron over `IpcChannels.files`, web mode over `POST /api/files`.
 */
export const FileMethods = {
  list: { args: z.tuple([]), result: z.array(z.object({ path: z.string().max(4096), name: z.string().max(1024), modified: z.number() })).max(100_000) },
  read: { args: z.tuple([FilePath]), result: HostFileSchema },
  write: { args: z.tuple([FilePath, ProjectText]), result: z.null() },
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
  writeExport: { args: z.tuple([FilePath, z.enum(['file', 'folder']), ExportFiles]), result: z.object({ path: z.string().max(4096), full: z.string().max(4096) }) },
  /**
   * Web mode: the user's data the engine may read (docs/data.md "In the app"): what is in the
   * workspace's `data/` folder and in the folder the host was started with (`--data-dir`), one
   * entry per image folder, table or `.npz`, with the path `data.scan` takes. Electron: none (its
   * native dialog picks data).
   */
  listData: { args: z.tuple([]), result: z.array(z.object({ path: z.string().max(4096), name: z.string().max(1024), kind: z.enum(['image-folder', 'csv', 'npz']), where: z.enum(['workspace', 'data-dir']), modified: z.number() })).max(10_000) },
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
   * Web mode: where the host keeps projects (`--workspace`, absolute) and the data folder it was
   * started with (`--data-dir`), for the Open picker to say where to put files. Electron: null
   * (its native dialogs reach any folder).
   */
  workspace: { args: z.tuple([]), result: z.object({ path: z.string().max(4096), dataDir: z.string().max(4096).nullable() }).nullable() },
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
export const UPLOAD_EXTENSIONS = { folder: ['.png', '.jpg', '.jpeg'], file: ['.csv', '.tsv', '.txt', '.npz', '.npy'] } as const;
/** Most values one call may carry (an export's files add three each), for the hosts' pre-parse bound. */
export const FILE_VALUE_LIMIT: Partial<Record<FileMethod, number>> & { default: number } = { default: 16, writeExport: 16 + 3 * 64, uploadData: 16 + 3 * 64 };
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
