/**
 * Issue #17, class 2: opening a file can't corrupt the app. `parseProject` over 10,000+ seeded
 * documents — mutated examples, random graphs, prototype-named ids, deep values and long chains —
 * must never throw, never take a second of CPU, never write to a shared prototype, and whatever it
 * opens must be safe to lay out, analyse and save again.
 */
import { readFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { Rng } from '../../../src-engine/base/rng';
import { listOps } from '../../../src-engine/core/ops/registry';
import { analyzeDesign } from '../../../src-renderer/src/editor/analysis';
import { autoLayout } from '../../../src-renderer/src/editor/layout';
import { NODE_ID_PATTERN } from '../../../src-renderer/src/editor/graph';
import { ProjectCode, parseProject, serializeProject } from '../../../src-renderer/src/editor/project';
import { cpuMs } from '../cpu-time';

const EXAMPLES = path.resolve(__dirname, '../../../examples');
const examples = readdirSync(EXAMPLES)
  .filter((f) => f.endsWith('.json'))
  .map((f) => JSON.parse(readFileSync(path.join(EXAMPLES, f), 'utf8')) as Record<string, unknown>);

/** Every own key of Object.prototype and its friends; a file must not name them into existence. */
const PROTO_NAMES = Object.getOwnPropertyNames(Object.prototype);
const IDS = [...PROTO_NAMES, 'prototype', '__proto__', 'constructor', 'then', 'length', 'x', 'in', 'out', 'a.b', '-', '', ' ', '0', 'ü'];
const OPS = listOps().map((d) => d.name);
const PROTOTYPES = [Object.prototype, Array.prototype, Function.prototype, String.prototype, Number.prototype];

/** A fingerprint of the shared prototypes: names and values of their own properties. */
function prototypeFingerprint(): string[] {
  return PROTOTYPES.map((p) =>
    Reflect.ownKeys(p)
      .map((k) => {
        const d = Object.getOwnPropertyDescriptor(p, k)!;
        const v: unknown = d.value;
        const shown = typeof v === 'function' ? v.name : typeof v === 'object' && v !== null ? Reflect.ownKeys(v).map(String).join('|') : String(v);
        return `${String(k)}:${typeof v}:${shown}:${typeof d.get}:${typeof d.set}`;
      })
      .join(','),
  );
}

function mutate(value: unknown, rng: Rng, atoms: () => unknown): unknown {
  if (rng.uniform() < 0.15 || value === null || typeof value !== 'object') return atoms();
  if (Array.isArray(value)) {
    const out = [...value];
    const r = rng.uniform();
    if (out.length && r < 0.3) out.splice(rng.int(out.length), 1);
    else if (out.length && r < 0.5) out.push(out[rng.int(out.length)]);
    else if (out.length) out[rng.int(out.length)] = mutate(out[rng.int(out.length)], rng, atoms);
    else out.push(atoms());
    return out;
  }
  const out: Record<string, unknown> = { ...(value as Record<string, unknown>) };
  const keys = Object.keys(out);
  const r = rng.uniform();
  if (keys.length && r < 0.2) delete out[keys[rng.int(keys.length)]];
  else if (r < 0.35) Object.defineProperty(out, IDS[rng.int(IDS.length)], { value: atoms(), enumerable: true, configurable: true, writable: true });
  else if (keys.length) {
    const k = keys[rng.int(keys.length)];
    out[k] = mutate(out[k], rng, atoms);
  }
  return out;
}

function randomGraph(rng: Rng, n: number, idOf: (i: number) => string): Record<string, unknown> {
  const nodes = Array.from({ length: n }, (_, i) => {
    const op = i === 0 ? 'Input' : OPS[rng.int(OPS.length)];
    const inputs = i === 0 ? [] : Array.from({ length: 1 + rng.int(2) }, () => idOf(rng.int(i)));
    return { id: idOf(i), op, attrs: op === 'Input' ? { shape: [1 + rng.int(8)] } : {}, inputs };
  });
  return { format: 'netwright.graph', version: 1, nodes, outputs: { out: idOf(n - 1) } };
}

const chain = (n: number, idOf: (i: number) => string) => ({
  format: 'netwright.graph',
  version: 1,
  nodes: Array.from({ length: n }, (_, i) => (i === 0 ? { id: idOf(0), op: 'Input', attrs: { shape: [4] }, inputs: [] } : { id: idOf(i), op: 'ReLU', attrs: {}, inputs: [idOf(i - 1)] })),
  outputs: {},
});

const asProject = (graph: unknown, layout: unknown) => ({ format: 'netwright.project', version: 1, graph, layout });
const deep = (depth: number, leaf: string) => '{"a":'.repeat(depth) + leaf + '}'.repeat(depth);

/** The seeded corpus: [kind, text] pairs. */
function* corpus(seed: number, count: number): Generator<[string, string]> {
  const rng = new Rng(seed);
  const atoms = (): unknown => {
    const pool: unknown[] = [null, true, 0, -1, 1.5, 1e308, NaN, '', 'x', '__proto__', 'toString', [], {}, [3, 3], { x: 1, y: 2 }, { __proto__: { polluted: 1 } }, IDS[rng.int(IDS.length)], OPS[rng.int(OPS.length)]];
    return pool[rng.int(pool.length)];
  };
  for (let i = 0; i < count; i++) {
    const r = rng.uniform();
    if (r < 0.35) {
      // A mutated example, bare or as a project with (some) positions.
      const ex = examples[rng.int(examples.length)];
      let doc: unknown = ex;
      for (let k = 1 + rng.int(4); k > 0; k--) doc = mutate(doc, rng, atoms);
      if (rng.uniform() < 0.6) {
        const nodes = (ex.nodes as { id: string }[]) ?? [];
        const layout = Object.fromEntries(nodes.filter(() => rng.uniform() < 0.9).map((n, j) => [n.id, { x: j * 10, y: j * 90 }]));
        doc = mutate(asProject(doc, layout), rng, atoms);
      }
      yield ['mutated example', JSON.stringify(doc)];
    } else if (r < 0.7) {
      // A random graph whose ids are often prototype names.
      const n = 2 + rng.int(12);
      const names = new Map<number, string>();
      const idOf = (j: number) => {
        if (!names.has(j)) names.set(j, rng.uniform() < 0.4 ? IDS[rng.int(IDS.length)] : `n${j}`);
        return names.get(j)!;
      };
      const g = randomGraph(rng, n, idOf);
      const ids = (g.nodes as { id: string }[]).map((x) => x.id);
      const layout = rng.uniform() < 0.7 ? Object.fromEntries(ids.filter(() => rng.uniform() < 0.95).map((id, j) => [id, { x: j, y: j }])) : {};
      // JSON text with the keys as given (`__proto__` as an own key, as JSON.parse reads it).
      const text = rng.uniform() < 0.5 ? JSON.stringify(g) : JSON.stringify(asProject(g, layout)).replace('"layout":{', `"layout":{"__proto__":{"polluted":1},`);
      yield ['random graph', text];
    } else if (r < 0.85) {
      // Raw text damage: truncation, byte flips, prototype keys spliced in.
      const base = JSON.stringify(rng.uniform() < 0.5 ? examples[rng.int(examples.length)] : asProject(examples[rng.int(examples.length)], {}));
      const cut = rng.int(base.length);
      const variants = [
        base.slice(0, cut),
        base.slice(0, cut) + String.fromCharCode(rng.int(128)) + base.slice(cut + 1),
        base.replace(/"id":"[^"]*"/, `"id":"${IDS[rng.int(IDS.length)]}"`),
        base.replace('"attrs":{', '"attrs":{"__proto__":{"units":1e9},'),
        base.replace('"nodes":', '"__proto__":{"nodes":[]},"nodes":'),
      ];
      yield ['damaged text', variants[rng.int(variants.length)]];
    } else if (r < 0.99) {
      // Deep values where a file may hold anything: attrs, training, ui, layout; and deep files.
      const depth = [50, 63, 64, 65, 200, 3000, 20_000][rng.int(7)];
      const ex = JSON.stringify(examples[rng.int(examples.length)]);
      const variants = [
        ex.replace('"attrs":{', `"attrs":{"deep":${deep(depth, '1')},`),
        JSON.stringify(asProject(JSON.parse(ex), {})).replace('"layout":{}', `"layout":{},"ui":${deep(depth, '{}')}`),
        '['.repeat(depth) + ']'.repeat(depth),
        deep(depth, '{"format":"netwright.project"}'),
      ];
      yield ['deep value', variants[rng.int(variants.length)]];
    } else {
      // Long graphs: chains past dagre's recursion limit, wide fans, prototype-named ids in them.
      const n = [150, 151, 500, 2000, 2500, 3000][rng.int(6)];
      const idOf = (j: number) => (j % 97 === 5 ? PROTO_NAMES[j % PROTO_NAMES.length] + j : j === n - 1 ? 'toString' : `n${j}`);
      const g = rng.uniform() < 0.7 ? chain(n, idOf) : randomGraph(rng, Math.min(n, 1000), idOf);
      yield ['long graph', JSON.stringify(rng.uniform() < 0.5 ? g : asProject(g, {}))];
    }
  }
}

interface Tally {
  docs: number;
  opened: number;
  refused: Record<string, number>;
  threw: string[];
  slow: string[];
  prototypeWrites: string[];
  unsafeResults: string[];
}

function run(seed: number, count: number): Tally {
  const tally: Tally = { docs: 0, opened: 0, refused: {}, threw: [], slow: [], prototypeWrites: [], unsafeResults: [] };
  const before = prototypeFingerprint();
  for (const [kind, text] of corpus(seed, count)) {
    tally.docs++;
    const t0 = cpuMs();
    let r: ReturnType<typeof parseProject>;
    try {
      r = parseProject(text);
    } catch (e) {
      tally.threw.push(`${kind}: ${(e as Error).message} in ${text.slice(0, 120)}`);
      continue;
    }
    const ms = cpuMs() - t0;
    if (ms > 1000) tally.slow.push(`${kind}: ${ms.toFixed(0)} ms of CPU`);
    const now = prototypeFingerprint();
    if (now.join() !== before.join() || ({} as Record<string, unknown>).polluted !== undefined) {
      tally.prototypeWrites.push(`${kind}: ${text.slice(0, 120)}`);
      break;
    }
    if (!r.ok) {
      tally.refused[r.code] = (tally.refused[r.code] ?? 0) + 1;
      continue;
    }
    tally.opened++;
    // What opened must be usable: every node placed (an own, finite position), analysable, savable.
    try {
      const { graph, layout } = r.doc;
      const proto = Object.getPrototypeOf(layout) as unknown;
      if (proto !== null && proto !== Object.prototype) throw new Error('the layout has a foreign prototype');
      for (const n of graph.nodes) {
        const p = Object.hasOwn(layout, n.id) ? layout[n.id] : undefined;
        if (!p || !Number.isFinite(p.x) || !Number.isFinite(p.y)) throw new Error(`node ${n.id} has no position`);
        const ap = Object.getPrototypeOf(n.attrs) as unknown;
        if (ap !== null && ap !== Object.prototype) throw new Error(`node ${n.id}'s attrs have a foreign prototype`);
      }
      if (graph.nodes.length <= 200) analyzeDesign(graph);
      const again = parseProject(serializeProject(r.doc));
      if (!again.ok) throw new Error(`saved copy does not open: ${again.message}`);
    } catch (e) {
      tally.unsafeResults.push(`${kind}: ${(e as Error).message}`);
    }
  }
  return tally;
}

describe('parseProject fuzz (seeded)', () => {
  it('negative control: the prototype detector sees a write to Object.prototype', () => {
    const before = prototypeFingerprint().join();
    (Object.prototype as Record<string, unknown>).netwrightProbe = 1;
    try {
      expect(prototypeFingerprint().join()).not.toBe(before);
    } finally {
      delete (Object.prototype as Record<string, unknown>).netwrightProbe;
    }
    expect(prototypeFingerprint().join()).toBe(before);
  });

  // Four seeds of 2,600 documents: 10,400 in all, each block a few seconds.
  it.each([1, 2, 3, 4])('seed %i: 2,600 documents, 0 throws, 0 hangs > 1 s, 0 prototype writes, every opened document usable', (seed) => {
    const t = run(seed, 2600);
    expect(t.docs).toBe(2600);
    expect(t.threw).toEqual([]);
    expect(t.slow).toEqual([]);
    expect(t.prototypeWrites).toEqual([]);
    expect(t.unsafeResults).toEqual([]);
    // The corpus reaches both outcomes and the new refusals (so the checks above were exercised).
    expect(t.opened).toBeGreaterThan(300);
    expect(t.refused[ProjectCode.TOO_DEEP]).toBeGreaterThan(10);
    expect(t.refused[ProjectCode.CORRUPT]).toBeGreaterThan(100);
  });
});

describe('the cases from the issue', () => {
  const g = (ids: string[]) => ({ format: 'netwright.graph', version: 1, nodes: ids.map((id, i) => ({ id, op: i === 0 ? 'Input' : 'ReLU', attrs: i === 0 ? { shape: [4] } : {}, inputs: i === 0 ? [] : [ids[i - 1]] })), outputs: {} });

  it('refuses a node called __proto__, constructor or prototype, like the engine', () => {
    for (const id of ['__proto__', 'constructor', 'prototype']) {
      const r = parseProject(JSON.stringify(g([id, 'b'])));
      expect(r).toMatchObject({ ok: false, code: ProjectCode.CORRUPT });
    }
    expect(({} as Record<string, unknown>).x).toBeUndefined();
    // The editor refuses them as new names too; other prototype names are ordinary ids.
    expect(['__proto__', 'constructor', 'prototype'].filter((id) => NODE_ID_PATTERN.test(id))).toEqual([]);
    expect(NODE_ID_PATTERN.test('toString')).toBe(true);
  });

  it('opens nodes called toString, hasOwnProperty or valueOf, places them, and analyses them', () => {
    const r = parseProject(JSON.stringify(g(['toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf'])));
    if (!r.ok) throw new Error(r.message);
    expect(Object.keys(r.doc.layout)).toEqual(['toString', 'hasOwnProperty', 'valueOf', 'isPrototypeOf']);
    for (const p of Object.values(r.doc.layout)) expect(Number.isFinite(p.x) && Number.isFinite(p.y)).toBe(true);
    // A design whose node `toString` has no shape yet (unconnected) must not read Object.prototype.toString.
    const unconnected = { ...r.doc.graph, nodes: [{ id: 'toString', op: 'ReLU', attrs: {}, inputs: [] }] };
    expect(() => analyzeDesign(unconnected)).not.toThrow();
  });

  it('lays out chains of 2,000 to 20,000 nodes (dagre overflowed its stack) in well under a second each', () => {
    for (const n of [2000, 5000, 20_000]) {
      const t0 = cpuMs();
      const r = parseProject(JSON.stringify(chain(n, (i) => `n${i}`)));
      expect(r.ok).toBe(true);
      expect(cpuMs() - t0, 'CPU ms').toBeLessThan(1000);
      if (r.ok) expect(r.doc.layout[`n${n - 1}`].y).toBeGreaterThan(r.doc.layout.n0.y);
    }
  });

  it('refuses values nested thousands deep instead of opening what cannot be saved or trained', () => {
    const text = JSON.stringify({ format: 'netwright.graph', version: 1, nodes: [], outputs: {} }).replace('"nodes"', `"x":${deep(5000, '1')},"nodes"`);
    expect(parseProject(text)).toMatchObject({ ok: false, code: ProjectCode.TOO_DEEP });
  });

  it('the iterative layout places producers above consumers, and survives cycles a damaged file may hold', () => {
    const cyc = { format: 'netwright.graph', version: 1, outputs: {}, nodes: [{ id: 'a', op: 'ReLU', attrs: {}, inputs: ['c'] }, { id: 'b', op: 'ReLU', attrs: {}, inputs: ['a'] }, { id: 'c', op: 'ReLU', attrs: {}, inputs: ['b'] }] };
    const pos = autoLayout(cyc as never);
    expect(new Set(Object.values(pos).map((p) => `${p.x},${p.y}`)).size).toBe(3);
  });
});
