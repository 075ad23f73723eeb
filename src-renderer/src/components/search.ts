import { listOps, type OpDef } from '../../../src-engine/facade';

/** Ops whose name, category or doc matches every word of `query`; name matches first. */
export function searchOps(query: string): OpDef[] {
  const words = query.toLowerCase().split(/\s+/).filter(Boolean);
  const ops = listOps();
  if (words.length === 0) return [...ops];
  const hits = ops.filter((op) => words.every((w) => `${op.name} ${op.category} ${op.doc}`.toLowerCase().includes(w)));
  const byName = (op: OpDef) => (op.name.toLowerCase().startsWith(words[0]) ? 0 : op.name.toLowerCase().includes(words[0]) ? 1 : 2);
  return hits.sort((a, b) => byName(a) - byName(b));
}
