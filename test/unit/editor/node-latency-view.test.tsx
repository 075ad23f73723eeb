/**
 * Each node's measured cost on the canvas (#85 deliverable 6): the window's latency store asks the
 * engine (`graph.latency`, here a fake engine over an in-memory channel pair that answers fixed
 * figures and counts the requests) once the design has settled, the node card shows its time and
 * memory beside its parameters and FLOPs, the status bar the total; an edit that changes the forward
 * greys them (stale) until they are measured again, and one that does not (a move, the training
 * settings) leaves them as they are and asks nothing.
 */
import { ReactFlowProvider, type NodeProps } from '@xyflow/react';
import type { ReactElement } from 'react';
import { renderToStaticMarkup } from 'react-dom/server';
import { beforeEach, describe, expect, it } from 'vitest';
import { RpcClient, RpcServer, createMemoryChannelPair, type ParamsOf, type ResultOf } from '../../../src-engine/protocol';
import { OpNode } from '../../../src-renderer/src/components/OpNode';
import { StatusBar } from '../../../src-renderer/src/components/StatusBar';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import type { OpFlowNode } from '../../../src-renderer/src/editor/flow';
import { parseProject } from '../../../src-renderer/src/editor/project';
import { LATENCY_DEBOUNCE_MS, selectLatencyStale } from '../../../src-renderer/src/state/latency-store';
import { WindowStoresProvider } from '../../../src-renderer/src/state/window';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';
import { twoMoonsGraph } from '../session/fixtures';

let w: WindowStores;
let asked: ParamsOf<'graph.latency'>[];

/** What the fake engine answers: fc1 0.25 ms, 2 × 16 × 4 bytes of weights … (the figures the card must show). */
function answer(graph: { nodes: { id: string }[] }): ResultOf<'graph.latency'> {
  const nodes = graph.nodes.map((n, i) => ({ id: n.id, ms: n.id === 'fc1' ? 0.25 : 0.001 * (i + 1), activationBytes: 64, paramBytes: n.id === 'fc1' ? 192 : 0 }));
  return { batchSize: 1, nodes, sumMs: nodes.reduce((s, n) => s + n.ms, 0), forwardMs: 0.3, repeats: 9, backend: 'CPU · 1 thread' };
}

beforeEach(() => {
  w = createWindowStores();
  asked = [];
  const [a, b] = createMemoryChannelPair();
  new RpcServer(b, {
    'graph.latency': (p) => {
      asked.push(p);
      return answer(p.graph as { nodes: { id: string }[] });
    },
  });
  w.engine.setState({ client: new RpcClient(a), state: 'ready' });
  const parsed = parseProject(JSON.stringify(twoMoonsGraph()));
  if (!parsed.ok) throw new Error(parsed.message);
  w.editor.getState().load(parsed.doc, { name: 'moons' });
});

/** Wait until `ok()` holds (the store's debounce is real time), up to 10 s. */
async function until(ok: () => boolean, what: string): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > 10_000) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/**
 * The card of node `id` and the status bar, as HTML, from the window's stores as they stand.
 * NOTE: a server render reads a zustand store's server snapshot, its initial state
 * (`getInitialState`); each store's is pointed at its present state first.
 */
function render(id: string): { card: string; status: string } {
  for (const store of Object.values(w)) if (store && typeof store === 'object' && 'getInitialState' in store && 'getState' in store) (store as { getInitialState: unknown; getState: unknown }).getInitialState = (store as { getState: unknown }).getState;
  const node = w.editor.getState().history.present.graph.nodes.find((n) => n.id === id);
  const props = { id, data: { ir: node }, selected: false, type: 'op' } as unknown as NodeProps<OpFlowNode>;
  const wrap = (el: ReactElement) => renderToStaticMarkup(<WindowStoresProvider stores={w}><ReactFlowProvider>{el}</ReactFlowProvider></WindowStoresProvider>);
  if (!node) return { card: '', status: wrap(<StatusBar />) };
  return { card: wrap(<OpNode {...props} />), status: wrap(<StatusBar />) };
}

/** The `data-stale` of the element whose test id is `testId` in `html`. */
const staleOf = (html: string, testId: string): string | undefined => new RegExp(`data-testid="${testId}"[^>]*data-stale="(\\w+)"`).exec(html)?.[1];

describe('node latency on the canvas', () => {
  it('the figures the engine measured are shown beside the parameters and FLOPs, with the total in the status bar', async () => {
    await until(() => w.latency.getState().status === 'idle', 'the first measurement');
    expect(asked).toHaveLength(1);
    const { card, status } = render('fc1');
    // fc1: Linear 2 → 16: 48 parameters, 2 × 2 × 16 = 64 FLOPs a sample.
    expect(card).toContain('data-testid="node-params-fc1"');
    expect(card).toMatch(/data-testid="node-flops-fc1"[^>]*>64 FLOPs</);
    expect(card).toMatch(/data-testid="node-latency-fc1"[^>]*>250 µs · 256 B</);
    expect(staleOf(card, 'node-latency-fc1')).toBe('false');
    // The whole forward's 0.3 ms.
    expect(status).toMatch(/data-testid="total-latency"[^>]*>300 µs at batch 1</);
    expect(staleOf(status, 'total-latency')).toBe('false');
  });

  it('an edit that changes the forward greys the figures until they are measured again; a move or a training setting asks nothing', async () => {
    await until(() => w.latency.getState().status === 'idle', 'the first measurement');
    // Moving a node, or changing the epochs, changes nothing a forward does.
    w.editor.getState().edit({ kind: 'move', positions: { fc1: { x: 500, y: 40 } } });
    const t = w.editor.getState().history.present.graph.training!;
    w.editor.getState().edit({ kind: 'set-training', training: { ...t, epochs: t.epochs + 1 } });
    expect(selectLatencyStale(w.latency.getState())).toBe(false);
    await new Promise((r) => setTimeout(r, LATENCY_DEBOUNCE_MS + 200));
    expect(asked).toHaveLength(1);

    // fc1 gets 32 outputs: its old figures stay on the card, greyed, and the total too.
    w.editor.getState().edit({ kind: 'set-attrs', nodeIds: ['fc1'], attrs: { outFeatures: 32 } });
    let { card, status } = render('fc1');
    expect(staleOf(card, 'node-latency-fc1')).toBe('true');
    expect(card).toContain('badge--stale');
    expect(staleOf(status, 'total-latency')).toBe('true');
    expect(asked).toHaveLength(1);
    // Measured again once the design has settled: fresh figures, not greyed.
    await until(() => asked.length === 2 && w.latency.getState().status === 'idle', 'the second measurement');
    expect((asked[1].graph as { nodes: { id: string; attrs: { outFeatures?: number } }[] }).nodes.find((n) => n.id === 'fc1')!.attrs.outFeatures).toBe(32);
    ({ card, status } = render('fc1'));
    expect(staleOf(card, 'node-latency-fc1')).toBe('false');
    expect(card).not.toContain('badge--stale');
    expect(staleOf(status, 'total-latency')).toBe('false');
    // Undo, then redo: the design measured last is the design again, not greyed, and not asked twice.
    w.editor.getState().undo();
    expect(staleOf(render('fc1').card, 'node-latency-fc1')).toBe('true');
    w.editor.getState().redo();
    expect(staleOf(render('fc1').card, 'node-latency-fc1')).toBe('false');
    await new Promise((r) => setTimeout(r, LATENCY_DEBOUNCE_MS + 200));
    expect(asked).toHaveLength(2);
    expect(w.latency.getState().status).toBe('idle');
  });

  it('a design with errors is not measured; its old figures stay greyed', async () => {
    await until(() => w.latency.getState().status === 'idle', 'the first measurement');
    w.editor.getState().edit({ kind: 'disconnect', edges: [{ source: 'relu1', target: 'fc2', slot: 0 }] });
    await until(() => w.latency.getState().status === 'blocked', 'the store to see the errors');
    expect(asked).toHaveLength(1);
    expect(staleOf(render('fc1').card, 'node-latency-fc1')).toBe('true');
  });

  it('New (an empty canvas) drops the last design\'s figures: the status bar shows no time for it (#82 journey)', async () => {
    await until(() => w.latency.getState().status === 'idle', 'the first measurement');
    expect(render('fc1').status).toContain('data-testid="total-latency"');
    w.editor.getState().load(emptyDoc(), { name: 'Untitled' });
    await until(() => w.latency.getState().totals === undefined, 'the empty design to settle');
    expect(render('fc1').status).not.toContain('data-testid="total-latency"');
    expect(asked).toHaveLength(1);
  });

  it('a design the engine crashed on while measuring is not sent again by itself after the restart', async () => {
    w = createWindowStores();
    const parsed = parseProject(JSON.stringify(twoMoonsGraph()));
    if (!parsed.ok) throw new Error(parsed.message);
    /** An engine that takes requests and never answers (it is about to die); what it got, by method. */
    const silent = () => {
      const [a, b] = createMemoryChannelPair();
      const got: string[] = [];
      b.onMessage((m) => got.push((m as { method: string }).method));
      w.engine.setState({ client: new RpcClient(a, () => {}), state: 'ready' });
      return { got, end: b };
    };
    const first = silent();
    w.editor.getState().load(parsed.doc, { name: 'moons' });
    await until(() => first.got.includes('graph.latency'), 'the first engine to be asked');
    first.end.close();
    w.engine.getState().status({ kind: 'host', type: 'engine-status', state: 'crashed', restarts: 1, detail: 'The engine exited (out of memory).' });
    const second = silent();
    // The restarted engine is not asked: the store is refused at once (E_ENGINE_CRASHED_ON_REQUEST) and says so.
    await until(() => /not asked again by itself/.test(w.latency.getState().error ?? ''), 'the refusal');
    expect(w.latency.getState().status).toBe('failed');
    expect(second.got).not.toContain('graph.latency');
  });
});
