import { existsSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as exportCli } from '../../../../src-engine/node/export-cli';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { modelFromJSON } from '../../../../src-engine/core/export/json';
import { decodeModel } from '../../../../src-engine/core/export/onnx/proto';
import { RunStore } from '../../../../src-engine/node/run-store';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import { setupEngine } from '../../session/fixtures';

const EXAMPLE = join(import.meta.dirname, '../../../../examples/two-moons-mlp.json');

async function run(cli: typeof exportCli, argv: string[]) {
  let out = '';
  let err = '';
  const code = await cli(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

describe('npm run export / npm run train --export', () => {
  it('trains and exports, keeps checkpoints in --runs, and exports a stored run, a model file and a project', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-cli-'));
    const runs = join(dir, 'runs');
    const t = await run(trainCli, [EXAMPLE, '--epochs', '2', '--threads', '1', '--runs', runs, '--export', join(dir, 'moons.json')]);
    expect(t.code, t.err).toBe(0);
    expect(t.out).toContain(`exported JSON to ${join(dir, 'moons.json')}`);
    const model = modelFromJSON(readFileSync(join(dir, 'moons.json'), 'utf8'));
    expect(model.classNames?.length).toBe(2);
    // The run's baselines go with the model, and its card sets them beside the test figures (#85).
    expect(Object.keys(model.baselines ?? {})).toEqual(expect.arrayContaining(['majority', 'logistic']));
    const card = (JSON.parse(readFileSync(join(dir, 'moons.json'), 'utf8')) as { modelCard: string }).modelCard;
    expect(card).toMatch(/\| \*\*this network\*\* \| [0-9.]+/);
    expect(card).toMatch(/\| majority \| [0-9.]+/);
    // The final metrics by split only (the done event's type, epochs, … once came along, and the
    // app's model.load refused the file); the app loads it, and lists the CLI's run.
    expect(Object.keys(JSON.parse(readFileSync(join(dir, 'moons.json'), 'utf8')).metrics).sort()).toEqual(['test', 'train', 'val']);
    const { client } = setupEngine({ runs: new RunStore(runs) });
    expect((await client.request('model.load', { model: JSON.parse(readFileSync(join(dir, 'moons.json'), 'utf8')) })).metrics?.test).toMatchObject({ accuracy: expect.any(Number) });
    const listed = await client.request('runs.list', {});
    expect(Object.keys(listed.runs[0].summary!.metrics).sort()).toEqual(['test', 'train', 'val']);
    const [id] = readdirSync(runs);
    expect(readdirSync(join(runs, id))).toEqual(expect.arrayContaining(['checkpoint-last.json', 'checkpoint-best.json']));

    const fromRun = await run(exportCli, [id, '--runs', runs, '--which', 'best', '--format', 'pytorch', '--out', join(dir, 'pt')]);
    expect(fromRun.code, fromRun.err).toBe(0);
    expect(readdirSync(join(dir, 'pt')).sort()).toEqual(['.netwright-export.json', 'MODEL_CARD.md', 'README.md', 'data', 'model.py', 'model.safetensors', 'requirements.txt', 'train.py', 'weights.pt']);
    // Again over the same folder: refused unless asked; with --force the earlier export is
    // replaced whole, no temp folder left beside it.
    const again = await run(exportCli, [join(runs, id), '--format', 'pytorch', '--out', join(dir, 'pt')]);
    expect(again).toMatchObject({ code: 2, err: expect.stringMatching(/E_EXPORT_EXISTS: .*holds an earlier export.*--force/) });
    expect((await run(exportCli, [join(runs, id), '--format', 'pytorch', '--out', join(dir, 'pt'), '--force'])).code).toBe(0);
    expect(readdirSync(join(dir, 'pt')).sort()).toEqual(['.netwright-export.json', 'MODEL_CARD.md', 'README.md', 'data', 'model.py', 'model.safetensors', 'requirements.txt', 'train.py', 'weights.pt']);
    expect(readdirSync(dir).filter((f) => f.includes('.tmp-') || f.includes('.old-'))).toEqual([]);

    // The ONNX settings as flags (issue #29 item 4): the opset, and the MNIST MLP's normalisation
    // as leading Sub/Div nodes (the default) or folded into the first layer.
    const mlp = join(dir, 'mlp.json');
    expect((await run(trainCli, [join(EXAMPLE, '../mnist-mlp.json'), '--epochs', '1', '--limit', '64', '--threads', '1', '--export', mlp])).code).toBe(0);
    expect((await run(exportCli, [mlp, '--format', 'onnx', '--out', join(dir, 'm17.onnx')])).code).toBe(0);
    expect(decodeModel(readFileSync(join(dir, 'm17.onnx'))).graph.node.map((n) => n.op_type).slice(0, 2)).toEqual(['Sub', 'Div']);
    const onnx = await run(exportCli, [mlp, '--format', 'onnx', '--out', join(dir, 'm20.onnx'), '--opset', '20', '--normalization', 'fold']);
    expect(onnx.code, onnx.err).toBe(0);
    const m20 = decodeModel(readFileSync(join(dir, 'm20.onnx')));
    expect(m20.opset_import).toEqual([{ domain: '', version: 20 }]);
    expect(m20.graph.node.map((n) => n.op_type)).not.toContain('Div');
    expect(await run(exportCli, [join(dir, 'moons.json'), '--format', 'onnx', '--out', join(dir, 'm16.onnx'), '--opset', '16'])).toMatchObject({ code: 2, err: expect.stringMatching(/E_EXPORT_SETTING: Opset must be one of 17, 18, 19, 20, 21/) });
    expect(await run(exportCli, [join(dir, 'moons.json'), '--format', 'json', '--out', join(dir, 'm.json'), '--opset', '18'])).toMatchObject({ code: 2, err: expect.stringMatching(/E_EXPORT_SETTING: JSON export has no setting "opset"/) });
    expect(existsSync(join(dir, 'm16.onnx')) || existsSync(join(dir, 'm.json'))).toBe(false);

    const project = join(dir, 'p.netwright.json');
    writeFileSync(project, JSON.stringify({ format: 'netwright.project', version: 1, graph: model.graph, layout: {}, model: JSON.parse(readFileSync(join(dir, 'moons.json'), 'utf8')) }));
    const fromProject = await run(exportCli, [project, '--format', 'json', '--out', join(dir, 'again.json')]);
    expect(fromProject.code, fromProject.err).toBe(0);
    expect(readFileSync(join(dir, 'again.json'), 'utf8')).toBe(readFileSync(join(dir, 'moons.json'), 'utf8'));
    // Trained weights: no untrained mark.
    expect([fromProject.out, fromProject.err]).toEqual([`exported JSON to ${join(dir, 'again.json')}\n`, '']);
  }, 60_000);

  it("exports a design before training (a graph, or a project saved without weights) with its initial weights marked untrained, as the app's Export does, and --help says so (#60)", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-cli-'));
    const graph = await run(exportCli, [EXAMPLE, '--format', 'json', '--out', join(dir, 'x.json')]);
    expect(graph.code, graph.err).toBe(0);
    expect(graph.out).toBe(`exported JSON with the design's initial weights (untrained: train it for a model that predicts) to ${join(dir, 'x.json')}\n`);
    expect(graph.err).toMatch(/^note: .*two-moons-mlp\.json holds no trained weights: the export holds the design's initial weights, untrained: no training step was taken \(seed \d+/);
    // The same file, byte for byte, as the app's model.export of the design before training.
    const design = JSON.parse(readFileSync(EXAMPLE, 'utf8')) as GraphIR;
    const { client } = setupEngine();
    const app = await client.request('model.export', { source: { kind: 'initial', graph: design }, format: 'json' });
    expect(readFileSync(join(dir, 'x.json'))).toEqual(Buffer.from(app.files[0].data));
    expect(modelFromJSON(readFileSync(join(dir, 'x.json'), 'utf8')).origin).toEqual({ step: 0, epoch: 0, untrained: true, seed: design.training!.seed ?? 1 });
    // A project saved without weights: its ONNX says "initial" where ONNX readers look.
    const project = join(dir, 'p.netwright.json');
    writeFileSync(project, JSON.stringify({ format: 'netwright.project', version: 2, graph: design, layout: {} }));
    const onnx = await run(exportCli, [project, '--format', 'onnx', '--out', join(dir, 'p.onnx')]);
    expect(onnx.code, onnx.err).toBe(0);
    const file = decodeModel(readFileSync(join(dir, 'p.onnx')));
    expect(file.doc_string).toMatch(/initial weights, untrained/);
    expect(JSON.parse(file.metadata_props!.find((p) => p.key === 'netwright.export')!.value)).toMatchObject({ weights: 'initial', untrained: true });
    expect((await run(exportCli, ['--help'])).out).toMatch(/A design not trained yet \(a graph, or a project saved without weights\) exports with its initial weights.*marked untrained \("initial"\)/);
  });

  it('explains an unknown format and a missing source (exit 2), and leaves nothing behind', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-cli-'));
    expect((await run(exportCli, [EXAMPLE, '--format', 'tflite', '--out', join(dir, 'x')])).err).toMatch(/E_EXPORT_FORMAT: there is no export format "tflite"; choose json/);
    expect((await run(exportCli, [join(dir, 'nope.json'), '--format', 'json', '--out', join(dir, 'x')])).code).toBe(2);
    expect(existsSync(join(dir, 'x.json'))).toBe(false);
  });
});
