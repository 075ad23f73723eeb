/**
 * Issue #84, deliverable 1's app part: the Train dock's "Where" lists the registry's targets
 * (local first, the default), reads a target's parameters with the registry's own parser (the
 * words `--on` says for a bad one are shown, and block Start), and is remembered in the
 * workspace's settings (the page's storage, beside the panel arrangement).
 */
import { renderToStaticMarkup } from 'react-dom/server';
import type { ReactElement } from 'react';
import { RunStop, RunWhere } from '../../../src-renderer/src/components/training/RunWhere';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { WhereField } from '../../../src-renderer/src/components/training/WhereField';
import { DEFAULT_WHERE, WHERE_STORAGE_KEY, checkWhere, paramsHint, parseWhere, rememberWhere, rememberedWhere, whereText, type WhereChoice } from '../../../src-renderer/src/training/where';
import { TARGETS } from '../../../src-engine/catalog/targets/registry';

const field = (choice: WhereChoice) => renderToStaticMarkup(<WhereField choice={choice} disabled={false} onChange={() => {}} />);

describe('the Train dock\'s Where', () => {
  it('lists every declared target, local first and chosen by default, with no parameter field for it', () => {
    expect(DEFAULT_WHERE.kind).toBe('local');
    const html = field(DEFAULT_WHERE);
    const options = [...html.matchAll(/<option value="([^"]+)"/g)].map((m) => m[1]);
    expect(options).toEqual(TARGETS.map((t) => t.kind));
    expect(options[0]).toBe('local');
    expect(html).toMatch(/<option value="local"[^>]*selected=""/);
    expect(html).not.toContain('train-where-params');
    expect(checkWhere(DEFAULT_WHERE)).toEqual({ spec: 'local', here: true });
  });

  it('offers each kind\'s parameters as its declaration spells them', () => {
    expect(paramsHint('local')).toBeUndefined();
    expect(paramsHint('torchrun')).toBe('N');
    expect(paramsHint('ssh')).toBe('[user@]host[:dir]');
    expect(paramsHint('slurm')).toMatch(/^partition=…,.*time=…$/);
    expect(field({ kind: 'torchrun', params: { torchrun: '2' } })).toMatch(/data-testid="train-where-params"[^>]*placeholder="N"[^>]*value="2"|placeholder="N"[^>]*value="2"[^>]*data-testid="train-where-params"/);
  });

  it('reads the parameters with the registry\'s parser: a good one is its canonical target, a bad one says what is wrong', () => {
    const good: [WhereChoice, string][] = [
      [{ kind: 'torchrun', params: { torchrun: '2' } }, 'torchrun:2'],
      [{ kind: 'torchrun', params: {} }, 'torchrun:1'],
      [{ kind: 'ssh', params: { ssh: ' ann@gpu-box.lab:runs/mnist ' } }, 'ssh:ann@gpu-box.lab:runs/mnist'],
      [{ kind: 'slurm', params: {} }, 'slurm'],
      [{ kind: 'slurm', params: { slurm: 'time=1-00:30,partition=gpu' } }, 'slurm:partition=gpu,time=1-00:30'],
    ];
    for (const [choice, spec] of good) expect(checkWhere(choice), whereText(choice)).toEqual({ spec, here: false });
    const bad: [WhereChoice, RegExp][] = [
      [{ kind: 'torchrun', params: { torchrun: '0' } }, /torchrun:N takes a whole number of processes from 1 to 256/],
      [{ kind: 'ssh', params: {} }, /ssh takes the machine/],
      [{ kind: 'ssh', params: { ssh: 'bob@$(reboot)' } }, /is not a host name/],
      [{ kind: 'slurm', params: { slurm: 'nodes=two' } }, /nodes="two" is not a value sbatch takes/],
    ];
    for (const [choice, words] of bad) {
      const checked = checkWhere(choice);
      expect('error' in checked && checked.error, whereText(choice)).toMatch(words);
      const html = field(choice);
      expect(html).toContain('data-testid="train-where-error"');
      expect(html).toContain('aria-invalid="true"');
    }
    expect(field({ kind: 'torchrun', params: { torchrun: '4' } })).not.toContain('train-where-error');
  });

  describe('remembered in the workspace\'s settings', () => {
    let storage: Map<string, string>;
    beforeEach(() => {
      storage = new Map();
      vi.stubGlobal('localStorage', { getItem: (k: string) => storage.get(k) ?? null, setItem: (k: string, v: string) => void storage.set(k, String(v)), removeItem: (k: string) => void storage.delete(k) });
    });
    afterEach(() => vi.unstubAllGlobals());

    it('comes back as chosen, each kind keeping its own parameters', () => {
      expect(rememberedWhere()).toEqual(DEFAULT_WHERE);
      const choice: WhereChoice = { kind: 'ssh', params: { torchrun: '2', ssh: 'ann@gpu-box:runs' } };
      rememberWhere(choice);
      expect(storage.has(WHERE_STORAGE_KEY)).toBe(true);
      expect(rememberedWhere()).toEqual(choice);
      expect(whereText({ ...rememberedWhere(), kind: 'torchrun' })).toBe('torchrun:2');
    });

    it('drops what it cannot read: damaged text, a kind nothing declares, parameters that are not text', () => {
      expect(parseWhere('{not json')).toEqual(DEFAULT_WHERE);
      expect(parseWhere(JSON.stringify({ kind: 'cloud', params: { torchrun: '3' } }))).toEqual({ kind: 'local', params: { torchrun: '3' } });
      expect(parseWhere(JSON.stringify({ kind: 'torchrun', params: { torchrun: 3, ssh: 'x'.repeat(501), cloud: 'y' } }))).toEqual({ kind: 'torchrun', params: {} });
      storage.set(WHERE_STORAGE_KEY, '[]');
      expect(rememberedWhere()).toEqual(DEFAULT_WHERE);
    });
  });

  it('a run elsewhere shows its target and job id on its row, and Stop while it runs', () => {
    const running = { id: '20261129-074301-zpcb', status: 'running' as const, target: { spec: 'torchrun:2', jobId: '4242', jobStarted: 1 } };
    expect(renderToStaticMarkup(<RunWhere meta={running} />)).toMatch(/data-testid="run-target-20261129-074301-zpcb"[^>]*>on torchrun:2 · job 4242</);
    const onStop = vi.fn();
    const stop = RunStop({ meta: running, onStop }) as ReactElement<{ onClick: () => void; 'data-testid': string }>;
    expect(stop.props['data-testid']).toBe('run-cancel-20261129-074301-zpcb');
    stop.props.onClick();
    expect(onStop).toHaveBeenCalledOnce();
    // Ended, or trained in the engine: no Stop here (the engine's run stops from the dock), no target line.
    expect(RunStop({ meta: { ...running, status: 'done' }, onStop })).toBeNull();
    expect(RunStop({ meta: { id: running.id, status: 'running' }, onStop })).toBeNull();
    expect(RunWhere({ meta: { id: running.id } })).toBeNull();
  });
});
