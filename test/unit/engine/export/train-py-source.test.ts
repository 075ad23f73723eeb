/**
 * The exported project's train.py is a real Python file (src-engine/core/export/train.py): Python's
 * own parser reads it, and the module the engine imports (generated/train-py.ts) holds exactly it.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { TRAIN_PY } from '../../../../src-engine/core/export/pytorch-train';
// @ts-expect-error — a plain .mjs build script without type declarations.
import { TRAIN_PY_MODULE, TRAIN_PY_SOURCE, buildTrainPyModule } from '../../../../scripts/build-train-py.mjs';

describe('train.py source', () => {
  it('generated/train-py.ts is up to date with train.py (run `node scripts/build-train-py.mjs`)', () => {
    expect(readFileSync(TRAIN_PY_MODULE as string, 'utf8')).toBe(buildTrainPyModule() as string);
    expect(TRAIN_PY).toBe(readFileSync(TRAIN_PY_SOURCE as string, 'utf8'));
  });

  it("parses with Python's ast, placeholders and all", () => {
    const r = spawnSync('python3', ['-c', 'import ast,sys; ast.parse(sys.stdin.read(), "train.py")'], { input: TRAIN_PY, encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toBe('');
    expect(r.status).toBe(0);
  });
});
