import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One function whose body spans more than the limit. */
export interface LongFunction {
  /** `src-engine/core/train/loop.ts`, from the repository root. */
  file: string;
  /** `TrainingLoop.run`, `createCpuBackend`; an unnamed closure by what encloses it (`useStore/<anonymous>`). */
  name: string;
  /** Lines from the body's opening brace to its closing one, both counted. */
  lines: number;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '../../..');
export const SOURCE_ROOTS = ['src-engine', 'src-renderer', 'src-main'] as const;

function* sourceFiles(dir: string): Generator<string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== 'node_modules') yield* sourceFiles(p);
    } else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) yield p;
  }
}

/** What a function-like node is called: its own name, its class's and its own, or what it is assigned to. */
function nameOf(node: ts.SignatureDeclaration, sf: ts.SourceFile): string {
  const own = node.name && (ts.isIdentifier(node.name) || ts.isStringLiteral(node.name) || ts.isPrivateIdentifier(node.name)) ? node.name.text : undefined;
  const parent = node.parent;
  if (ts.isConstructorDeclaration(node) || ts.isMethodDeclaration(node) || ts.isGetAccessor(node) || ts.isSetAccessor(node)) {
    const cls = ts.isClassLike(parent) && parent.name ? parent.name.text : undefined;
    const member = ts.isConstructorDeclaration(node) ? 'constructor' : (own ?? '?');
    return cls ? `${cls}.${member}` : member;
  }
  if (own) return own;
  if (ts.isVariableDeclaration(parent) && ts.isIdentifier(parent.name)) return parent.name.text;
  if (ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) return parent.name.getText(sf);
  for (let p: ts.Node | undefined = parent; p; p = p.parent) {
    if (ts.isVariableDeclaration(p) && ts.isIdentifier(p.name)) return `${p.name.text}/<anonymous>`;
    if (ts.isFunctionLike(p)) return `${nameOf(p, sf)}/<anonymous>`;
  }
  return '<anonymous>';
}

/**
 * Every function-like node (declarations, methods, constructors, accessors, arrows, function
 * expressions) in the source roots whose body spans more than `limit` lines, longest first.
 * Nested functions count on their own, and inside their parent's span too.
 */
export function longFunctions(limit = 150, roots: readonly string[] = SOURCE_ROOTS): LongFunction[] {
  const out: LongFunction[] = [];
  for (const root of roots) {
    for (const path of sourceFiles(join(ROOT, root))) {
      const sf = ts.createSourceFile(path, readFileSync(path, 'utf8'), ts.ScriptTarget.Latest, true);
      const visit = (node: ts.Node): void => {
        if (ts.isFunctionLike(node) && 'body' in node && node.body) {
          const body = node.body as ts.Node;
          const lines = sf.getLineAndCharacterOfPosition(body.getEnd()).line - sf.getLineAndCharacterOfPosition(body.getStart(sf)).line + 1;
          if (lines > limit) out.push({ file: relative(ROOT, path).split('\\').join('/'), name: nameOf(node, sf), lines });
        }
        ts.forEachChild(node, visit);
      };
      visit(sf);
    }
  }
  return out.sort((a, b) => b.lines - a.lines);
}

// `npx tsx test/unit/architecture/long-functions.ts [limit]`: the list, and the count per root.
if (process.argv[1] && /long-functions\.ts$/.test(process.argv[1])) {
  const found = longFunctions(Number(process.argv[2] ?? 150));
  for (const f of found) console.log(`${String(f.lines).padStart(5)}  ${f.file}  ${f.name}`);
  for (const root of SOURCE_ROOTS) console.log(`${root}: ${found.filter((f) => f.file.startsWith(`${root}/`)).length}`);
  console.log(`total: ${found.length}`);
}
