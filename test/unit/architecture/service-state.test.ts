import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';

/**
 * The engine service's handler groups share no mutable context (#58): each piece of a
 * connection's state (the current run, the loaded, last and staged models, the sweep in progress)
 * is a private field of the one object that owns it (handlers/run-slot.ts, model-slot.ts,
 * sweep-slot.ts), and the groups change it only through that object's methods. Read from the
 * source: a public field that is not `readonly` on any class of handlers/, or a handler that
 * assigns through the context (`ctx.run = …`, `ctx.sweep.cancelled = …`), is shared mutable state again.
 */
const dir = path.resolve(__dirname, '../../../src-engine/app/handlers');
const files = readdirSync(dir)
  .filter((f) => f.endsWith('.ts'))
  .map((f) => [f, readFileSync(path.join(dir, f), 'utf8')] as const);

/** The fields a class body declares at its top level (two spaces in), as `name` with the modifiers written before it. */
function classFields(text: string): { cls: string; field: string; modifiers: string }[] {
  const out: { cls: string; field: string; modifiers: string }[] = [];
  for (const m of text.matchAll(/^export class (\w+)[^{]*\{\n([\s\S]*?)^\}/gm)) {
    for (const f of m[2].matchAll(/^ {2}((?:(?:private|protected|public|readonly|static) )*)(#?\w+)\??(?::|\s*=)/gm)) out.push({ cls: m[1], field: f[2], modifiers: f[1] });
  }
  return out;
}

describe('the engine service: each piece of state owned by one service', () => {
  it('no class of the handlers has a public field that can be assigned', () => {
    const fields = files.flatMap(([f, text]) => classFields(text).map((c) => ({ file: f, ...c })));
    // The scan sees the fields: the context's services, the slots' state.
    expect(fields.map((c) => `${c.cls}.${c.field}`)).toEqual(expect.arrayContaining(['ServiceContext.run', 'ServiceContext.model', 'ServiceContext.sweep', 'RunSlot.run', 'ModelSlot.current', 'SweepSlot.current']));
    const assignable = fields.filter((c) => !c.field.startsWith('#') && !/\b(private|readonly)\b/.test(c.modifiers));
    expect(assignable).toEqual([]);
  });

  it('no handler assigns through the shared context', () => {
    const assigned = files.flatMap(([f, text]) => [...text.matchAll(/\bctx(?:\.\w+)+\s*(?:[-+*/|&?]{0,3})=(?![=>])/g)].map((m) => `${f}: ${m[0]}`));
    expect(assigned).toEqual([]);
  });
});
