import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { FuseV1Options } from '@electron/fuses';
import { applyFuses, fuseMismatches, NETWRIGHT_FUSES } from '../../../src-main/build/fuses';

const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const dir = mkdtempSync(path.join(os.tmpdir(), 'netwright-fuses-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A stand-in for an Electron binary: padding, the fuse sentinel, wire version 1, nine fuses all enabled ('1'), as Electron ships. */
function fakeElectron(name: string): string {
  const file = path.join(dir, name);
  const wire = Buffer.concat([Buffer.alloc(4096, 0x2a), Buffer.from(SENTINEL), Buffer.from([1, 9]), Buffer.from('111111111'), Buffer.alloc(512, 0x2a)]);
  writeFileSync(file, wire);
  return file;
}

describe('Electron fuses', () => {
  it('switch off run-as-node, NODE_OPTIONS and --inspect, and require an integrity-checked ASAR', () => {
    expect(NETWRIGHT_FUSES[FuseV1Options.RunAsNode]).toBe(false);
    expect(NETWRIGHT_FUSES[FuseV1Options.EnableNodeOptionsEnvironmentVariable]).toBe(false);
    expect(NETWRIGHT_FUSES[FuseV1Options.EnableNodeCliInspectArguments]).toBe(false);
    expect(NETWRIGHT_FUSES[FuseV1Options.EnableCookieEncryption]).toBe(true);
    expect(NETWRIGHT_FUSES[FuseV1Options.EnableEmbeddedAsarIntegrityValidation]).toBe(true);
    expect(NETWRIGHT_FUSES[FuseV1Options.OnlyLoadAppFromAsar]).toBe(true);
  });
  it('an unflipped binary is reported, a flipped one is clean, and only the wire bytes change', async () => {
    const bin = fakeElectron('electron');
    const before = readFileSync(bin);
    const mismatches = await fuseMismatches(bin);
    expect(mismatches).toEqual(expect.arrayContaining([expect.stringMatching(/^RunAsNode: ENABLE, wanted DISABLE/), expect.stringMatching(/^EnableNodeCliInspectArguments:/)]));
    expect(await applyFuses(bin)).toEqual([]);
    const after = readFileSync(bin);
    expect(after.length).toBe(before.length);
    const at = after.indexOf(SENTINEL) + SENTINEL.length + 2;
    expect(after.subarray(at, at + 9).toString()).toBe('010011001');
    expect(Buffer.compare(after.subarray(0, at), before.subarray(0, at))).toBe(0);
    expect(Buffer.compare(after.subarray(at + 9), before.subarray(at + 9))).toBe(0);
  });
});
