import { createNode } from '../../../src-renderer/src/editor/graph';
import type { EditorDoc } from '../../../src-renderer/src/editor/document';
import { emptyDoc } from '../../../src-renderer/src/editor/document';
import { applyEdit } from '../../../src-renderer/src/editor/reducer';
import type { EditAction } from '../../../src-renderer/src/editor/actions';
import type { HostFiles } from '../../../src-contracts/host';

/** Apply edits that must succeed. */
export function build(doc: EditorDoc, ...actions: EditAction[]): EditorDoc {
  for (const a of actions) {
    const r = applyEdit(doc, a);
    if (!r.ok) throw new Error(`${a.kind} refused: ${r.code} ${r.message}`);
    doc = r.doc;
  }
  return doc;
}

/** Input [1,28,28] → Flatten → Linear(128) → ReLU → Linear(10) → CrossEntropyLoss ← Input target. */
export function mlpDoc(): EditorDoc {
  const taken = new Set<string>();
  const mk = (op: string, id: string, attrs: Record<string, unknown> = {}) => {
    const n = createNode(op, taken, id);
    taken.add(id);
    return { ...n, attrs: { ...n.attrs, ...attrs } as typeof n.attrs };
  };
  let y = 0;
  const at = () => ({ x: 0, y: (y += 100) });
  return build(
    emptyDoc('mlp'),
    { kind: 'add-node', node: mk('Input', 'x', { shape: [1, 28, 28] }), position: at() },
    { kind: 'add-node', node: mk('Flatten', 'flat'), position: at() },
    { kind: 'add-node', node: mk('Linear', 'fc1', { outFeatures: 128 }), position: at() },
    { kind: 'add-node', node: mk('ReLU', 'act'), position: at() },
    { kind: 'add-node', node: mk('Linear', 'fc2'), position: at() },
    { kind: 'add-node', node: mk('Input', 'y', { shape: [], source: 'target' }), position: { x: 200, y: 500 } },
    { kind: 'add-node', node: mk('CrossEntropyLoss', 'loss'), position: at(), output: 'loss' },
    { kind: 'connect', edge: { source: 'x', target: 'flat', slot: 0 } },
    { kind: 'connect', edge: { source: 'flat', target: 'fc1', slot: 0 } },
    { kind: 'connect', edge: { source: 'fc1', target: 'act', slot: 0 } },
    { kind: 'connect', edge: { source: 'act', target: 'fc2', slot: 0 } },
    { kind: 'connect', edge: { source: 'fc2', target: 'loss', slot: 0 } },
    { kind: 'connect', edge: { source: 'y', target: 'loss', slot: 1 } },
    { kind: 'set-output', name: 'logits', nodeId: 'fc2' },
  );
}

/** A host with an in-memory folder, recording what the app asked of it. */
/** A file's version in `memoryHost`: any string that changes with the text (the real host hashes it). */
const memoryVersion = (text: string): string => `${text.length}:${[...text].reduce((h, c) => (h * 31 + c.charCodeAt(0)) >>> 0, 7)}`;

export function memoryHost(nativeDialogs = false) {
  const disk = new Map<string, string>();
  let recovery: { text: string; savedAt: number } | null = null;
  const titles: [string, boolean][] = [];
  const files: HostFiles = {
    nativeDialogs,
    pickOpen: async () => null,
    pickSave: async (name) => `/picked/${name}`,
    saveCaptures: async () => ({ folder: '', names: [] }),
    list: async () => [...disk.keys()].map((p) => ({ path: p, name: p, modified: 0 })),
    read: async (p) => {
      const text = disk.get(p);
      if (text === undefined) throw new Error(`no such file ${p}`);
      return { path: p, name: p.replace(/^.*\//, ''), text, version: memoryVersion(text) };
    },
    write: async (p, text, condition) => {
      const now = disk.get(p);
      if (now !== undefined && condition && 'ifAbsent' in condition) throw Object.assign(new Error(`${p} already exists`), { code: 'E_FILE_EXISTS' });
      if (now !== undefined && condition && 'ifVersion' in condition && memoryVersion(now) !== condition.ifVersion) throw Object.assign(new Error(`${p} changed`), { code: 'E_FILE_CHANGED' });
      disk.set(p, text);
      return { version: memoryVersion(text) };
    },
    recent: async () => [],
    writeRecovery: async (text) => void (recovery = { text, savedAt: 1 }),
    readRecovery: async () => recovery,
    clearRecovery: async () => void (recovery = null),
    writeExport: async (target) => ({ path: target, full: target }),
    beginExport: async () => ({ id: 'export-0000' }),
    appendExport: async () => {},
    commitExport: async () => ({ path: 'export', full: 'export' }),
    cancelExport: async () => {},
  };
  return { disk, titles, files, recovery: () => recovery, setTitle: (t: string, d: boolean) => titles.push([t, d]), onCloseRequest: () => () => {} };
}
