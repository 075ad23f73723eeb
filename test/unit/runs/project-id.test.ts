/**
 * Issue #82 (8): runs follow their project through Save As and renames. A project has an id (its
 * file's `id`, new for a new project); its runs record it (`run.json`'s `projectId`) and "This
 * project" lists the runs of that id. Before, runs went by the project's name alone: after Save As
 * "icons-cnn", the runs made under "Untitled" left "This project", and a new project that took a
 * name took that name's runs. And the Curves tab said weights loaded with a project were "trained
 * elsewhere" even when the run they came from is in this run store.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { RunStore } from '../../../src-engine/node/run-store';
import { ProjectFiles } from '../../../src-renderer/src/editor/files';
import { parseProject } from '../../../src-renderer/src/editor/project';
import { isProjectRun, loadedWeightsNote } from '../../../src-renderer/src/training/project-runs';
import { createWindowStores } from '../../../src-renderer/src/state/window-stores';
import { memoryHost, mlpDoc } from '../editor/fixtures';
import { setupEngine, twoMoonsGraph } from '../session/fixtures';

describe('a project\'s runs, by its id', () => {
  it('the engine records the id a run, its continuation and a sweep\'s runs were started with', async () => {
    const store = new RunStore(mkdtempSync(join(tmpdir(), 'nw-runs-')));
    const { client, waitFor, service } = setupEngine({ runs: store });
    try {
      const projectId = '0123456789abcdef';
      const first = await client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), probes: false, project: 'Untitled', projectId });
      await waitFor('train.done', (d) => d.runId === first.runId);
      const continued = await client.request('train.resume', { storedRunId: first.storedRunId!, moreEpochs: 1, probes: false });
      await waitFor('train.done', (d) => d.runId === continued.runId);
      await client.request('sweep.start', { graph: twoMoonsGraph({ epochs: 1 }), sweep: { over: { kind: 'attr', nodeId: 'fc1', attr: 'outFeatures' }, values: [4, 8] }, overrides: { limit: 100 }, probes: false, project: 'Untitled', projectId });
      await waitFor('sweep.progress', (p) => p.state === 'done', 20_000);
      const { runs } = await client.request('runs.list', {});
      expect(runs).toHaveLength(4);
      expect(runs.map((m) => [m.project, m.projectId])).toEqual(runs.map(() => ['Untitled', projectId]));
      expect(runs.map((m) => m.id)).toEqual(expect.arrayContaining([first.storedRunId, continued.storedRunId]));
      await expect(client.request('train.start', { graph: twoMoonsGraph({ epochs: 1 }), probes: false, projectId: 'not an id' })).rejects.toMatchObject({ code: expect.stringMatching(/^E_/) });
    } finally {
      service.dispose();
    }
  }, 60_000);

  it('after Save As "icons-cnn", the runs made as "Untitled" are still this project\'s; a run of another project once named so is not, and one recorded before ids goes by name', async () => {
    const w = createWindowStores();
    const host = memoryHost(false);
    const files = new ProjectFiles(w, host);
    w.editor.getState().load(mlpDoc(), { name: 'Untitled' }, {}, true);
    const id = w.editor.getState().file.projectId;
    expect(id).toMatch(/^[0-9a-f]{16}$/);
    const runs = [
      { id: 'made-here', project: 'Untitled', projectId: id },
      { id: 'other-project', project: 'icons-cnn', projectId: 'fedcba9876543210' },
      { id: 'before-ids', project: 'icons-cnn' },
    ];
    const mine = () => runs.filter((m) => isProjectRun(m, w.editor.getState().file)).map((m) => m.id);
    expect(mine()).toEqual(['made-here']);
    expect(await files.saveAsName('icons-cnn')).toBe(true);
    expect(w.editor.getState().file).toMatchObject({ name: 'icons-cnn', projectId: id });
    expect(mine()).toEqual(['made-here', 'before-ids']);
    // The file keeps the id: opened again (another window, a renamed copy), the runs are still its own.
    const text = host.disk.get('icons-cnn.netwright.json')!;
    expect(parseProject(text)).toMatchObject({ ok: true, id });
    host.disk.set('renamed.netwright.json', text);
    const other = createWindowStores();
    expect(await new ProjectFiles(other, host).openPath('renamed.netwright.json')).toBe(true);
    expect(other.editor.getState().file).toMatchObject({ name: 'renamed', projectId: id });
    expect(runs.filter((m) => isProjectRun(m, other.editor.getState().file)).map((m) => m.id)).toEqual(['made-here']);
    // A new project is another project, whatever its name.
    w.editor.getState().load(mlpDoc(), { name: 'icons-cnn' });
    expect(w.editor.getState().file.projectId).not.toBe(id);
    expect(mine()).toEqual(['before-ids']);
  });

  it('the recovery slot keeps the id: a restored project\'s runs are still its own', async () => {
    const w = createWindowStores();
    const host = memoryHost(false);
    const files = new ProjectFiles(w, host);
    w.editor.getState().load(mlpDoc(), { name: 'Untitled' }, {}, true);
    const id = w.editor.getState().file.projectId;
    await files.autosave();
    const after = createWindowStores();
    const again = new ProjectFiles(after, host);
    const rec = await again.findRecovery();
    again.restore(rec!);
    expect(after.editor.getState().file.projectId).toBe(id);
  });

  it('loaded weights that came from a stored run here are not "trained elsewhere": the Curves tab names the run and whose it is', () => {
    const project = { name: 'icons-cnn', projectId: '0123456789abcdef' };
    expect(loadedWeightsNote('the project "icons-cnn"', undefined, project)).toBe('The weights from the project "icons-cnn" were trained elsewhere: no curves come with them. A run started here plots its own.');
    expect(loadedWeightsNote('the project "icons-cnn"', { name: 'run of 04:18:00', project: 'Untitled', projectId: project.projectId }, project)).toBe('The weights from the project "icons-cnn" were trained here, in the run “run of 04:18:00” of this project: its curves are in the Runs tab. A run started here plots its own.');
    expect(loadedWeightsNote('the project "icons-cnn"', { name: 'r', project: 'digits', projectId: 'fedcba9876543210' }, project)).toContain('in the run “r” of “digits”');
  });
});
