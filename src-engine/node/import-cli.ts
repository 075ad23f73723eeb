/**
 * Import a model file into a Netwright project from the command line (docs/export.md "Import").
 *
 *   npm run import -- <model.onnx> --out <project.netwright.json> [--force]
 *
 * The project holds the imported graph and its weights (the model the app loads when it opens the
 * project: the Playground predicts with it, and Train fine-tunes from it); the app lays it out when
 * it opens. A file Netwright exported comes back with its training settings, so
 * `npm run train -- <project>` fine-tunes it at once; a model from elsewhere needs a target Input,
 * a loss and training settings first (in the app: Add settings).
 * Exit codes: 0 written, 1 the write failed (disk full…), 2 bad input (not ONNX, unsupported ops,
 * the target taken).
 */
import { readFileSync, statSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { PROJECT_FORMAT, PROJECT_VERSION } from '../base/ir/project';
import { modelToJSON } from '../core/export/json';
import { importOnnx } from '../core/export/onnx';
import { writeExport } from './export-writer';
import { cliErrorText, thrownCode, type ErrorCode, type ThrownCode } from '../base/errors';

const USAGE = 'usage: npm run import -- <model.onnx> --out <project.netwright.json> [--force]';
/** The largest model file read (the engine's own import takes the same through the app). */
const MAX_BYTES = 2 * 1024 ** 3 - 1;

/** Run the CLI; returns the exit code. */
export async function main(argv: string[], out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let values: { out?: string; force?: boolean };
  let positionals: string[];
  try {
    ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { out: { type: 'string' }, force: { type: 'boolean' } } }));
    if (positionals.length !== 1) throw new Error(positionals.length ? `expected one model file, got ${positionals.length}` : 'missing the model file (.onnx)');
    if (!values.out) throw new Error('missing --out PROJECT (e.g. model.netwright.json)');
  } catch (e) {
    err(`${(e as Error).message}\n${USAGE}\n`);
    return 2;
  }
  const file = positionals[0];
  const fail = (code: ErrorCode | ThrownCode, message: string, exit = 2) => (err(cliErrorText(code, message)), exit);
  let bytes: Uint8Array;
  try {
    const st = statSync(file);
    if (!st.isFile()) return fail('CLI_NOT_A_FILE', `${file} is not a file.`);
    if (st.size > MAX_BYTES) return fail('E_IMPORT_TOO_LARGE', `${file} is ${(st.size / 2 ** 30).toFixed(1)} GiB; Netwright imports model files up to 2 GiB.`);
    bytes = readFileSync(file);
  } catch {
    return fail('CLI_NO_FILE', `${file}: no such file.`);
  }
  try {
    const imported = importOnnx(bytes);
    // Netwright's own design comes back with its training settings: its runs start from these weights, as the app's import does.
    const g = imported.model.graph;
    const graph = imported.restored && g.training && !g.training.startFrom ? { ...g, training: { ...g.training, startFrom: { kind: 'loaded' as const } } } : g;
    const project = { format: PROJECT_FORMAT, version: PROJECT_VERSION, graph, layout: {}, model: modelToJSON(imported.model, imported.checked) };
    const written = writeExport({ kind: 'file', files: [{ path: 'project.json', data: new TextEncoder().encode(`${JSON.stringify(project)}\n`) }] }, values.out!, { force: values.force === true });
    for (const w of imported.warnings) err(`warning ${w.code}: ${w.message}\n`);
    const nodes = imported.model.graph.nodes.length;
    const next = imported.restored
      ? `Netwright's own design came back with its training settings: open it in the app, or fine-tune it with \`npm run train -- ${written}\`.`
      : 'Open it in the app (Open… in the toolbar; in the browser, `npm run web`, the project must be in its workspace folder, default ~/Netwright, or be uploaded from Open…); to fine-tune or evaluate it, add a target Input, a loss and training settings (Add settings), save, then train in the app or with `npm run train` (`npm run evaluate` measures it).';
    out(`imported ${file} (${nodes} nodes, with its weights) into ${written}\n${next}\n`);
    return 0;
  } catch (e) {
    const code = thrownCode(e, 'E_IMPORT');
    return fail(code, (e as Error).message, code.startsWith('E_EXPORT_DISK') || code === 'E_EXPORT_WRITE' ? 1 : 2);
  }
}

const isEntry = process.argv[1] !== undefined && import.meta.url.endsWith(process.argv[1].replace(/\\/g, '/').split('/').pop() ?? '\0');
if (isEntry) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`error E_IMPORT: ${(e as Error).message}\n`);
      process.exit(1);
    },
  );
}
