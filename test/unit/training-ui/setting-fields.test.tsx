import { renderToStaticMarkup } from 'react-dom/server';
import { describe, expect, it } from 'vitest';
import { parseSettingNumber, TRAINING_NUMBERS } from '../../../src-renderer/src/editor/setting-fields';
import { NumberField } from '../../../src-renderer/src/components/training/NumberField';
import { FieldMessage } from '../../../src-renderer/src/components/TextField';
import { trainingAtRate } from '../../../src-renderer/src/training/settings-history';
import { settingsRows, type RunMeta } from '../../../src-renderer/src/training/compare';
import { twoMoonsGraph } from '../session/fixtures';

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
    const html = renderToStaticMarkup(<NumberField label="Learning rate" testId="train-lr" value={1e9} setting={TRAINING_NUMBERS.lr} onCommit={() => {}} />);
    expect(html).toContain('data-testid="train-lr-warning"');
    expect(html).toContain('Unusually high (1e+9)');
    expect(renderToStaticMarkup(<NumberField label="Learning rate" testId="train-lr" value={0.001} setting={TRAINING_NUMBERS.lr} onCommit={() => {}} />)).not.toContain('train-lr-warning');
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
