/**
 * Issue #17, class 3: the host's file service does not follow symlinks out of the workspace, and
 * leftover temp files of interrupted saves are removed at start.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { FileService, callFileOp } from '../../../src-main/host/files';
import { analyzeDesign } from '../../../src-renderer/src/editor/analysis';

const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

function setup() {
  const ws = tmp('nw-ws-');
  const outside = tmp('nw-outside-');
  writeFileSync(path.join(outside, 'secret.json'), '{"secret":true}');
  symlinkSync(path.join(outside, 'secret.json'), path.join(ws, 'link.netwright.json'));
  symlinkSync(outside, path.join(ws, 'linked'));
  writeFileSync(path.join(ws, 'own.netwright.json'), '{}');
  symlinkSync(path.join(ws, 'own.netwright.json'), path.join(ws, 'inner-link.json'));
  const service = new FileService({ workspaceDir: ws, stateDir: path.join(ws, '.netwright') });
  return { ws, outside, service };
}

describe('file service: symlinks in the workspace', () => {
  it('negative control: the links really lead out (fs follows them)', () => {
    const { ws } = setup();
    expect(readFileSync(path.join(ws, 'link.netwright.json'), 'utf8')).toContain('secret');
    expect(readFileSync(path.join(ws, 'linked', 'secret.json'), 'utf8')).toContain('secret');
  });

  it('refuses to read through a linked file or a linked folder', async () => {
    const { service } = setup();
    for (const p of ['link.netwright.json', 'linked/secret.json', 'inner-link.json']) {
      const r = await callFileOp(service, 'read', [p]);
      expect(r, p).toMatchObject({ ok: false, error: { code: 'E_FILE_OUTSIDE_WORKSPACE' } });
      expect(JSON.stringify(r)).not.toContain('secret":true');
    }
    expect(await callFileOp(service, 'read', ['own.netwright.json'])).toMatchObject({ ok: true });
  });

  it('refuses to write through a linked folder or over a link, and writes nothing outside', async () => {
    const { outside, service, ws } = setup();
    expect(await callFileOp(service, 'write', ['linked/evil.netwright.json', '{}', { replace: true }])).toMatchObject({ ok: false, error: { code: 'E_FILE_OUTSIDE_WORKSPACE' } });
    expect(await callFileOp(service, 'write', ['linked/new/deeper.json', '{}', { replace: true }])).toMatchObject({ ok: false, error: { code: 'E_FILE_OUTSIDE_WORKSPACE' } });
    expect(await callFileOp(service, 'write', ['link.netwright.json', '{"overwritten":1}', { replace: true }])).toMatchObject({ ok: false, error: { code: 'E_FILE_OUTSIDE_WORKSPACE' } });
    expect(existsSync(path.join(outside, 'evil.netwright.json'))).toBe(false);
    expect(existsSync(path.join(outside, 'new'))).toBe(false);
    expect(readFileSync(path.join(outside, 'secret.json'), 'utf8')).toBe('{"secret":true}');
    // Ordinary saves, also into new subfolders, still work.
    expect(await callFileOp(service, 'write', ['sub/dir/p.netwright.json', '{}', { replace: true }])).toMatchObject({ ok: true });
    expect(readFileSync(path.join(ws, 'sub/dir/p.netwright.json'), 'utf8')).toBe('{}');
  });

  it('refuses arguments nested deeper than a file operation takes', async () => {
    const { service } = setup();
    const deep = JSON.parse('['.repeat(10_000) + ']'.repeat(10_000)) as unknown;
    expect(await callFileOp(service, 'read', [deep])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
  });
});

describe('file service: temp files of interrupted saves', () => {
  it('removes them at start, keeping other files and the temp files of a live process', async () => {
    const { ws, service } = setup();
    const dead = 2 ** 22 + 12345; // above any pid_max default: no such process
    const left = path.join(ws, `p.netwright.json.${dead}.0badcafe.tmp`);
    const state = path.join(ws, '.netwright');
    mkdirSync(state, { recursive: true });
    const leftState = path.join(state, `recent.json.${dead}.deadbeef.tmp`);
    const live = path.join(ws, `q.netwright.json.${process.ppid}.12345678.tmp`);
    const notOurs = path.join(ws, 'notes.tmp');
    for (const f of [left, leftState, live, notOurs]) writeFileSync(f, 'x');
    const removed = await service.cleanupTempFiles();
    expect(removed.sort()).toEqual([left, leftState].sort());
    expect(existsSync(live)).toBe(true);
    expect(existsSync(notOurs)).toBe(true);
    expect(existsSync(path.join(ws, 'own.netwright.json'))).toBe(true);
  });
});

describe('design-time memory warning', () => {
  it("the problems panel refuses as Start does a design over the engine's memory limits (Linear 784→200000 at batch 64, its weights alone over 2 GiB)", () => {
    const graph = {
      format: 'netwright.graph',
      version: 1,
      nodes: [
        { id: 'x', op: 'Input', attrs: { shape: [784], source: 'features' }, inputs: [] },
        { id: 'fc', op: 'Linear', attrs: { outFeatures: 200_000, bias: true }, inputs: ['x'] },
      ],
      outputs: {},
      training: { batchSize: 64 },
    };
    const limits = { machineBytes: 8 * 2 ** 30, backendBytes: 2 ** 31 };
    const a = analyzeDesign(graph as never, limits);
    expect(a.memoryBytes).toBeGreaterThan(2 * 2 ** 30);
    expect(a.diagnostics).toContainEqual(
      expect.objectContaining({ code: 'E_TRAIN_TOO_MUCH_MEMORY', severity: 'error', message: expect.stringMatching(/batch 64 needs 2\.\d GiB on the compute backend .* more than the 2\.0 GiB/) }),
    );
    // Before the engine says its limits, no verdict.
    expect(analyzeDesign(graph as never).diagnostics.map((d) => d.code)).not.toContain('E_TRAIN_TOO_MUCH_MEMORY');
    const small = analyzeDesign({ ...graph, nodes: [graph.nodes[0], { ...graph.nodes[1], attrs: { outFeatures: 10, bias: true } }] } as never, limits);
    expect(small.diagnostics.map((d) => d.code)).not.toContain('E_TRAIN_TOO_MUCH_MEMORY');
  });
});
