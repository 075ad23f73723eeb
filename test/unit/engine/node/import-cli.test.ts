/**
 * Issue #29 item 4: `npm run import -- model.onnx --out project.json` makes a project that opens in
 * the app and trains with `npm run train` (from the imported weights).
 */
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as importCli } from '../../../../src-engine/node/import-cli';
import { main as trainCli } from '../../../../src-engine/node/train-cli';
import { parseProject } from '../../../../src-renderer/src/editor/project';
import { projectWeightsFileName } from '../../../../src-engine/base/ir/project';

const EXAMPLE = join(import.meta.dirname, '../../../../examples/two-moons-mlp.json');

async function run(cli: typeof importCli, argv: string[]) {
  let out = '';
  let err = '';
  const code = await cli(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}

/** The first epoch's train loss a `--json` run reports. */
const firstEpochLoss = (out: string) => (out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as { type: string; train?: { loss: number } }).find((e) => e.type === 'epoch')?.train?.loss ?? NaN);

describe('npm run import', () => {
  it('makes a project from an ONNX file that the app opens and `npm run train` fine-tunes from its weights', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-import-'));
    const onnx = join(dir, 'moons.onnx');
    expect((await run(trainCli, [EXAMPLE, '--epochs', '3', '--threads', '1', '--export', onnx])).code).toBe(0);
    const project = join(dir, 'moons.netwright.json');
    const r = await run(importCli, [onnx, '--out', project]);
    expect(r.code, r.err).toBe(0);
    expect(r.out).toMatch(/imported .*moons\.onnx \(\d+ nodes, with its weights\) into .*moons\.netwright\.json/);
    const text = readFileSync(project, 'utf8');
    const opened = parseProject(text);
    expect(opened.ok && opened.model !== undefined).toBe(true); // opens in the app, with its weights
    // The weights beside the project, as the app's Save keeps them (#82): safetensors named by their SHA-256, none inside.
    const ref = (JSON.parse(text) as { model: { weights: { format: string; sha256: string; bytes: number }; params: object } }).model;
    expect(ref.weights.format).toBe('safetensors');
    expect(ref.params).toEqual({});
    const weights = readFileSync(join(dir, projectWeightsFileName('moons.netwright.json', ref.weights.sha256)));
    expect(weights.length).toBe(ref.weights.bytes);
    expect(createHash('sha256').update(weights).digest('hex')).toBe(ref.weights.sha256);
    /** The project as `name` beside it, its weights file copied under the name that project reads. */
    const copyAs = (name: string, json: unknown) => {
      writeFileSync(join(dir, name), JSON.stringify(json));
      writeFileSync(join(dir, projectWeightsFileName(name, ref.weights.sha256)), weights);
      return join(dir, name);
    };

    // Fine-tuning starts where the export left off: its first epoch's loss is far below a fresh start's.
    const tuned = await run(trainCli, [project, '--epochs', '1', '--threads', '1', '--json']);
    expect(tuned.code, tuned.err).toBe(0);
    const fresh = await run(trainCli, [EXAMPLE, '--epochs', '1', '--threads', '1', '--json']);
    expect(firstEpochLoss(tuned.out)).toBeLessThan(0.75 * firstEpochLoss(fresh.out));
    const human = await run(trainCli, [project, '--epochs', '1', '--threads', '1']);
    expect(human.out).toMatch(/weights: \d+ tensors from the project/);
    // Where its runs start is the design's setting (training.startFrom): set to fresh, the weights stay unused.
    const json = JSON.parse(text) as { graph: { training: { startFrom?: unknown } } };
    expect(json.graph.training.startFrom).toEqual({ kind: 'loaded' });
    delete json.graph.training.startFrom;
    const freshProject = copyAs('fresh.netwright.json', json);
    const untuned = await run(trainCli, [freshProject, '--epochs', '1', '--threads', '1']);
    expect(untuned.code, untuned.err).toBe(0);
    expect(untuned.out).not.toMatch(/weights: /);
    // A project saved before version 2 (no startFrom yet) with its weights continued from them, in
    // the app and here: it still does, in both readers.
    const legacy = copyAs('legacy.netwright.json', { ...json, version: 1 });
    expect((await run(trainCli, [legacy, '--epochs', '1', '--threads', '1'])).out).toMatch(/weights: \d+ tensors from the project/);
    const reopened = parseProject(readFileSync(legacy, 'utf8'));
    expect(reopened.ok && reopened.doc.graph.training?.startFrom).toEqual({ kind: 'loaded' });
    const reopenedFresh = parseProject(readFileSync(freshProject, 'utf8'));
    expect(reopenedFresh.ok && reopenedFresh.doc.graph.training?.startFrom).toBeUndefined();

    // The project is not replaced unasked; bad input is coded, exit 2.
    expect(await run(importCli, [onnx, '--out', project])).toMatchObject({ code: 2, err: expect.stringMatching(/E_EXPORT_EXISTS/) });
    expect(readFileSync(project, 'utf8')).toBe(text);
    writeFileSync(join(dir, 'junk.onnx'), 'not a model');
    expect(await run(importCli, [join(dir, 'junk.onnx'), '--out', join(dir, 'junk.json')])).toMatchObject({ code: 2, err: expect.stringMatching(/^error E_IMPORT_\w+: /) });
    expect((await run(importCli, [join(dir, 'missing.onnx'), '--out', join(dir, 'x.json')])).code).toBe(2);
  }, 120_000);
});
