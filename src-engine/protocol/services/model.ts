import { z } from 'zod';
import { defineService } from '../service';
import { DatasetConfigSchema, OnnxSummarySchema } from '../../base/schemas';
import { Ints, MetricValuesSchema, Numbers, numbers, ProbeSamples, RunId } from '../schemas';
import { TASK_NAMES } from '../../catalog/tasks';
import { CALIBRATION_METHODS, QUANTIZE_PHASES } from '../../catalog/calibration';
import { ExportSource, LoadedModelInfo, MAX_IMPORT_BYTES, EXPORT_CHUNK_BYTES, ExportHandle, MAX_PROJECT_WEIGHTS_BYTES, WeightsId, FileBytes, ImportParams, ImportedModel } from './model-schemas';

export { ExportSource, LoadedModelInfo, MAX_IMPORT_BYTES, EXPORT_CHUNK_BYTES, MAX_PROJECT_WEIGHTS_BYTES } from './model-schemas';

/** Layers kept in float32 by an int8 quantisation (node ids, each once; `model.quantize`, `model.exportOpen`). */
const KeepFloat = z
  .array(z.string().min(1).max(1000))
  .max(1000)
  .refine((ids) => new Set(ids).size === ids.length, { message: 'each layer once' });

/**
 * Models: predictions, samples, text and evaluations of a run's or a loaded model's weights;
 * loading, importing (ONNX) and exporting models, with `export.progress` events.
 */
export const modelService = defineService({
  name: 'model',
  methods: {
    /**
     * Outputs of the run's current weights for one sample (eval mode); allowed while training.
     * `E_PREDICT_SHAPE`; `E_PREDICT_NOT_FINITE` for an input value past float32's range or an output
     * that overflows (app/session/predict.ts `checkFinite`).
     */
    'model.predict': {
      params: z.object({
        runId: RunId,
        /** One sample in the dataset's units (e.g. pixels in [0, 1]); the engine applies the run's normalisation. */
        input: numbers({ max: 1 << 20 }),
        /** The input is already normalised (e.g. taken from `probeSamples`). */
        normalized: z.boolean().optional(),
        /**
         * A typed text for a model trained on labelled texts (the Playground): encoded by the engine
         * as the training texts were, with their vocabulary; `input` is then ignored (send []).
         * `E_PREDICT_TEXT` for a model without one.
         */
        text: z.string().max(100_000).optional(),
      }),
      result: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('probabilities'), values: Numbers, predicted: z.number().int(), classNames: z.array(z.string()) }),
        z.object({ kind: z.literal('output'), values: Numbers, shape: Ints }),
        /** A segmenter's answer: the class of every pixel (row-major `shape`, `[H, W]`) and its probability. */
        z.object({ kind: z.literal('mask'), mask: Ints, confidence: Numbers, shape: Ints, classNames: z.array(z.string()) }),
      ]),
    },
    /**
     * A look inside one prediction (core/explain, docs/trainer.md "Looking inside a prediction"):
     * for the run's current weights (or the loaded model's) on one input, which inputs drove the
     * score of class `target` (default: the predicted one). `saliency`: gradient × input,
     * SmoothGrad-averaged over `samples` noisy copies (σ = 0.15 × the input's range, a fixed seed),
     * in the dataset's units — or, for ids read by an Embedding (text), gradient × embedding
     * summed per position. `gradcam`: Grad-CAM on the convolution layer `layer` (default: the
     * last). Computed on the engine's CPU backend. Allowed while training. `E_EXPLAIN_NO_CONV`,
     * `E_EXPLAIN_LAYER`, `E_EXPLAIN_TARGET`, `E_EXPLAIN_OUTPUT`, `E_EXPLAIN_NOT_DIFFERENTIABLE`,
     * `E_PREDICT_SHAPE`, `E_PREDICT_NOT_FINITE`.
     */
    'model.explain': {
      params: z.object({
        runId: RunId,
        /** One sample, as `model.predict`'s. */
        input: numbers({ max: 1 << 20 }),
        normalized: z.boolean().optional(),
        /** A typed text, as `model.predict`'s (encoded by the model's tokenizer; `input` ignored, send []). */
        text: z.string().max(100_000).optional(),
        method: z.enum(['saliency', 'gradcam']),
        target: z.number().int().nonnegative().max(1 << 20).optional(),
        layer: z.string().min(1).max(200).optional(),
        samples: z.number().int().min(1).max(32).optional(),
      }),
      result: z.object({
        /** `features`: one value per input value (`shape`, the Input's); `tokens`: one per position; `gradcam`: a map of the layer's `shape` [H, W]. */
        kind: z.enum(['features', 'tokens', 'gradcam']),
        values: Numbers,
        shape: Ints,
        target: z.number().int(),
        /** The score explained (the logit before any softmax). */
        score: z.number(),
        /** The layer Grad-CAM used. */
        layer: z.string().max(200).optional(),
        /** The convolution layers Grad-CAM can use, in forward order (empty: none). */
        layers: z.array(z.string().max(200)).max(1000),
        /** A saliency map of a table (or a vector of features) per column: one-hot categories summed into their column, largest |value| first (core/explain/attribution.ts). */
        columns: z.array(z.object({ name: z.string().max(1000), value: z.number() })).max(1 << 20).optional(),
        /** A saliency map of a text per token as the model's tokenizer read it (a word or a character), the text's pieces in order; `value` null: between tokens, or past what the model reads. */
        text: z.object({ unit: z.enum(['word', 'character']), pieces: z.array(z.object({ text: z.string().max(100_000), value: z.number().nullable() })).max(1 << 20) }).optional(),
      }),
    },
    /**
     * A GAN's generator at the run's current weights (eval mode): `count` samples from fresh noise
     * drawn with `seed`; a conditional GAN draws `label` in every one (absent: the classes in turn).
     * Allowed while training. `E_NOT_A_GAN` for a model that is not one; `E_GENERATE_LABEL`, `E_GENERATE_INPUT` (app/session/generate.ts).
     */
    'model.generate': {
      params: z.object({
        runId: RunId,
        seed: z.number().int().nonnegative().max(2 ** 31),
        count: z.number().int().min(1).max(64),
        label: z.number().int().nonnegative().max(65535).optional(),
      }),
      result: z.object({
        /** `count` samples of `shape`, row after row. */
        samples: Numbers,
        count: z.number().int(),
        shape: Ints,
        /** A conditional GAN's: the class each sample was drawn for. */
        labels: z.array(z.number().int()).optional(),
        /** A conditional GAN's class count (its labels run 0 … classes − 1) and the dataset's class names. */
        classes: z.number().int().optional(),
        classNames: z.array(z.string()).optional(),
      }),
    },
    /**
     * Text from a character-level language model (a design on a character-level text set, declared `text: true`) at the
     * current run's (or the loaded model's) weights: `prompt` continued by `length` characters
     * sampled at `temperature` (0: the likeliest each time) with `seed`. Allowed while training.
     * `E_SAMPLE_NOT_TEXT`, `E_SAMPLE_OPTIONS` (core/export/sample-text.ts).
     */
    'model.sampleText': {
      params: z.object({
        runId: RunId,
        prompt: z.string().max(4096),
        length: z.number().int().min(1).max(2000),
        temperature: z.number().min(0).max(10),
        seed: z.number().int().nonnegative().max(2 ** 31),
      }),
      result: z.object({ text: z.string() }),
    },
    /**
     * Keras' `model.evaluate`: the metrics of the loaded model's (or the run's current) weights on a
     * split of a dataset, without training (eval mode; the training loop's own evaluation, the CLI's
     * `npm run evaluate`). `graph`: the design on the canvas, whose dataset, loss and metrics say what
     * to measure (absent: the model's own graph); its weights must all be in the model
     * (`E_MODEL_WEIGHTS` otherwise). A classifier's accuracy and confusion matrix always come back.
     * `TRAIN_NO_CONFIG` when the graph has no training settings (an import before Add settings).
     */
    'model.evaluate': {
      params: z.object({ runId: RunId, graph: z.unknown().optional(), split: z.enum(['test', 'val', 'train', 'all']).optional() }),
      result: z.object({
        split: z.enum(['test', 'val', 'train', 'all']),
        /** The split's name, e.g. `MNIST (test)` (`all`: every sample of the three splits). */
        dataset: z.string(),
        samples: z.number().int().nonnegative(),
        task: z.enum(TASK_NAMES),
        classNames: z.array(z.string()),
        metrics: MetricValuesSchema,
        /** The inputs' normalisation: the model's own, the dataset's (fitted on its training split), or none. */
        normalization: z.enum(['model', 'dataset', 'none']),
        /** The model's baselines (#83) by name then metric, from the run that trained it (core/metrics/baselines.ts `evaluationBaselines`). */
        baselines: z.record(z.string().max(64), z.record(z.string().max(64), z.number())).optional(),
        /** Which of that run's splits they were measured on, and whether it is the split measured here (then they compare sample for sample). */
        baselinesOn: z.object({ split: z.enum(['test', 'val']), sameSamples: z.boolean() }).optional(),
        /** A sentence when the network did worse than a baseline on the same samples. */
        baselineVerdict: z.string().max(500).optional(),
      }),
    },
    /**
     * Export a trained model (docs/export.md) in one of the formats of the engine's export table
     * (`json`, `pytorch`, …): the current run's weights (or the model loaded with `model.load`), or
     * a stored run's last or best checkpoint. Answers the files; the host writes them (atomically)
     * or the browser downloads them. Progress comes as `export.progress` events.
     */
    'model.export': {
      /** `settings`: the format's choices by key (`model.formats` lists them); a missing one takes its default. */
      params: z.object({ source: ExportSource, format: z.string().min(1).max(32), settings: z.record(z.string().max(32), z.string().max(64)).optional() }),
      result: z.object({
        format: z.string(),
        /** One file, or a folder of files (paths relative to it). */
        kind: z.enum(['file', 'folder']),
        /** The file or folder name the export suggests, e.g. `MNIST MLP.netwright-model.json`. */
        name: z.string().max(300),
        files: z.array(z.object({ path: z.string().min(1).max(1024), data: z.custom<Uint8Array>((v) => v instanceof Uint8Array, { message: 'expected a Uint8Array' }) })).max(100_000),
        /** What the export holds when it is not the trained graph as a whole: a GAN's `the generator: z [32] → samples [1, 28, 28]`. */
        holds: z.string().max(300).optional(),
        /** The weights are a diverged run's (`E_EXPORT_DIVERGED`, saying where): the app asks before it writes them. */
        warning: z.object({ code: z.literal('E_EXPORT_DIVERGED'), message: z.string().max(1000) }).optional(),
      }),
    },
    /**
     * `model.export`, held in the engine and read in parts (`model.exportRead`), so that no message
     * carries more than EXPORT_CHUNK_BYTES of an export of any size (web mode's socket refuses a
     * message over 256 MiB; a fine-tuned resnet18's PyTorch project is 500 MB): answers what
     * `model.export` does, each file's size in place of its bytes, and the `handle` to read them
     * by. The engine holds a few at once (opening another drops the oldest); `model.exportClose`
     * drops one. The app's Export uses these; `model.export` stays for small exports (Save's model).
     */
    'model.exportOpen': {
      /** `keepFloat`: the int8 format's layers kept in float32 (`model.quantize`'s); other formats take none. */
      params: z.object({ source: ExportSource, format: z.string().min(1).max(32), settings: z.record(z.string().max(32), z.string().max(64)).optional(), keepFloat: KeepFloat.optional() }),
      result: z.object({
        handle: ExportHandle,
        format: z.string(),
        kind: z.enum(['file', 'folder']),
        name: z.string().max(300),
        files: z.array(z.object({ path: z.string().min(1).max(1024), bytes: z.number().int().min(0) })).max(100_000),
        holds: z.string().max(300).optional(),
        warning: z.object({ code: z.literal('E_EXPORT_DIVERGED'), message: z.string().max(1000) }).optional(),
      }),
    },
    /**
     * The next bytes of file `file` of a held export, from `offset`: at most EXPORT_CHUNK_BYTES
     * (fewer at the file's end). `E_EXPORT_GONE` when the handle is no longer held.
     */
    'model.exportRead': {
      params: z.object({ handle: ExportHandle, file: z.number().int().min(0), offset: z.number().int().min(0) }),
      result: z.object({ data: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length <= EXPORT_CHUNK_BYTES, { message: `expected at most ${EXPORT_CHUNK_BYTES} bytes` }) }),
    },
    /** Drop a held export (done, cancelled or failed); a handle no longer held is no error. */
    'model.exportClose': {
      params: z.object({ handle: ExportHandle }),
      result: z.object({}),
    },
    /**
     * A model as a project keeps it (docs/export.md "Weights kept with the project"): `model`, its
     * `netwright.model` object with `params` and `buffers` empty, which the project file holds; and
     * its tensors as a safetensors file of `bytes` bytes, held like an export under `handle` and
     * read in parts by `model.exportRead` (file 0) until `model.exportClose`. The app's Save sends
     * each part on to the host as it comes: no message carries the weights whole or as text (a
     * model of 470 MB of float32 was past every channel's limit as JSON). Sources as `model.export`.
     */
    'model.weightsOpen': {
      params: z.object({ source: ExportSource }),
      result: z.object({ handle: ExportHandle, model: z.record(z.string(), z.unknown()), bytes: z.number().int().min(0) }),
    },
    /**
     * Receive a project's weights file (`bytes` bytes, as `model.weightsOpen` made it) for a
     * `model.load({ model, weights: id })`: `model.weightsAppend` carries the next part from
     * `offset` (each once the last is answered; a part not starting where the last ended ends the
     * transfer, `E_WEIGHTS_STREAM`), copied straight into the tensors. One transfer at a time: a new
     * one drops the last. `E_MODEL_TOO_LARGE` past MAX_PROJECT_WEIGHTS_BYTES or the engine's memory limit.
     */
    'model.weightsBegin': {
      params: z.object({ bytes: z.number().int().min(8).max(MAX_PROJECT_WEIGHTS_BYTES) }),
      result: z.object({ id: WeightsId }),
    },
    'model.weightsAppend': {
      params: z.object({ id: WeightsId, offset: z.number().int().min(0), data: z.custom<Uint8Array>((v) => v instanceof Uint8Array && v.length > 0 && v.length <= EXPORT_CHUNK_BYTES, { message: `expected 1 to ${EXPORT_CHUNK_BYTES} bytes` }) }),
      result: z.object({ received: z.number().int().min(0) }),
    },
    /**
     * Quantise a model to int8 and measure it, writing nothing (the Export menu's Quantize…
     * dialog; docs/export.md "int8 quantisation"): calibrated by `method` on `samples` samples of
     * its training split, int8 beside float32 on up to 1,000 test samples (the task's metric, the
     * ONNX files' sizes, the samples and classes whose prediction changed) and each Linear or
     * Conv2d's sensitivity alone in int8. `E_QUANTIZE_UNSUPPORTED` for layers without an int8
     * form, `E_QUANTIZE_DATA` without data to calibrate on, `E_QUANTIZE_KEEP_FLOAT` for a
     * `keepFloat` id that is no Linear, Conv2d or ConvTranspose2d the prediction is computed from.
     */
    'model.quantize': {
      /** `progressId`: the id its `quantize.progress` events carry (none without it). `keepFloat`: layers (node ids) kept in float32. */
      params: z.object({ source: ExportSource, method: z.enum(CALIBRATION_METHODS), samples: z.number().int().min(1).max(4096), progressId: z.string().min(1).max(64).optional(), keepFloat: KeepFloat.optional() }),
      result: z.object({
        method: z.enum(CALIBRATION_METHODS),
        samples: z.number().int().nonnegative(),
        calibratedOn: z.string().max(300),
        testSamples: z.number().int().nonnegative(),
        metric: z.enum(['accuracy', 'mse']),
        /**
         * Each side's metric and ONNX size; `latencyMs`, the median milliseconds of one sample at batch 1, and
         * `perSecond`, samples a second at batch `timedBatch` (32, or the test samples when fewer), measured by
         * the engine on this machine with the runtimes `floatRuntime` and `int8Runtime` name.
         */
        float: z.object({ metric: z.number(), bytes: z.number().int().nonnegative(), latencyMs: z.number().nonnegative().optional(), perSecond: z.number().nonnegative().optional() }),
        int8: z.object({ metric: z.number(), bytes: z.number().int().nonnegative(), latencyMs: z.number().nonnegative().optional(), perSecond: z.number().nonnegative().optional() }),
        timedBatch: z.number().int().positive().optional(),
        /** What ran the float side and its timings: the backend's description ("CPU · 2 threads (WebAssembly SIMD)"). */
        floatRuntime: z.string().max(200).optional(),
        /**
         * A classifier's confusion matrices on the test split, float32's and int8's (rows the true class,
         * columns the predicted; a segmenter's count pixels), with its class names; left out past 50 classes.
         */
        confusion: z
          .object({
            classes: z.array(z.string().max(1000)).max(100),
            float: z.array(z.array(z.number().int().nonnegative()).max(100)).max(100),
            int8: z.array(z.array(z.number().int().nonnegative()).max(100)).max(100),
          })
          .optional(),
        /** A classifier's test samples whose predicted class changed (a segmenter's pixels), and its classes that moved (most changed first). */
        changed: z.number().int().nonnegative().optional(),
        /** A segmenter's pixels per sample: `changed`, `moved` and `confusion` count pixels, `positions` a sample. */
        positions: z.number().int().positive().optional(),
        moved: z.array(z.object({ name: z.string().max(1000), samples: z.number().int(), float: z.number().int(), int8: z.number().int(), changed: z.number().int() })).max(65_536).optional(),
        sensitivity: z.array(z.object({ layer: z.string().max(1000), metric: z.number(), change: z.number() })).max(10_000),
        /** The test samples `sensitivity` measured each layer on (the first of the test split, at most 200). */
        sensitivitySamples: z.number().int().nonnegative(),
        /** The layers kept in float32 (`keepFloat`, in the graph's order): not in `sensitivity`, their weights float32 in `int8.bytes`. */
        keptFloat: KeepFloat.optional(),
        /** What ran the int8 side: "WebAssembly SIMD" (the CPU backend's int8 kernels) or "TypeScript" (the reference). */
        int8Runtime: z.string().max(100).optional(),
      }),
    },
    /**
     * Sample inputs for the loaded model `runId` from `dataset` (the design's, read at the model's
     * input shape): the Playground's picker once data is added to an imported model's design, whose
     * own graph named none. `E_PREDICT_SHAPE` when its samples do not fit the model's input.
     */
    'model.samples': {
      params: z.object({ runId: RunId, dataset: DatasetConfigSchema, seed: z.number().int().optional() }),
      result: z.object({ probeSamples: ProbeSamples }),
    },
    /**
     * Make a trained model (a `netwright.model` file's JSON, e.g. from a saved project) the
     * connection's current model, so `model.predict` works at once with the answered `runId`,
     * without training. Replaces any run of this connection.
     */
    'model.load': {
      /**
       * `model`: a `netwright.model` object; with `weights`, one a project file holds (tensors left
       * out) and the id of its weights received by `model.weightsAppend`; or `staged`: the id
       * `model.read` answered (the file is not sent twice).
       */
      params: z.union([z.object({ model: z.record(z.string(), z.unknown()), weights: WeightsId }), z.object({ model: z.unknown() }), z.object({ staged: z.string().min(1).max(64) })]),
      result: LoadedModelInfo,
    },
    /**
     * Weights from PyTorch's world loaded into the design on the canvas (docs/export.md, "Loading
     * weights"): `data` a `.safetensors` file or a state dict saved by `torch.save` (its pickle read
     * without running any code), matched by the names the PyTorch project gives the design's
     * tensors; then the loaded model, as `model.load` makes it. `E_WEIGHTS_MISMATCH` lists each
     * tensor whose name or shape differs; `E_WEIGHTS_FILE`, `E_WEIGHTS_PICKLE`, `E_MODEL_GRAPH`.
     */
    'model.loadWeights': {
      params: z.object({ graph: z.unknown(), name: z.string().min(1).max(300), data: FileBytes }),
      result: LoadedModelInfo,
    },
    /** The export formats (the engine's export table), in menu order: the Export menu lists them. */
    'model.formats': {
      params: z.object({}),
      result: z.object({
        formats: z
          .array(
            z.object({
              id: z.string().max(32),
              label: z.string().max(64),
              doc: z.string().max(500),
              kind: z.enum(['file', 'folder']),
              name: z.string().max(64),
              /** The choices the format offers (ONNX: opset, normalisation), each with its default. */
              settings: z
                .array(z.object({ key: z.string().max(32), label: z.string().max(64), doc: z.string().max(500), choices: z.array(z.object({ value: z.string().max(64), label: z.string().max(64) })).max(32), default: z.string().max(64) }))
                .max(16),
            }),
          )
          .max(64),
      }),
    },
    /**
     * Import a model file (today: ONNX, docs/export.md "Import") and make it the connection's
     * current model, as `model.load` does: answers the imported model as a `netwright.model` object
     * (its graph goes on the canvas; the object is kept with the project when it is saved), whether
     * Netwright's own graph came back (`restored`), and warnings. Unsupported nodes: a coded error
     * listing each, and nothing changes.
     */
    'model.import': {
      params: ImportParams,
      result: LoadedModelInfo.extend(ImportedModel.shape),
    },
    /**
     * Read a model file as `model.import` does, but change nothing: the model waits under `staged`
     * until `model.load({ staged })` makes it current (one waits at a time; the next read replaces
     * it). The app reads first, then asks before it discards the open design: a declined or
     * cancelled import leaves the current run and loaded model as they were.
     */
    /**
     * Look at an ONNX file without importing it (#60): the importer reads it and the answer
     * describes it (graph, every node's shape per sample, parameters, opset, IR version, producer);
     * nothing is loaded or staged, the open design and the loaded weights stay as they are. Refused
     * as `model.read` refuses (`E_IMPORT_UNSUPPORTED` listing the nodes, `E_IMPORT_FORMAT`, …).
     */
    'model.inspect': {
      params: ImportParams,
      result: OnnxSummarySchema,
    },
    'model.read': {
      params: ImportParams,
      /**
       * `graph`: the imported graph (IR JSON) as the import checked it — migrated, validated,
       * attribute defaults filled — which the app opens on the canvas as it is. The weights stay in the engine
       * (tens of MB for a torchvision model: sending them to the page and back cost seconds); once
       * `model.load` takes the staged model, Save fetches them with `model.export` of `{kind: 'loaded'}`.
       */
      result: ImportedModel.omit({ model: true }).extend({ staged: z.string().max(64), graph: z.record(z.string(), z.unknown()) }),
    },
  },
  events: {
    /** A long export's progress: `fraction` in [0, 1] and what is being produced. */
    'export.progress': z.object({ format: z.string(), fraction: z.number().min(0).max(1), what: z.string().max(200) }),
    /** A `model.quantize` under way (its `progressId`): the phase, and the samples done of `total` in it (0 of 0 for a phase not counted). */
    'quantize.progress': z.object({ progressId: z.string().max(64), phase: z.enum(QUANTIZE_PHASES), done: z.number().int().nonnegative(), total: z.number().int().nonnegative() }),
  },
  limits: { maxImportBytes: MAX_IMPORT_BYTES },
});
