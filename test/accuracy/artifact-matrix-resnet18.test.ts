/**
 * Issue #82 deliverable 4 at resnet18 size: the artifact matrix of
 * test/unit/engine/node/artifact-matrix.test.ts (its harness) on torch.onnx's resnet18, imported,
 * its head replaced and fine-tuned with the backbone frozen. About 110 s on 2 cores: run by CI
 * (`npm test -- --with-accuracy`) and `npm run test:accuracy`, not by `npm test`.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { appEngine, FileService, importCli, matrixHolds, npy, runCli, torchvisionFixtures, trainCli, writeArtifacts, writeDigitFolder, type GraphIR } from '../unit/engine/node/artifact-matrix-harness';

describe('every artifact through every entry point, resnet18 size', () => {
  it("torch.onnx's resnet18 (64×64) imported, its head replaced by one of 3 classes and fine-tuned frozen: each cell as at MNIST size", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nw-artifacts-r18-'));
    mkdirSync(join(dir, 'out'));
    const folder = join(dir, 'digits');
    writeDigitFolder(folder, { perClass: 6, layout: 'flat', classes: 3 });
    const imported = join(dir, 'resnet18.netwright.json');
    const i = await runCli(importCli, [join(torchvisionFixtures(), 'resnet18.onnx'), '--out', imported]);
    expect(i.code, i.err).toBe(0);
    // The CLI's fine-tune: the head resized to the folder's 3 classes, the backbone frozen (its features computed once).
    const runs = join(dir, 'runs');
    const modelJson = join(dir, 'r18.model.json');
    const r = await runCli(trainCli, [imported, '--data', folder, '--freeze', 'backbone', '--epochs', '1', '--batch-size', '8', '--threads', '1', '--runs', runs, '--export', modelJson]);
    expect(r.code, r.err).toBe(0);
    const graph = (JSON.parse(readFileSync(modelJson, 'utf8')) as { graph: GraphIR }).graph;
    // (An ONNX file keeps the folder's name only, withoutHostPaths: train and evaluate are given the data.)
    // Four inputs of [3, 64, 64] values in 0..1.
    const rows = Array.from({ length: 4 }, (_, k) => Array.from({ length: 3 * 64 * 64 }, (_, j) => (Math.sin(j * 0.37 + k * 1.9) + 1) / 2));
    const file = join(dir, 'inputs.npy');
    writeFileSync(file, npy('<f4', [4, 3, 64, 64], rows.flat()));
    const service = new FileService({ workspaceDir: dir, stateDir: join(dir, '.netwright') });
    const base = { dir, service, graph, inputs: { file, rows }, evaluateArgs: ['--data', folder], trainArgs: ['--epochs', '1', '--data', folder], exportFormat: 'json' as const, workingOnly: true, engine: appEngine() };
    try {
      await matrixHolds({ ...base, paths: await writeArtifacts(base, modelJson, runs) });
    } finally {
      base.engine.service.dispose();
      // ~1.1 GB: the imported resnet18, its exports in every format, the runs.
      rmSync(dir, { recursive: true, force: true });
    }
  }, 600_000);
});
