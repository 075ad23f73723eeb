/**
 * The model service's shared schemas and limits (services/model.ts): what an export reads from,
 * what a load answers, the files an import takes and the bounds of a project's weights.
 */
import { z } from 'zod';
import { ImportWarnings } from '../../base/schemas';
import { ProbeSamples, RunId, RunIdSchema } from '../schemas';
import { TASK_NAMES } from '../../catalog/tasks';

/** What to export: the connection's current model, or a stored run's last or best checkpoint. */
export const ExportSource = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('current') }),
  z.object({ kind: z.literal('run'), id: RunIdSchema, which: z.enum(['last', 'best']) }),
  /** The loaded model `runId` names (an import's weights stay in the engine; Save fetches them so). */
  z.object({ kind: z.literal('loaded'), runId: RunId }),
  /** A design before training: its initial weights, as a run with its seed starts from (`initialModel`), marked untrained in every format. */
  z.object({ kind: z.literal('initial'), graph: z.unknown() }),
]);
export type ExportSource = z.infer<typeof ExportSource>;

/** What `model.load` (and `model.import`) answer: the loaded model's run id and what the Playground needs. */
export const LoadedModelInfo = z.object({
  runId: RunId,
  task: z.enum(TASK_NAMES),
  classNames: z.array(z.string()),
  /** As `train.start`'s: a few test samples as fed to the network (empty when the dataset is not at hand). */
  probeSamples: ProbeSamples,
  /** Where the weights came from (run id, step, epoch). */
  origin: z.object({ runId: z.string().optional(), step: z.number().optional(), epoch: z.number().optional(), which: z.enum(['last', 'best']).optional() }).optional(),
  /** The final metrics the model was saved with, by split (`test: { loss, accuracy }`). */
  metrics: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
  /** Its run's baselines (#83), their test figures by metric, as `train.done` gives them; and the verdict beside `metrics.test`. */
  baselines: z.record(z.string().max(64), z.record(z.string().max(64), z.number())).optional(),
  baselineVerdict: z.string().max(500).optional(),
});
export type LoadedModelInfo = z.infer<typeof LoadedModelInfo>;

/** The largest model file an import takes (150 MB; as base64 text, 200 MiB). */
export const MAX_IMPORT_BYTES = 150 * 1024 * 1024;
/** The most bytes of an export one `model.exportRead` answers (one message, far under every channel's limit). */
export const EXPORT_CHUNK_BYTES = 4 * 1024 * 1024;
/** A held export's handle (`model.exportOpen`). */
export const ExportHandle = z.string().regex(/^export-[0-9]{1,15}$/);
/** The most bytes of weights a project keeps beside it (as the host's PROJECT_LIMITS.weightsBytes): 4 GiB. */
export const MAX_PROJECT_WEIGHTS_BYTES = 4 * 2 ** 30;
/** A project's weights being received (`model.weightsBegin`). */
export const WeightsId = z.string().regex(/^weights-[0-9]{1,15}$/);
/**
 * A model file to import: `data` is the file's bytes — as they are (the app sends them so: a typed
 * array crosses MessagePorts as it is, and web mode's socket as binary chunks, protocol/wire.ts), or
 * as base64 text.
 */
export const FileBytes = z.union([
  z.string().min(1).max(200 * 1024 * 1024),
  z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length > 0 && v.length <= MAX_IMPORT_BYTES, { message: `expected the file's bytes (1 B to ${MAX_IMPORT_BYTES / 1024 / 1024} MiB)` }),
]);
/**
 * A model file to import: its bytes (`data`), or a `path` the engine reads itself — web mode's
 * upload, which the host keeps in the workspace (src-contracts/files.ts `MODEL_UPLOAD`), so the
 * file crosses once as an HTTP body, not through the socket and the engine's IPC. The engine reads
 * a path only where it may read data (node/data-access.ts: inside the workspace in web mode).
 */
export const ImportParams = z.union([z.object({ format: z.literal('onnx'), data: FileBytes }), z.object({ format: z.literal('onnx'), path: z.string().min(1).max(4096) })]);
/** An imported model as a `netwright.model` object, whether Netwright's own graph came back (`restored`), and warnings. */
export const ImportedModel = z.object({ model: z.record(z.string(), z.unknown()), restored: z.boolean(), warnings: ImportWarnings });

