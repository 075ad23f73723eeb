/**
 * Web mode's Open lists only the workspace (#44 item 9): the host says which folder that is (and
 * its data folder), the picker can open a project uploaded from elsewhere as an unsaved copy, and
 * the import CLI's hint says how to reach its project in both hosts.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path, { join } from 'node:path';
import { describe, expect, it, beforeEach } from 'vitest';
import { FileService, callFileOp } from '../../../src-main/host/files';
import { unwrapFileMethod } from '../../../src-contracts/files';
import { ProjectFiles } from '../../../src-renderer/src/editor/files';
import { serializeProject } from '../../../src-renderer/src/editor/project';
import { selectDirty } from '../../../src-renderer/src/state/editor-store';
import { memoryHost, mlpDoc } from '../editor/fixtures';
import { main as importCli } from '../../../src-engine/node/import-cli';
import { main as trainCli } from '../../../src-engine/node/train-cli';
import { decodeModel, encodeModel } from '../../../src-engine/core/export/onnx/proto';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

const EXAMPLES = join(import.meta.dirname, '../../../examples');

const tmp = (prefix: string) => mkdtempSync(path.join(tmpdir(), prefix));

describe('opening a project from outside the web workspace', () => {
  it('the host names its workspace and data folders in web mode (checked both ways), none in Electron', async () => {
    const ws = tmp('nw-ws-');
    const web = new FileService({ workspaceDir: path.join(ws, '.', 'projects'), stateDir: path.join(ws, '.netwright'), dataDir: path.join(ws, 'data', '..', 'mine') });
    const answer = await callFileOp(web, 'workspace', []);
    expect(unwrapFileMethod('workspace', answer)).toEqual({ path: path.join(ws, 'projects'), dataDir: path.join(ws, 'mine'), command: 'npm run web --' });
    expect(await callFileOp(web, 'workspace', ['x'])).toMatchObject({ ok: false, error: { code: 'E_FILE_BAD_REQUEST' } });
    const electron = new FileService({ stateDir: ws });
    expect(unwrapFileMethod('workspace', await callFileOp(electron, 'workspace', []))).toBeNull();
  });

  it('an uploaded project opens as an unsaved copy: its name, no path, so Save asks where in the workspace', async () => {
    const host = memoryHost(false);
    const files = new ProjectFiles(w, host);
    const text = serializeProject(mlpDoc(), {});
    expect(files.openUploaded(text, 'mine.netwright.json')).toBe(true);
    expect(w.editor.getState().file).toMatchObject({ name: 'mine' });
    expect(w.editor.getState().file.path).toBeUndefined();
    expect(selectDirty(w.editor.getState())).toBe(true);
    expect(w.editor.getState().history.present.graph.nodes.map((n) => n.id)).toContain('fc1');
    expect(host.disk.size).toBe(0);
    // Not a project: it says why and changes nothing.
    expect(files.openUploaded('{"format":"zip"}', 'other.json')).toBe(false);
    expect(w.editor.getState().file).toMatchObject({ name: 'mine' });
    expect(w.editor.getState().file.path).toBeUndefined();
  });

  it('the import CLI says how to open its project in the app and in the browser', async () => {
    // A model from elsewhere (no Netwright metadata): one that needs Add settings.
    const dir = tmp('nw-import-');
    const exported = join(dir, 'moons.onnx');
    expect(await trainCli([join(EXAMPLES, 'two-moons-mlp.json'), '--epochs', '1', '--threads', '1', '--export', exported], () => {}, () => {})).toBe(0);
    const file = decodeModel(readFileSync(exported));
    writeFileSync(exported, encodeModel({ ...file, metadata_props: [] }));
    let out = '';
    expect(await importCli([exported, '--out', join(dir, 'p.netwright.json')], (s) => (out += s), () => {})).toBe(0);
    expect(out).toContain('Open it in the app (Open… in the toolbar; in the browser, `npm run web`, the project must be in its workspace folder, default ~/Netwright, or be uploaded from Open…)');
    expect(out).not.toContain('File ▸ Open');
  });
});
