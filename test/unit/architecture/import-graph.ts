import fs from 'node:fs';
import path from 'node:path';
import ts from 'typescript';

/**
 * The import graph of a source folder, type imports included: every relative `import`,
 * `import type`, `export … from` and `import()` of each `.ts`/`.tsx` file under `roots` (folders
 * of `dir`; all of it by default), resolved to a file path relative to `dir`. Reads each file once with the compiler's pre-processor (no type check).
 */
export function importGraph(dir: string, roots: readonly string[] = ['.']): Map<string, string[]> {
  const files: string[] = [];
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.tsx?$/.test(e.name) && !e.name.endsWith('.d.ts')) files.push(p);
    }
  };
  for (const r of roots) walk(path.resolve(dir, r));
  const known = new Set(files);
  const resolve = (from: string, spec: string): string | undefined => {
    const base = path.resolve(path.dirname(from), spec.replace(/\.js$/, ''));
    return [base + '.ts', base + '.tsx', path.join(base, 'index.ts'), path.join(base, 'index.tsx'), base].find((c) => known.has(c));
  };
  const graph = new Map<string, string[]>();
  for (const file of files.sort()) {
    const info = ts.preProcessFile(fs.readFileSync(file, 'utf8'), true, true);
    const deps = new Set<string>();
    for (const ref of info.importedFiles) {
      if (!ref.fileName.startsWith('.')) continue;
      const target = resolve(file, ref.fileName);
      if (target) deps.add(path.relative(dir, target));
    }
    graph.set(path.relative(dir, file), [...deps]);
  }
  return graph;
}

/**
 * The import cycles a depth-first walk meets, each as the files on the cycle in import order —
 * the same walk madge's `--circular` does, so the counts compare. Empty exactly when the graph
 * has no cycle.
 */
export function importCycles(graph: Map<string, string[]>): string[][] {
  const cycles: string[][] = [];
  const done = new Set<string>();
  const onPath: string[] = [];
  const visit = (id: string): void => {
    onPath.push(id);
    for (const dep of graph.get(id) ?? []) {
      if (done.has(dep)) continue;
      const at = onPath.indexOf(dep);
      if (at >= 0) cycles.push(onPath.slice(at));
      else visit(dep);
    }
    onPath.pop();
    done.add(id);
  };
  for (const id of graph.keys()) if (!done.has(id)) visit(id);
  return cycles;
}
