import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it, beforeEach } from 'vitest';
import { RpcServer, createMemoryChannelPair, RpcClient, type ParamsOf } from '../../../src-engine/protocol';

import { parseProject } from '../../../src-renderer/src/editor/project';
import { parseSettingNumber, TRAINING_NUMBERS } from '../../../src-renderer/src/editor/setting-fields';
import { NumberField } from '../../../src-renderer/src/components/training/NumberField';
import { FieldMessage } from '../../../src-renderer/src/components/TextField';
import { trainingAtRate } from '../../../src-renderer/src/training/settings-history';
import { settingsRows, type RunMeta } from '../../../src-renderer/src/training/compare';
import { twoMoonsGraph } from '../session/fixtures';
import { createWindowStores, type WindowStores } from '../../../src-renderer/src/state/window-stores';
import { WindowStoresProvider } from '../../../src-renderer/src/state/window';

/** A fresh window for each test: nothing carries over from the one before. */
let w: WindowStores;
beforeEach(() => {
  w = createWindowStores();
});

describe('numbers in the training settings say why they cannot be used', () => {
  it('a learning rate of abc, -1, 0 or nothing is refused with the reason; 1e9 is accepted with a warning', () => {
    const lr = (text: string) => parseSettingNumber(TRAINING_NUMBERS.lr, text);
    expect(lr('abc')).toEqual({ ok: false, message: 'Enter a number.' });
    expect(lr('')).toEqual({ ok: false, message: 'Enter a number.' });
    expect(lr('-1')).toEqual({ ok: false, message: 'Must be greater than 0.' });
    expect(lr('0')).toEqual({ ok: false, message: 'Must be greater than 0.' });
    expect(lr('0.001')).toEqual({ ok: true, value: 0.001 });
    const big = lr('1e9');
    expect(big).toMatchObject({ ok: true, value: 1e9 });
    expect(big.ok && big.warning).toMatch(/^Unusually high \(1e\+9\): rates that train lie between 1e-7 and 1/);
    expect(lr('1e-9')).toMatchObject({ ok: true, warning: expect.stringMatching(/^Unusually low/) });
  });

  it('batch size, epochs and seed: whole numbers in range, each with its reason', () => {
    expect(parseSettingNumber(TRAINING_NUMBERS.batchSize, '0')).toEqual({ ok: false, message: 'Must be between 1 and 1000000.' });
    expect(parseSettingNumber(TRAINING_NUMBERS.batchSize, '2.5')).toEqual({ ok: false, message: 'Enter a whole number.' });
    expect(parseSettingNumber(TRAINING_NUMBERS.epochs, '-1')).toEqual({ ok: false, message: 'Must be between 1 and 100000.' });
    expect(parseSettingNumber(TRAINING_NUMBERS.epochs, '5000')).toMatchObject({ ok: true, value: 5000, warning: expect.any(String) });
    expect(parseSettingNumber(TRAINING_NUMBERS.seed, '-3')).toEqual({ ok: false, message: 'Must be between 0 and 4294967295.' });
    expect(parseSettingNumber(TRAINING_NUMBERS.seed, '0')).toEqual({ ok: true, value: 0 });
  });

  it('the Train dock\'s learning-rate field shows the warning under an implausible rate it holds', () => {
    const html = renderToStaticMarkup(<WindowStoresProvider stores={w}><NumberField label="Learning rate" testId="train-lr" value={1e9} setting={TRAINING_NUMBERS.lr} onCommit={() => {}} /></WindowStoresProvider>);
    expect(html).toContain('data-testid="train-lr-warning"');
    expect(html).toContain('Unusually high (1e+9)');
    expect(renderToStaticMarkup(<WindowStoresProvider stores={w}><NumberField label="Learning rate" testId="train-lr" value={0.001} setting={TRAINING_NUMBERS.lr} onCommit={() => {}} /></WindowStoresProvider>)).not.toContain('train-lr-warning');
  });

  it('an error is an alert naming how to get the previous value back', () => {
    const html = renderToStaticMarkup(<FieldMessage testid="train-lr" error="Must be greater than 0." previous="0.01" />);
    expect(html).toContain('role="alert"');
    expect(html).toContain('Must be greater than 0.');
    expect(html).toContain('Esc restores “0.01”');
  });
});

describe('a rate changed mid-run is what the design and the record hold', () => {
  const ran = twoMoonsGraph({ optimizer: { kind: 'adam', lr: 1e9 } }).training!;

  it('after "Resume at 0.001" the design the run trains reads 0.001', () => {
    expect(trainingAtRate(ran, ran, 0.001)?.optimizer).toEqual({ kind: 'adam', lr: 0.001 });
  });

  it('another design on the canvas (or an optimizer since edited) is left alone', () => {
    expect(trainingAtRate({ ...ran, optimizer: { kind: 'sgd', lr: 1e9 } }, ran, 0.001)).toBeUndefined();
    expect(trainingAtRate({ ...ran, optimizer: { kind: 'adam', lr: 0.1 } }, ran, 0.001)).toBeUndefined();
    expect(trainingAtRate(undefined, ran, 0.001)).toBeUndefined();
  });

  it('Compare\'s settings show the rate\'s history: what trained, not only what started', () => {
    const meta = (lr: number, history?: { step: number; changes: Record<string, number> }[]) =>
      ({ settings: { training: { ...ran, optimizer: { kind: 'adam', lr } }, backend: 'CPU', appVersion: '1' }, summary: { steps: 100, epochs: 1, seconds: 1, metrics: {}, ...(history ? { settingsHistory: history } : {}) } }) as unknown as RunMeta;
    const rows = settingsRows([meta(1e9, [{ step: 57, changes: { 'optimizer.lr': 0.001 } }]), meta(1e9)]);
    const lr = rows.find((r) => r.key === 'optimizer.lr')!;
    expect(lr.values).toEqual(['1000000000 → 0.001 from step 57', '1000000000']);
    expect(lr.differs).toBe(true);
  });
});

describe('"Resume at 0.001" from the divergence banner', () => {
  it('sends the rate, and the Train dock\'s field (the design) then reads it, a second resume too', async () => {
    const [a, b] = createMemoryChannelPair();
    const sent: ParamsOf<'train.control'>[] = [];
    new RpcServer(b, {
      'train.control': (p) => {
        sent.push(p);
        return { state: 'running', step: 3, pace: 0 };
      },
    });
    w.engine.setState({ client: new RpcClient(a) });
    const graph = twoMoonsGraph({ optimizer: { kind: 'adam', lr: 1e9 } });
    const parsed = parseProject(JSON.stringify(graph));
    if (!parsed.ok) throw new Error(parsed.message);
    w.editor.getState().load(parsed.doc, { name: 'moons' });
    w.run.setState({ runId: 'run-1', phase: 'diverged', graph: w.editor.getState().history.present.graph });
    await w.runs.control('resume', 0.001);
    expect(sent).toEqual([{ runId: 'run-1', action: 'resume', lr: 0.001 }]);
    expect(w.editor.getState().history.present.graph.training?.optimizer.lr).toBe(0.001);
    w.run.setState({ phase: 'diverged' });
    await w.runs.control('resume', 0.0001);
    expect(w.editor.getState().history.present.graph.training?.optimizer.lr).toBe(0.0001);
  });
});
