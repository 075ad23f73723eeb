/**
 * Issue #82: reading a Netwright ONNX file back costs about its weights, not a text of them. The
 * importer checks that the file is its stored graph unchanged by exporting that graph again and
 * comparing; it compared the two graphs as JSON text holding every weight (Array.from of each
 * initializer, then JSON.stringify): resnet18's 11.7 M weights made 1.1 GB of JavaScript heap at
 * every predict, evaluate or train on its .onnx. Here a 4.3 M-weight MLP's export is imported in a
 * child process whose heap is capped at 96 MB (the weights are typed arrays, outside that heap).
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../../src-engine/base/ir/types';
import { exportOnnx } from '../../../../../src-engine/core/export/onnx';
import { randomModel } from './harness';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..', '..');

describe('a Netwright ONNX file imports within a small heap', () => {
  it('4.3 M weights restore their stored graph with a 96 MB JavaScript heap (the text comparison needed about 200 MB)', () => {
    const mlp = JSON.parse(readFileSync(join(ROOT, 'examples', 'mnist-mlp.json'), 'utf8')) as GraphIR;
    const wide = { ...mlp, nodes: mlp.nodes.map((n) => (n.id === 'fc1' ? { ...n, attrs: { ...n.attrs, outFeatures: 5000 } } : n)) };
    const dir = mkdtempSync(join(tmpdir(), 'nw-onnx-heap-'));
    const file = join(dir, 'wide.onnx');
    writeFileSync(file, exportOnnx(randomModel(wide, 1)).bytes);
    const script = join(dir, 'read.mts');
    writeFileSync(
      script,
      `import { readFileSync } from 'node:fs';\nimport { importOnnx } from ${JSON.stringify(join(ROOT, 'src-engine', 'core', 'import', 'onnx', 'index.ts'))};\n` +
        `const r = importOnnx(readFileSync(${JSON.stringify(file)}));\nconsole.log(JSON.stringify({ restored: r.restored, weights: Object.values(r.model.params).reduce((a, p) => a + p.length, 0), warnings: r.warnings.map((w) => w.code) }));\n`,
    );
    const out = execFileSync(process.execPath, ['--max-old-space-size=96', '--import', 'tsx', script], { cwd: ROOT, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    expect(JSON.parse(out.trim().split('\n').pop()!)).toEqual({ restored: true, weights: 784 * 5000 + 5000 + 5000 * 64 + 64 + 64 * 10 + 10, warnings: [] });
  }, 60_000);
});
