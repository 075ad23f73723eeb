/**
 * Issue #84, "status, logs and cancel from the app": the Runs tab's Log of a run (`runs.log`, the
 * text `netwright runs log` prints) is read again while the run is running, only what came since,
 * and stops when it has ended; the Log of another run never shows the first run's lines, even
 * when an answer for it arrives late. A run elsewhere that no process follows is said "running
 * elsewhere (not followed)", offered Stop and Delete.
 */
import { renderToStaticMarkup } from 'react-dom/server';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ResultOf, RpcClient } from '../../../src-engine/protocol';
import { RunLogPanel } from '../../../src-renderer/src/components/training/RunLog';
import { deletable, RunStop, statusLabel } from '../../../src-renderer/src/components/training/RunWhere';
import { followRunLog, LOG_LINES_KEPT, withLogAnswer, type RunLogView } from '../../../src-renderer/src/training/run-log';

type Answer = ResultOf<'runs.log'>;
const line = (n: number, text = `  line ${n}`, kind: Answer['lines'][number]['kind'] = 'stdout') => ({ n, t: n, kind, text });

/** A client whose `runs.log` answers are the test's to give, in the order asked. */
function scriptedClient() {
  const asked: { id: string; after?: number; answer(a: Answer): void; fail(e: Error): void }[] = [];
  const request = vi.fn((method: string, params: { id: string; after?: number }) => {
    expect(method).toBe('runs.log');
    return new Promise<Answer>((resolve, reject) => asked.push({ ...params, answer: resolve, fail: reject }));
  });
  return { client: { request } as unknown as RpcClient, asked };
}

const settle = () => new Promise<void>((r) => queueMicrotask(() => queueMicrotask(r)));

describe("the Runs tab's Log", () => {
  beforeEach(() => vi.useFakeTimers());
  afterEach(() => vi.useRealTimers());

  it('reads the log, asks again every 2 s for what came since while the run runs, and stops once it has ended', async () => {
    const { client, asked } = scriptedClient();
    const views: RunLogView[] = [];
    const stop = followRunLog(client, 'A', (v) => views.push(v), 2000);
    expect(asked.map((a) => [a.id, a.after])).toEqual([['A', 0]]);
    asked[0].answer({ lines: [line(0, '[launched] {}', 'event'), line(1)], next: 2, skipped: 0, status: 'running' });
    await settle();
    expect(views.at(-1)).toMatchObject({ id: 'A', status: 'running', skipped: 0 });
    expect(views.at(-1)!.lines.map((l) => l.text)).toEqual(['[launched] {}', '  line 1']);
    // Not asked again before its time.
    vi.advanceTimersByTime(1999);
    expect(asked).toHaveLength(1);
    vi.advanceTimersByTime(1);
    expect(asked.map((a) => a.after)).toEqual([0, 2]);
    asked[1].answer({ lines: [line(2, '! warning', 'stderr')], next: 3, skipped: 0, status: 'done' });
    await settle();
    expect(views.at(-1)!.lines.map((l) => l.n)).toEqual([0, 1, 2]);
    expect(views.at(-1)!.status).toBe('done');
    vi.advanceTimersByTime(10_000);
    expect(asked).toHaveLength(2);
    stop();
  });

  it('stopped (another run selected, the Log closed): an answer still on its way is dropped and nothing more is asked', async () => {
    const { client, asked } = scriptedClient();
    const seenA: RunLogView[] = [];
    const stopA = followRunLog(client, 'A', (v) => seenA.push(v), 2000);
    const seenB: RunLogView[] = [];
    stopA();
    followRunLog(client, 'B', (v) => seenB.push(v), 2000);
    // B's answer first, then A's late one.
    asked[1].answer({ lines: [line(0, '  of B')], next: 1, skipped: 0, status: 'done' });
    asked[0].answer({ lines: [line(0, '  of A')], next: 1, skipped: 0, status: 'running' });
    await settle();
    vi.advanceTimersByTime(10_000);
    expect(seenA).toEqual([]);
    expect(seenB.map((v) => [v.id, v.lines.map((l) => l.text)])).toEqual([['B', ['  of B']]]);
    expect(asked.map((a) => a.id)).toEqual(['A', 'B']);
  });

  it('a log that cannot be read says why and keeps what it had; lines past the cap drop the oldest, counted', async () => {
    const { client, asked } = scriptedClient();
    const views: RunLogView[] = [];
    followRunLog(client, 'A', (v) => views.push(v), 2000);
    asked[0].fail(new Error('There is no stored run "A".'));
    await settle();
    expect(views).toEqual([{ id: 'A', lines: [], skipped: 0, status: null, problem: 'There is no stored run "A".' }]);

    const full: RunLogView = { id: 'A', lines: Array.from({ length: LOG_LINES_KEPT }, (_, i) => line(i)), skipped: 7, status: 'running' };
    const after = withLogAnswer(full, { lines: [line(LOG_LINES_KEPT), line(LOG_LINES_KEPT + 1)], next: LOG_LINES_KEPT + 2, skipped: 0, status: 'running' });
    expect(after.lines).toHaveLength(LOG_LINES_KEPT);
    expect(after.lines[0].n).toBe(2);
    expect(after.lines.at(-1)!.n).toBe(LOG_LINES_KEPT + 1);
    expect(after.skipped).toBe(9);
  });

  it('shows each line with its kind, how many earlier ones are not shown, and that it is read again while running', () => {
    const view: RunLogView = { id: 'A', lines: [line(5, '[launched] {"world":1}', 'event'), line(6, '  Iris: train 108 samples'), line(7, '! UserWarning', 'stderr'), line(8, 'error E_TARGET_FAILED: rank 0 exited', 'error')], skipped: 5, status: 'running' };
    const html = renderToStaticMarkup(<RunLogPanel name="iris" view={view} onClose={() => {}} />);
    expect([...html.matchAll(/data-kind="(\w+)">([^<]*)</g)].map((m) => [m[1], m[2]])).toEqual([
      ['event', '[launched] {&quot;world&quot;:1}'],
      ['stdout', '  Iris: train 108 samples'],
      ['stderr', '! UserWarning'],
      ['error', 'error E_TARGET_FAILED: rank 0 exited'],
    ]);
    expect(html).toContain('data-run="A"');
    expect(html).toContain('4 lines (the 5 before not shown');
    expect(html).toContain('read again every 2 s while it runs');
    const ended = renderToStaticMarkup(<RunLogPanel name="iris" view={{ ...view, status: 'done', skipped: 0 }} onClose={() => {}} />);
    expect(ended).not.toContain('read again');
    expect(ended).not.toContain('not shown');
    expect(renderToStaticMarkup(<RunLogPanel name="iris" view={null} onClose={() => {}} />)).toContain('data-status="loading"');
  });
});

describe('a run elsewhere that no process follows', () => {
  const meta = { id: '20260105-100000-abcd', status: 'running' as const, target: { spec: 'ssh:box:runs', jobId: '4242' } };

  it('is said running elsewhere (not followed), never crashed, and offered Stop and Delete', () => {
    const unfollowed = { ...meta, followed: false as const };
    expect(statusLabel(unfollowed)).toBe('running elsewhere (not followed)');
    expect(statusLabel(meta)).toBe('running');
    expect(deletable(unfollowed)).toBe(true);
    expect(deletable(meta)).toBe(false);
    expect(deletable({ ...meta, status: 'stopped' })).toBe(true);
    const html = renderToStaticMarkup(<RunStop meta={unfollowed} onStop={() => {}} />);
    expect(html).toContain(`data-testid="run-cancel-${meta.id}"`);
    expect(html).toContain('No Netwright process follows it now');
    // One recorded crashed by an older Netwright while its job may run on: still offered Stop (as netwright runs cancel takes it).
    expect(renderToStaticMarkup(<RunStop meta={{ ...unfollowed, status: 'crashed' }} onStop={() => {}} />)).toContain('Stop');
    expect(RunStop({ meta: { ...meta, status: 'crashed' }, onStop: () => {} })).toBeNull();
  });
});
