import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { listOps } from '../../../src-engine/core/ops/registry';

/**
 * No code outside core/ops and base/ branches on an op's name: it asks the op's traits
 * (core/ops/categories.ts) or the graph-input helpers (base/ir/inputs.ts). A new op then works
 * everywhere from its op file and its registry line. Flagged: a registered op's name compared
 * (`===`, `!==`, `==`, `!=`) or used as a `case` label, and any string compared with a `.op`.
 */
const root = path.resolve(__dirname, '../../..');
const OP_NAMES = new Set(listOps().map((d) => d.name));
const ALLOWED = [/^src-engine\/core\/ops\//, /^src-engine\/base\//];

function sources(dir: string): string[] {
  return readdirSync(path.join(root, dir), { recursive: true, withFileTypes: true })
    .filter((e) => e.isFile() && /\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts'))
    .map((e) => path.relative(root, path.join(e.parentPath, e.name)).split(path.sep).join('/'))
    .filter((f) => !ALLOWED.some((re) => re.test(f)));
}

/** Each op-name comparison in `source`, as `line: text`. */
function opNameComparisons(fileName: string, source: string): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const isOpName = (n: ts.Node) => ts.isStringLiteralLike(n) && OP_NAMES.has(n.text);
  const isOpAccess = (n: ts.Node) => (ts.isPropertyAccessExpression(n) && n.name.text === 'op') || (ts.isIdentifier(n) && n.text === 'op');
  const report = (n: ts.Node) => found.push(`${sf.getLineAndCharacterOfPosition(n.getStart()).line + 1}: ${n.getText().slice(0, 80)}`);
  // An ONNX node's op type (`Add`, `Relu`) is the file format's vocabulary, not a Netwright op.
  const onnxType = (x: ts.Node) => ts.isPropertyAccessExpression(x) && x.name.text === 'op_type';
  const visit = (n: ts.Node): void => {
    if (ts.isSwitchStatement(n) && onnxType(n.expression)) {
      for (const clause of n.caseBlock.clauses) clause.statements.forEach(visit);
      return;
    }
    if (ts.isBinaryExpression(n) && [ts.SyntaxKind.EqualsEqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsEqualsToken, ts.SyntaxKind.EqualsEqualsToken, ts.SyntaxKind.ExclamationEqualsToken].includes(n.operatorToken.kind)) {
      const [a, b] = [n.left, n.right];
      if (onnxType(a) || onnxType(b)) return ts.forEachChild(n, visit);
      if (isOpName(a) || isOpName(b) || (isOpAccess(a) && ts.isStringLiteralLike(b)) || (isOpAccess(b) && ts.isStringLiteralLike(a))) report(n);
    }
    if (ts.isCaseClause(n) && isOpName(n.expression)) report(n.expression);
    ts.forEachChild(n, visit);
  };
  visit(sf);
  return found;
}

describe('op identity outside core/ops and base', () => {
  it('the check finds each kind of comparison it looks for', () => {
    const planted = [
      `if (n.op === 'Input') f();`,
      `const x = 'GANLoss' !== def.name;`,
      `switch (k) { case 'Linear': break; }`,
      `if (op == 'Anything') g();`,
      `if (n.attrs.source === 'target') h();`,
      `switch (node.op_type) { case 'Add': if (m.op === 'Linear') g(); }`,
    ].join('\n');
    // Line 6: an ONNX op type's case is not one, the Netwright op compared inside it is.
    expect(opNameComparisons('plant.ts', planted).map((s) => s.split(':')[0])).toEqual(['1', '2', '3', '4', '6']);
  });

  it('no file of the engine (outside core/ops and base) or the renderer compares op names', () => {
    const files = [...sources('src-engine'), ...sources('src-renderer/src')];
    expect(files.length).toBeGreaterThan(100);
    // Parse only the files that could hold one (a quoted op name, or an `op` compared).
    const maybe = new RegExp(`(['"\`])(${[...OP_NAMES].join('|')})\\1|\\bop\\s*[!=]=`);
    const hits = files.flatMap((f) => {
      const text = readFileSync(path.join(root, f), 'utf8');
      return maybe.test(text) ? opNameComparisons(f, text).map((h) => `${f}:${h}`) : [];
    });
    expect(hits).toEqual([]);
  });
});
