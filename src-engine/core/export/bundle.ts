import type { ArchiveEntry } from './archive';

/**
 * What an exporter produces: one file (`kind: 'file'`, one entry) or a folder of files, each with
 * a path relative to the destination. Writing it (atomically) is the host's business: the CLI and
 * the app's hosts write to disk, a browser downloads it.
 */
export interface ExportBundle {
  kind: 'file' | 'folder';
  files: ArchiveEntry[];
  /**
   * What the export holds when it is not the trained graph as a whole, in words for the user:
   * a GAN's `the generator: z [32] → samples [1, 28, 28]` (inference-graph.ts).
   */
  holds?: string;
}

/**
 * Stable codes of export errors: no trained weights yet (`E_EXPORT_NO_WEIGHTS`), an op the format
 * cannot express (`E_EXPORT_UNSUPPORTED_OP`), a graph shape it cannot (`E_EXPORT_UNSUPPORTED`), an
 * invalid graph (`E_EXPORT_GRAPH`), an unknown format or setting (`E_EXPORT_FORMAT`, `E_EXPORT_SETTING`), the writers' disk
 * full (`E_EXPORT_DISK_FULL`), a target that exists (`E_EXPORT_EXISTS`: replaced only when asked),
 * a folder holding files the exporter did not write (`E_EXPORT_FOLDER_NOT_EMPTY`: never replaced)
 * and other write failures (`E_EXPORT_WRITE`); an export written in parts whose part came out of
 * order or is missing (`E_EXPORT_CHUNK_ORDER`: node/export-writer.ts ExportStream); a target under a file
 * (`E_EXPORT_NOT_A_FOLDER`), a temp name taken or swapped meanwhile (`E_EXPORT_TEMP_TAKEN`); a model too large for a web page (`E_EXPORT_TOO_LARGE`: core/export/web-demo.ts). `E_EXPORT_DIVERGED` is a warning, not a refusal: the
 * weights are a diverged run's (`model.export` answers it; the app asks before writing them).
 */
export type ExportErrorCode =
  | 'E_EXPORT_NO_WEIGHTS'
  | 'E_EXPORT_DIVERGED'
  | 'E_EXPORT_UNSUPPORTED_OP'
  | 'E_EXPORT_UNSUPPORTED'
  | 'E_EXPORT_GRAPH'
  | 'E_EXPORT_FORMAT'
  | 'E_EXPORT_SETTING'
  | 'E_EXPORT_DISK_FULL'
  | 'E_EXPORT_EXISTS'
  | 'E_EXPORT_FOLDER_NOT_EMPTY'
  | 'E_EXPORT_WRITE'
  | 'E_EXPORT_CHUNK_ORDER'
  | 'E_EXPORT_NOT_A_FOLDER'
  | 'E_EXPORT_TEMP_TAKEN'
  | 'E_EXPORT_TOO_LARGE';

/** An export that cannot be made; the message says why and what to do. */
export class ExportError extends Error {
  constructor(
    readonly code: ExportErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ExportError';
  }
}
