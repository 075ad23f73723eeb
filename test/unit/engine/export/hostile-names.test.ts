/**
 * A user's strings in the exported PyTorch project run no code and break no file (#81 H1, H2, H3,
 * L1): the design's name, the dataset's, the prediction node's id, class names and a setting's
 * text holding `"""`, quotes, NUL, CR, `\N{…}`, line separators or lone surrogates — and a design
 * read from an ONNX file whose graph name holds them — are exported from iris-mlp at its initial
 * weights, then `import model` and `python3 train.py --help` run in the exported folder. Each name
 * comes back exactly from model.py's constants and train.py's CONFIG, and no marker file appears.
 *
 * The runs use a stand-in for torch and numpy (stand-in-torch/sitecustomize.py: the files' top level
 * runs, the main script read by Python's own file tokenizer, as in #81 H3); where python3-torch is
 * installed, model.py is also imported under the real torch.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { GraphIR } from '../../../../src-engine/base/ir/types';
import type { TrainedModel } from '../../../../src-engine/core/export/model';
import { exportOnnx } from '../../../../src-engine/core/export/onnx';
import { importOnnx } from '../../../../src-engine/core/import/onnx';
import { HAS_TORCH, TORCH_PYTHON, exportTo, initialModel, torchProcess } from './torch-harness';

const IRIS = JSON.parse(readFileSync(join(import.meta.dirname, '../../../../examples/iris-mlp.json'), 'utf8')) as GraphIR;
const STAND_IN = join(import.meta.dirname, 'stand-in-torch');
const MARKER = 'C';
const TOUCH = `__import__("os").system("touch ${MARKER}")`;

/** The payloads of #81: each ran `touch C` or broke model.py or train.py when it left its literal. */
const NAMES = {
  docstring: `x""";${TOUCH};"""`,
  quotes: `x';${TOUCH};'`,
  cr: `x\r${TOUCH}\r`,
  nul: 'x'.repeat(60) + '\u0000',
  namedEscape: '\\N{x',
  separators: `a\u2028${TOUCH}\u2029\u0085`,
  surrogate: 'a\ud800\ude00\udfff',
  coding: '# -*- coding: utf-7 -*-',
};
const CLASSES = ['setosa\r', 'versi\u0000color', '"""', '\\N{', `'${TOUCH}'`];
/** H3's setting: a NUL ended train.py's line on Python 3.11 and the next key ran as code. */
const AUGMENT = { note: `${'x'.repeat(60)}\u0000`, [`+str(${TOUCH})+`]: ' #', transforms: '    __TRANSFORMS__' };

/** iris-mlp with `name` as the design's name, the dataset's name and the prediction node's id. */
function hostileIris(name: string): TrainedModel {
  const id = (x: string) => (x === 'fc2' ? name : x);
  const graph: GraphIR = {
    ...IRIS,
    name,
    nodes: IRIS.nodes.map((n) => ({ ...n, id: id(n.id), inputs: n.inputs.map(id) })),
    outputs: Object.fromEntries(Object.entries(IRIS.outputs).map(([k, v]) => [k, id(v)])),
    training: { ...IRIS.training!, dataset: { ...IRIS.training!.dataset, name, augment: AUGMENT as never } },
  };
  return { ...initialModel(graph), classNames: CLASSES };
}

/** What model.py and train.py hold of the user's strings, read back by python3 in the exported folder. */
const READ_BACK = `import json, runpy, sys
import model
config = runpy.run_path('train.py', run_name='config_only')['CONFIG']
sys.stdout.write(json.dumps({'design': model.DESIGN_NAME, 'dataset': getattr(model, 'DATASET_NAME', None), 'prediction': model.PREDICTION, 'classes': model.CLASS_NAMES,
  'config': [config['name'], config['dataset']['name'], config['dataset']['augment'], config['prediction']]}))`;

function standIn(args: string[], cwd: string) {
  const r = spawnSync(TORCH_PYTHON, args, { cwd, encoding: 'utf8', env: { ...process.env, PYTHONPATH: STAND_IN, PYTHONDONTWRITEBYTECODE: '1' } });
  return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectReadBack(out: string, name: string, trained = true): void {
  const got = JSON.parse(out) as Record<string, unknown>;
  expect(got.design).toBe(name);
  expect(got.prediction).toBe(trained ? name : got.prediction);
  if (!trained) return;
  expect(got.dataset).toBe(name);
  expect(got.classes).toEqual(CLASSES);
  expect(got.config).toEqual([name, name, AUGMENT, name]);
}

describe('the exported PyTorch project keeps hostile names as data', () => {
  for (const [what, name] of Object.entries(NAMES)) {
    it(`${what}: model.py imports, train.py parses its CONFIG and shows --help, nothing runs, and the names come back exactly`, () => {
      const dir = exportTo(hostileIris(name));
      const help = standIn(['train.py', '--help'], dir);
      expect(help.stderr).toBe('');
      expect(help.status).toBe(0);
      expect(help.stdout).toMatch(/^usage: train\.py/);
      const read = standIn(['-c', READ_BACK], dir);
      expect(read.stderr).toBe('');
      expect(read.status).toBe(0);
      expectReadBack(read.stdout, name);
      expect(existsSync(join(dir, MARKER))).toBe(false);
      // No docstring holds the name: its first line is fixed text (a `coding:` comment there would re-decode the file).
      for (const f of ['model.py', 'train.py']) expect(readFileSync(join(dir, f), 'utf8').split('\n')[0], f).toMatch(/^"""(A network exported from Netwright|Train the exported network)/);
    });
  }

  it('an ONNX file whose graph name holds the payload: imported, then exported to PyTorch, runs nothing', () => {
    const { bytes } = exportOnnx(initialModel({ ...IRIS, name: NAMES.docstring }));
    const { model } = importOnnx(bytes);
    expect(model.graph.name).toBe(NAMES.docstring);
    const dir = exportTo(model);
    const read = standIn(['-c', 'import json, sys, model; sys.stdout.write(json.dumps({"design": model.DESIGN_NAME, "prediction": model.PREDICTION}))'], dir);
    expect(read.stderr).toBe('');
    expectReadBack(read.stdout, NAMES.docstring, false);
    expect(existsSync(join(dir, MARKER))).toBe(false);
  });

  it.skipIf(!HAS_TORCH)('under the real torch: model.py imports and builds Net with each payload', async () => {
    for (const name of Object.values(NAMES)) {
      const dir = exportTo(hostileIris(name));
      const r = await torchProcess(['-c', 'import json, sys, model; model.Net(); sys.stdout.write(json.dumps({"design": model.DESIGN_NAME, "classes": model.CLASS_NAMES}))'], dir);
      expect(r.stderr).toBe('');
      expect(JSON.parse(r.stdout)).toEqual({ design: name, classes: CLASSES });
      expect(existsSync(join(dir, MARKER))).toBe(false);
    }
  });
});
