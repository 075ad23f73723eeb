import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

const STATE = join(import.meta.dirname, '../../../src-renderer/src/state');

/** Calls that make a store (or the run controller that drives one): zustand's `create`/`createStore`, a `create…Store` factory, `createWindowStores`. */
const MAKES_STORE = /^(create|createStore|create\w*Store|createWindowStores)$/;

/**
 * Where `source` makes a store when its module is imported: a store-making call or a
 * `new RunController` that no function encloses (`export const useX = create(...)`), as
 * `name (line)`. A factory's body runs only when a window (or a test) calls it.
 */
function storesMadeAtImport(source: string, fileName = 'module.ts'): string[] {
  const sf = ts.createSourceFile(fileName, source, ts.ScriptTarget.Latest, true, fileName.endsWith('.tsx') ? ts.ScriptKind.TSX : ts.ScriptKind.TS);
  const found: string[] = [];
  const visit = (node: ts.Node): void => {
    if (ts.isFunctionLike(node) || ts.isClassStaticBlockDeclaration(node)) return;
    // A class's methods and constructor are functions; its property initialisers run per instance, not at import.
    if (ts.isClassDeclaration(node) || ts.isClassExpression(node)) return;
    const line = () => sf.getLineAndCharacterOfPosition(node.getStart(sf)).line + 1;
    if (ts.isCallExpression(node) && ts.isIdentifier(node.expression) && MAKES_STORE.test(node.expression.text)) found.push(`${node.expression.text} (line ${line()})`);
    if (ts.isNewExpression(node) && ts.isIdentifier(node.expression) && node.expression.text === 'RunController') found.push(`new RunController (line ${line()})`);
    ts.forEachChild(node, visit);
  };
  visit(sf);
  return found;
}

/** Stores are made per window (#45 item 6): `createWindowStores` makes a window's, App provides them; no module makes one on import. */
describe('no store is made at import', () => {
  it('no module under src-renderer/src/state makes a store (or a run controller) outside a function', () => {
    const files = readdirSync(STATE).filter((f) => /\.tsx?$/.test(f));
    expect(files.length).toBeGreaterThan(10);
    const made = files.flatMap((f) => storesMadeAtImport(readFileSync(join(STATE, f), 'utf8'), f).map((at) => `${f}: ${at}`));
    expect(made).toEqual([]);
  });

  it('finds the singletons it forbids, and lets factories be', () => {
    expect(storesMadeAtImport(`import { create } from 'zustand';\nexport const useConfirm = create<S>((set) => ({ set }));`)).toEqual(['create (line 2)']);
    expect(storesMadeAtImport(`export const useEditor = createEditorStore();\nexport const runController = new RunController();`)).toEqual(['createEditorStore (line 1)', 'new RunController (line 2)']);
    expect(storesMadeAtImport(`export const createConfirmStore = () => createStore<S>(() => ({}));\nexport function createWindowStores() { return { runs: new RunController(deps) }; }\nclass A { b = createStore(() => ({})); }`)).toEqual([]);
  });
});
