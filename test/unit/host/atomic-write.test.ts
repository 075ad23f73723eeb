/**
 * #81 H6, for the host's own temp files: `writeAtomic` (the host's state, `host-state.ts`) opened
 * its temp name `<target>.<pid>.<8 hex>.tmp` with 'w', following a link planted there. Here the
 * random part is fixed (node:crypto's randomBytes mocked, so this file runs in a process of its
 * own: vitest.config.ts) and a link to another user's file planted at that very name first.
 */
import * as crypto from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { writeAtomic } from '../../../src-main/host/atomic-write';

vi.mock('node:crypto', async (original) => {
  const real = await original<typeof crypto>();
  return { ...real, randomBytes: vi.fn(real.randomBytes) };
});

describe('writeAtomic: its temp file (#81 H6)', () => {
  it('is created exclusively: a link planted at its name is not written through, and is left as it was', async () => {
    vi.mocked(crypto.randomBytes).mockImplementation(((n: number) => Buffer.alloc(n, 0xcd)) as typeof crypto.randomBytes);
    const dir = mkdtempSync(path.join(tmpdir(), 'nw-atomic-'));
    const victim = path.join(mkdtempSync(path.join(tmpdir(), 'nw-victim-')), 'victim.txt');
    writeFileSync(victim, 'the victim’s file');
    const target = path.join(dir, 'window-state.json');
    writeFileSync(target, '{"old":true}');
    const planted = `${target}.${process.pid}.cdcdcdcd.tmp`;
    symlinkSync(victim, planted);
    await expect(writeAtomic(target, '{"new":true}')).rejects.toMatchObject({ code: 'EEXIST' });
    expect(readFileSync(victim, 'utf8')).toBe('the victim’s file');
    expect(readFileSync(target, 'utf8')).toBe('{"old":true}');
    expect(readdirSync(dir).sort()).toEqual([path.basename(target), path.basename(planted)].sort());
    // With a name nobody planted anything at, it writes as before.
    vi.mocked(crypto.randomBytes).mockReset();
    await writeAtomic(target, '{"new":true}');
    expect(readFileSync(target, 'utf8')).toBe('{"new":true}');
  });
});
