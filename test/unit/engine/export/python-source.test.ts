/**
 * The one escaper of the exported Python (core/export/python-source.ts), fuzzed against the Python
 * the tests run (#81 H1, H3, L1): strings of hostile code points — random, and a fixed corpus of
 * the payloads that once ran code or broke model.py — are written with `pyString`/`pyLiteral` into
 * a module file, which python3 imports and answers with the values as JSON. Every value comes back
 * exactly (lone surrogates included), the module is a single assignment of constants (Python's own
 * `ast`), and no marker file appears.
 */
import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../../src-engine/base/rng';
import { PythonCode, fillPlaceholders, pyLiteral, pyNumber, pyString, pyTuple } from '../../../../src-engine/core/export/python-source';
import { TORCH_PYTHON, tempDir } from './torch-harness';
import { getOp } from '../../../../src-engine/core/ops/registry';
import { torchModuleText } from '../../../../src-engine/core/ops/export-mapping';

/** The payloads of #81 and their kin: each would run `touch C` (or break the file) if it left its literal. */
const TOUCH = '__import__("os").system("touch C")';
const CORPUS: string[] = [
  `x""";${TOUCH};"""`,
  `x''';${TOUCH};'''`,
  `x';${TOUCH};'`,
  `x\n${TOUCH}\n`,
  `x\r${TOUCH}\r`,
  `x\r\n${TOUCH}`,
  'x'.repeat(60) + '\u0000',
  `"+str(${TOUCH})+"`,
  `x\u0000${TOUCH}`,
  `\\N{LATIN SMALL LETTER A}`,
  '\\N{',
  '\\',
  'trailing backslash\\',
  "\\'",
  '\\x41\\u0041\\U00000041\\101',
  `x\u2028${TOUCH}\u2029`,
  `x\u0085${TOUCH}\f\v`,
  '\ud800',
  '\udfff',
  '\udc00\ud800',
  'a\ud83d',
  '😀\ud83d\ude00',
  '\u202e})"(nur\u202d',
  '\ufeff# -*- coding: latin-1 -*-',
  '# -*- coding: utf-7 -*-\n+ACI-',
  '\u0301leading mark',
  'é café Ελληνικά 日本語 हिन्दी ไทย',
  '\u00a0\u3000\u200b\u200d',
  '\u{10ffff}\ufffe\uffff\ue000',
  '    __TRANSFORMS__',
  '__CONFIG__',
  '{0}%s%(x)s',
  '',
];

/** Code points a fuzzed string is drawn from: controls, quotes, backslashes and what follows one, separators, surrogates, and the rest of Unicode. */
function hostileString(rng: Rng): string {
  const pools: (() => string)[] = [
    () => String.fromCharCode(rng.int(0x20)),
    () => ['"', "'", '\\', 'N', '{', '}', 'x', 'u', 'U', '0', '#', ';', ' '][rng.int(13)],
    () => ['\u2028', '\u2029', '\u0085', '\u007f', '\u00a0', '\ufeff', '\u202e', '\u200b'][rng.int(8)],
    () => String.fromCharCode(0xd800 + rng.int(0x800)),
    () => String.fromCharCode(rng.int(0x10000)),
    () => String.fromCodePoint(0x10000 + rng.int(0x100000)),
    () => String.fromCharCode(0x300 + rng.int(0x70)),
  ];
  let s = '';
  for (let n = rng.int(24); n > 0; n--) s += pools[rng.int(pools.length)]();
  return s;
}

/** Runs `source` as the module `lits` in a fresh folder under python3; its answer (JSON) and what the folder holds afterwards. */
function importUnderPython(source: string, answer: string): { out: unknown; files: string[] } {
  const dir = tempDir('pysrc');
  writeFileSync(join(dir, 'lits.py'), source);
  const check = `import ast, json, sys
import lits
tree = ast.parse(open('lits.py', 'rb').read())
assigns = [s for s in tree.body if isinstance(s, ast.Assign)]
assert len(assigns) == len(tree.body), 'only assignments'
def constant(node):
    if isinstance(node, ast.Call):
        return isinstance(node.func, ast.Name) and node.func.id == 'float' and not node.keywords and [getattr(a, 'value', None) for a in node.args] in (['inf'], ['-inf'], ['nan'])
    if isinstance(node, ast.UnaryOp):
        return isinstance(node.op, ast.USub) and isinstance(node.operand, ast.Constant)
    if isinstance(node, (ast.List, ast.Tuple)):
        return all(constant(e) for e in node.elts)
    if isinstance(node, ast.Dict):
        return all(constant(e) for e in node.keys + node.values)
    return isinstance(node, ast.Constant)
for a in assigns:
    assert constant(a.value), ast.dump(a.value)[:200]
sys.stdout.write(json.dumps(${answer}))`;
  const r = spawnSync(TORCH_PYTHON, ['-c', check], { cwd: dir, encoding: 'utf8' });
  expect(r.stderr).toBe('');
  expect(r.status).toBe(0);
  return { out: JSON.parse(r.stdout), files: readdirSync(dir).filter((f) => f !== '__pycache__') };
}

describe('pyString: any string as a Python literal', () => {
  it('the corpus and 400 random hostile strings come back exactly from python3, as single-line constants, and run nothing', () => {
    const rng = new Rng(81);
    const values = [...CORPUS, ...Array.from({ length: 400 }, () => hostileString(rng))];
    const literals = values.map(pyString);
    for (const [i, lit] of literals.entries()) {
      // No code point Python or an editor takes for a line break, no NUL, no bidi control in the source.
      expect([...lit].filter((c) => '\n\r\u0000\u0085\u2028\u2029\f\v\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff'.includes(c)), JSON.stringify(values[i])).toEqual([]);
      expect(lit.startsWith("'") && lit.endsWith("'")).toBe(true);
    }
    const { out, files } = importUnderPython(`V = [\n${literals.map((l) => `    ${l},\n`).join('')}]\n`, 'lits.V');
    expect(out).toEqual(values);
    expect(files).toEqual(['lits.py']);
  });

  it('keeps readable text readable: letters, digits, punctuation and symbols of any script as they are', () => {
    expect(pyString('Iris MLP')).toBe("'Iris MLP'");
    expect(pyString('café · 日本語')).toBe("'café · 日本語'");
    expect(pyString("it's\r\n\u0000")).toBe("'it\\'s\\r\\n\\x00'");
    expect(pyString('\\N{DIGIT ONE}')).toBe("'\\\\N{DIGIT ONE}'");
    expect(pyString('a\u2028\ud800😀')).toBe("'a\\u2028\\ud800😀'");
  });
});

describe('pyLiteral: nested values with hostile keys and numbers', () => {
  it('dicts, lists and numbers (−0, ±∞, NaN, the extremes of float64) are the same values in Python', () => {
    const rng = new Rng(82);
    const numbers = [0, -0, 1, -1, 0.1, 1 / 3, 1e21, 1e-7, 5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 2 ** 53 + 2, Infinity, -Infinity, NaN];
    const nested: Record<string, unknown> = {};
    for (const s of [...CORPUS, ...Array.from({ length: 60 }, () => hostileString(rng))]) nested[s] = { [s]: [s, rng.normal(), null, true, false, [s]] };
    const source = `N = ${pyLiteral(numbers)}\nD = ${pyLiteral(nested)}\nT = [${pyTuple([3])}, ${pyTuple([])}, ${pyTuple([2, 4])}]\n`;
    // Each number as its IEEE-754 bits (NaN: that it is one), so −0 and the last digits count.
    const { out, files } = importUnderPython(source, "[['nan' if x != x else __import__('struct').pack('<d', x).hex() for x in lits.N], lits.D, [list(t) for t in lits.T]]");
    const [bits, d, tuples] = out as [string[], unknown, number[][]];
    const hexOf = (x: number) => Buffer.from(new Float64Array([x]).buffer).toString('hex');
    expect(bits).toEqual(numbers.map((x) => (Number.isNaN(x) ? 'nan' : hexOf(x))));
    expect(d).toEqual(nested);
    expect(tuples).toEqual([[3], [], [2, 4]]);
    expect(files).toEqual(['lits.py']);
    expect(pyNumber(-0)).toBe('-0.0');
  });

  it('writes PythonCode as it is and refuses a value with no literal', () => {
    expect(pyLiteral({ loss: new PythonCode('nn.MSELoss()') })).toBe("{'loss': nn.MSELoss()}");
    expect(() => pyLiteral(() => 1)).toThrow(TypeError);
  });
});

describe("the ops' PyTorch templates", () => {
  it('write a string attr through pyString and numbers through pyNumber (a design may hold any attr value)', () => {
    const hostile = `tanh')\n${TOUCH}#`;
    expect(torchModuleText(getOp('GELU')!, { approximate: hostile }, [2, 4])).toBe(`nn.GELU(approximate=${pyString(hostile)})`);
    expect(torchModuleText(getOp('GELU')!, { approximate: 'tanh' }, [2, 4])).toBe("nn.GELU(approximate='tanh')");
    expect(torchModuleText(getOp('Dropout')!, { p: -0 }, [2, 4])).toBe('nn.Dropout(p=-0.0)');
  });
});

describe('fillPlaceholders', () => {
  it('fills every placeholder in one pass: a value holding another placeholder stays text', () => {
    const out = fillPlaceholders('A = __CONFIG__\n    __TRANSFORMS__\n', { __CONFIG__: pyString('    __TRANSFORMS__'), '    __TRANSFORMS__': '    pass' });
    expect(out).toBe("A = '    __TRANSFORMS__'\n    pass\n");
  });

  it('refuses a placeholder the template lacks or holds twice', () => {
    expect(() => fillPlaceholders('__A__', { __B__: 'x' })).toThrow(/__B__ 0 times/);
    expect(() => fillPlaceholders('__A__ __A__', { __A__: 'x' })).toThrow(/__A__ 2 times/);
  });
});
