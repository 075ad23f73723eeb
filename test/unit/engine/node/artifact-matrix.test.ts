/**
 * Issue #82 deliverable 4: everything Netwright writes, Netwright reads (the resnet18-size row:
 * test/accuracy/artifact-matrix-resnet18.test.ts, 107 s of npm test's 8 minutes, in CI's accuracy run). One small trained model
 * (examples/mnist-mlp.json, 1 epoch on 512 digits) is written as every artifact the app and the
 * CLIs make — a project saved by the app (its weights in a .safetensors file beside it, through
 * the host's own FileService), a model JSON (`train --export`), ONNX, safetensors, a PyTorch
 * project (model.py, weights.pt), its run folder — and each goes through every entry point that
 * could be handed it: the app's Open (ProjectFiles.openPath over web mode's file bridge, then the
 * engine's model.load), the app's Import (model.import of an ONNX file, model.loadWeights of
 * weights into the open design; the engine service in-process, answering model.predict), and
 * `netwright train / evaluate / predict / export / import`, called in-process. The table of what each cell does is data (`EXPECTED`): it works, or it is refused
 * with the named code because that entry point does not take that artifact. Where it works, the
 * answers are compared: every reading gives the same classes and probabilities (float32
 * tolerance) for the same eight digits, and evaluate the same test loss and accuracy.
 * The resnet18-size row does the same with torch.onnx's resnet18 at 64×64 (its head replaced by
 * the CLI's fine-tune, backbone frozen), for the cells that work (refusals do not depend on size).
 * The file takes 56 s on this shared 2-core machine (MNIST 7 s, resnet18 42 s; resnet18 took 124 s
 * before reading an ONNX file stopped comparing its weights as JSON text, 64e6fcc7).
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { appEngine, EXAMPLES, evaluateCli, FileService, loadDataset, matrixHolds, npy, predictCli, runCli, trainCli, writeArtifacts, type GraphIR, type World } from './artifact-matrix-harness';

describe('every artifact through every entry point', () => {
  let w: World;
  beforeAll(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-artifacts-'));
    mkdirSync(join(dir, 'out'));
    const runs = join(dir, 'runs');
    const modelJson = join(dir, 'digits.model.json');
    const r = await runCli(trainCli, [join(EXAMPLES, 'mnist-mlp.json'), '--epochs', '1', '--limit', '512', '--threads', '1', '--runs', runs, '--export', modelJson]);
    expect(r.code, r.err).toBe(0);
    const graph = (JSON.parse(readFileSync(modelJson, 'utf8')) as { graph: GraphIR }).graph;
    // Eight test digits, as an .npy of [8, 1, 28, 28] values as the dataset gives them.
    const mnist = loadDataset({ name: 'mnist' }).test!;
    const per = 28 * 28;
    const rows = Array.from({ length: 8 }, (_, i) => Array.from(mnist.features.subarray(i * per, (i + 1) * per)));
    const file = join(dir, 'digits.npy');
    writeFileSync(file, npy('<f4', [8, 1, 28, 28], rows.flat()));
    const service = new FileService({ workspaceDir: dir, stateDir: join(dir, '.netwright') });
    const base = { dir, service, graph, inputs: { file, rows }, evaluateArgs: ['--limit', '300'], trainArgs: ['--epochs', '1', '--limit', '128'], exportFormat: 'onnx' as const, engine: appEngine() };
    w = { ...base, paths: await writeArtifacts(base, modelJson, runs) };
  }, 60_000);
  afterAll(() => w?.engine.service.dispose());

  it('MNIST size: each cell works or is refused with its code; every reading predicts and scores as the trained model', () => matrixHolds(w), 120_000);

  it("a project copied without the weights file beside it, or with another file in its place, is refused by name, as the app's Open says it", async () => {
    const name = readdirSync(w.dir).find((n) => /^digits\.netwright\.weights-[0-9a-f]{16}\.safetensors$/.test(n))!;
    const copy = join(w.dir, 'out', 'copied');
    mkdirSync(copy);
    const project = join(copy, 'digits.netwright.json');
    writeFileSync(project, readFileSync(w.paths.project));
    const missing = await runCli(predictCli, [project, w.inputs.file]);
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(new RegExp(`^error CLI_NO_FILE: .*keeps its trained weights in ${name.replace(/\./g, '\\.')} beside it, which is missing`));
    const bytes = readFileSync(join(w.dir, name));
    bytes[bytes.length - 1] ^= 1;
    writeFileSync(join(copy, name), bytes);
    const damaged = await runCli(evaluateCli, [project, '--limit', '10']);
    expect(damaged.code).toBe(2);
    expect(damaged.err).toMatch(/^error E_WEIGHTS_FILE: .*does not hold the weights digits\.netwright\.json names/);
  });
});
