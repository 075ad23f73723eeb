/**
 * Import a model file into a Netwright project from the command line (docs/export.md "Import").
 *
 *   npm run import -- <model.onnx> --out <project.netwright.json> [--force]
 *   npm run import -- <weights.safetensors | state_dict.pt> --design <graph.json | project | model.json> --out <project.netwright.json> [--force]
 *
 * Weights alone (a `.safetensors` file, or a state_dict saved by `torch.save`, read without running
 * its pickle: docs/export.md "Loading weights") go into the design `--design` names, matched by the
 * PyTorch project's tensor names; a name or shape that differs is listed tensor by tensor
 * (`E_WEIGHTS_MISMATCH`). The project starts its runs from them (`startFrom: loaded`).
 *
 * The project holds the imported graph and its weights (the model the app loads when it opens the
 * project: the Playground predicts with it, and Train fine-tunes from it); the app lays it out when
 * it opens. A file Netwright exported comes back with its training settings, so
 * `npm run train -- <project>` fine-tunes it at once; a model from elsewhere needs a target Input,
 * a loss and training settings first (in the app: Add settings).
 * Exit codes: 0 written, 1 the write failed (disk full…), 2 bad input (not ONNX, unsupported ops,
 * the target taken).
 */
import { basename } from 'node:path';
import { PROJECT_FORMAT } from '../base/ir/project';
import { writeProjectWithWeights } from './project-writer';
import { MODEL_FORMAT, modelFromJSON } from '../core/export/json';
import { ModelError, type TrainedModel } from '../core/export/model';
import { projectModel } from './project-model';
import { importOnnx } from '../core/import/onnx';
import { loadWeights } from '../core/import/state-dict';
import type { GraphIR } from '../base/ir/types';
import { CliError, readNamedFile, readNamedJson } from './cli-files';
import { cliErrorText, thrownCode, type ErrorCode, type ThrownCode } from '../base/errors';
import { commandLine, parseCommandLine, runScript, startedAs, usageErrorText, wantsHelp } from './cli-script';

/** `netwright import --help`: the usage, naming the command as it was invoked. */
export function usage(): string {
  return [
    `usage: ${commandLine('import', '<model.onnx> --out <project.netwright.json> [--force]')}`,
    `       ${commandLine('import', '<weights.safetensors|state_dict.pt> --design <graph.json|project|model.json> --out <project.netwright.json> [--force]')}`,
    'Makes a project of an ONNX model (graph and weights), or of weights loaded into a design. docs/export.md.',
  ].join('\n');
}
/** The largest model file read (the engine's own import takes the same through the app). */
const MAX_BYTES = 2 * 1024 ** 3 - 1;

/** Run the CLI; returns the exit code. */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let values: { out?: string; force?: boolean; design?: string };
  let positionals: string[];
  if (wantsHelp(argv)) return (out(`${usage()}\n`), 0);
  try {
    ({ values, positionals } = parseCommandLine({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, force: { type: 'boolean' }, design: { type: 'string' } } }));
    if (positionals.length !== 1) throw new Error(positionals.length ? `expected one model file, got ${positionals.length}` : 'missing the model file (.onnx)');
    if (!values.out) throw new Error('missing --out PROJECT (e.g. model.netwright.json)');
  } catch (e) {
    err(usageErrorText((e as Error).message, usage()));
    return 2;
  }
  const file = positionals[0];
  const fail = (code: ErrorCode | ThrownCode, message: string, exit = 2) => (err(cliErrorText(code, message)), exit);
  let bytes: Uint8Array;
  try {
    bytes = readNamedFile(file, MAX_BYTES, 'E_IMPORT_TOO_LARGE');
  } catch (e) {
    if (!(e instanceof CliError)) throw e;
    return fail(e.code, e.message);
  }
  if (values.design !== undefined || !/\.onnx$/i.test(file)) {
    if (values.design === undefined) return fail('CLI_USAGE', `${file} is not an .onnx model; to load weights alone (.safetensors, a torch.save state_dict), name the design they belong to with --design graph.json.`);
    return importWeights(file, bytes, values.design, values.out!, values.force === true, out, fail);
  }
  try {
    const imported = importOnnx(bytes);
    // Netwright's own design comes back with its training settings: its runs start from these weights, as the app's import does.
    const g = imported.model.graph;
    const graph = imported.restored && g.training && !g.training.startFrom ? { ...g, training: { ...g.training, startFrom: { kind: 'loaded' as const } } } : g;
    // The weights beside the project, as the app's Save keeps them (#82): not base64 inside it.
    const written = writeProjectWithWeights(values.out!, graph, imported.model, values.force === true, imported.checked);
    for (const w of imported.warnings) err(`warning ${w.code}: ${w.message}\n`);
    const nodes = imported.model.graph.nodes.length;
    const classifier = imported.warnings.some((w) => w.code === 'W_IMPORT_CLASSIFIER');
    const open = `Open it in the app (Open… in the toolbar; in the browser, \`${commandLine('web')}\`, the project must be in its workspace folder, default ~/Netwright, or be uploaded from Open…)`;
    const next = imported.restored
      ? `Netwright's own design came back with its training settings: open it in the app, or fine-tune it with \`${commandLine('train', written)}\`.`
      : classifier
        ? `${open}. As a classifier it predicts at once: \`${commandLine('predict', `${written} INPUT…`)}\`; fine-tune it on your data with \`${commandLine('train', `${written} --data FOLDER`)}\` (\`${commandLine('evaluate', `${written} --data FOLDER`)}\` measures it).`
        : `${open}; to fine-tune or evaluate it, add a target Input, a loss and training settings (Add settings), save, then train in the app or with \`${commandLine('train')}\` (\`${commandLine('evaluate')}\` measures it).`;
    out(`imported ${file} (${nodes} nodes, with its weights) into ${written}\n${next}\n`);
    return 0;
  } catch (e) {
    const code = thrownCode(e, 'E_IMPORT');
    return fail(code, (e as Error).message, code.startsWith('E_EXPORT_DISK') || code === 'E_EXPORT_WRITE' ? 1 : 2);
  }
}

/** How a model reads its input and names its outputs, which a weights file may lack and its trained design has. */
const READERS = ['normalization', 'targetNormalization', 'classNames', 'tokenizer', 'table'] as const;

/** Weights alone into `design`: a project with the design (starting from them) and the model. */
function importWeights(file: string, bytes: Uint8Array, design: string, target: string, force: boolean, out: (s: string) => void, fail: (code: ErrorCode | ThrownCode, message: string, exit?: number) => number): number {
  let graph: GraphIR;
  let designModel: TrainedModel | undefined;
  try {
    const json = readNamedJson(design);
    // A trained design (a model file, a project with its weights) also says how its model reads input.
    designModel = json.format === MODEL_FORMAT ? modelFromJSON(json) : json.format === PROJECT_FORMAT && typeof json.model === 'object' && json.model !== null ? projectModel(design, json.model as Record<string, unknown>) : undefined;
    // A project or a model file (`train --export`, Export ▸ JSON) holds its design as `graph`.
    graph = ((json.format === PROJECT_FORMAT || json.format === MODEL_FORMAT) && json.graph ? json.graph : json) as GraphIR;
  } catch (e) {
    if (!(e instanceof CliError) && !(e instanceof ModelError)) throw e;
    return fail(e.code, e.message);
  }
  try {
    const name = basename(file);
    const loaded = loadWeights(graph, bytes, name);
    // Weights alone (a state_dict: weights.pt) keep no input normalisation nor class names; the
    // design's own model has them, and without them the model would read raw input.
    const from: Partial<TrainedModel> = designModel ?? {};
    const kept = READERS.filter((k) => loaded[k] === undefined && from[k] !== undefined);
    const model: TrainedModel = { ...loaded, ...Object.fromEntries(kept.map((k) => [k, from[k]])) };
    if (kept.length) out(`note: ${name} keeps no ${kept.join(', ')}; taken from ${design}'s model\n`);
    const g = model.graph.training ? { ...model.graph, training: { ...model.graph.training, startFrom: { kind: 'loaded' as const } } } : model.graph;
    const written = writeProjectWithWeights(target, g, { ...model, graph: g }, force);
    const tensors = Object.keys(model.params).length + Object.keys(model.buffers).length;
    out(`loaded ${tensors} tensors of ${file} into ${design}'s design: ${written}\nIts runs start from these weights: open it in the app, fine-tune it with \`${commandLine('train', written)}\`, or measure it with \`${commandLine('evaluate')}\`.\n`);
    return 0;
  } catch (e) {
    const code = thrownCode(e, 'E_IMPORT');
    return fail(code, (e as Error).message, code.startsWith('E_EXPORT_DISK') || code === 'E_EXPORT_WRITE' ? 1 : 2);
  }
}

if (startedAs('import-cli')) {
  runScript(main, 'E_IMPORT');
}
