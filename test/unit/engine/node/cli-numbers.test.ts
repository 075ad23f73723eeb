/**
 * Issue #57: the commands' numbers are decimal numbers within their ranges, refused with a coded
 * usage message naming the option otherwise. `--lr 0x10` trained at 16 (Number() reads hex), a
 * blank `--seed ""` trained with seed 0, and a negative value (`--seed -1`) was refused by
 * parseArgs as "argument is ambiguous" instead of by the option's own check.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { main as train } from '../../../../src-engine/node/train-cli';
import { main as evaluate } from '../../../../src-engine/node/evaluate-cli';
import { main as predict } from '../../../../src-engine/node/predict-cli';
import { decimalNumber, parseCommandLine } from '../../../../src-engine/node/cli-script';
import { runWeb } from '../../../../src-main/web/run';
import { runCli } from './cli-run';

const IRIS = join(import.meta.dirname, '..', '..', '..', '..', 'examples', 'iris-mlp.json');
const web = (argv: string[]) => runCli((a, out, err) => runWeb(a, { rendererDir: '', engineEntry: '' }, out, err), argv);

describe('command-line numbers', () => {
  it('reads decimal numbers only: Number()\'s hex, binary, octal, Infinity and blank texts are NaN', () => {
    expect(['3', '-1', '+2', '0.5', '.5', '5.', '3e-4', '1E6'].map(decimalNumber)).toEqual([3, -1, 2, 0.5, 0.5, 5, 3e-4, 1e6]);
    for (const t of ['0x10', '0b11', '0o7', 'Infinity', '-Infinity', 'NaN', '', ' ', ' 5 ', '1_000', '1e', '--1', '1,5']) expect(decimalNumber(t), t).toBeNaN();
  });

  it('gives an option a negative number as its value (parseArgs took it for an option), and leaves any other dash to parseArgs', () => {
    const options = { seed: { type: 'string' }, json: { type: 'boolean' } } as const;
    expect(parseCommandLine({ args: ['--seed', '-1', 'a.json'], options, allowPositionals: true })).toMatchObject({ values: { seed: '-1' }, positionals: ['a.json'] });
    expect(parseCommandLine({ args: ['--seed', '-.5'], options }).values.seed).toBe('-.5');
    expect(parseCommandLine({ args: ['--', '--seed', '-1'], options, allowPositionals: true }).positionals).toEqual(['--seed', '-1']);
    expect(() => parseCommandLine({ args: ['--seed', '-x'], options })).toThrow(/ambiguous/);
  });

  it.each([
    [['--seed', '-1'], '--seed must be a whole number from 0 to 4294967295 (got "-1")'],
    [['--seed', ''], '--seed must be a whole number from 0 to 4294967295 (got "")'],
    [['--seed', '1e300'], '--seed must be a whole number from 0 to 4294967295 (got "1e300")'],
    [['--lr', '0x10'], '--lr must be a number > 0 and ≤ 1e6 (got "0x10")'],
    [['--lr', '-0.1'], '--lr must be a number > 0 and ≤ 1e6 (got "-0.1")'],
    [['--epochs', '0x1'], '--epochs must be a whole number ≥ 0 (got "0x1")'],
    [['--limit', ' 5 '], '--limit must be a whole number ≥ 1 (got " 5 ")'],
    [['--batch-size', '-8'], '--batch-size must be a whole number ≥ 1 (got "-8")'],
    [['--find-lr', '--lr-range', '-1,2'], '--lr-range must be two rates > 0, START,END (got "-1,2")'],
    [['--find-lr', '--lr-range', '1e-5,0x1'], '--lr-range must be two rates > 0, START,END (got "1e-5,0x1")'],
  ])('train %j: CLI_USAGE naming the option, exit 2', async (flags, message) => {
    const r = await runCli(train, [IRIS, ...flags]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(`error CLI_USAGE: ${message}`);
    const json = await runCli(train, [IRIS, ...flags, '--json']);
    expect(JSON.parse(json.out)).toMatchObject({ type: 'error', code: 'CLI_USAGE', message });
  });

  it('evaluate and predict refuse the same way', async () => {
    const e = await runCli(evaluate, [IRIS, '--threads', '-2']);
    expect([e.code, e.err.split('\n')[0]]).toEqual([2, 'error CLI_USAGE: --threads must be a whole number ≥ 1 (got "-2")']);
    const p = await runCli(predict, [IRIS, 'x.png', '--threads', '0x2']);
    expect([p.code, p.err.split('\n')[0]]).toEqual([2, 'error CLI_USAGE: --threads must be a whole number ≥ 1 (got "0x2")']);
  });

  it.each([
    ['0x50', '--port must be a whole number from 0 to 65535 (got "0x50").'],
    ['-1', '--port must be a whole number from 0 to 65535 (got "-1").'],
    ['', '--port must be a whole number from 0 to 65535 (got "").'],
  ])('web --port %j: CLI_USAGE, exit 2, no server', async (port, message) => {
    const r = await web(['--port', port]);
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe(`error CLI_USAGE: ${message}`);
    expect(r.out).toBe('');
  });
});
