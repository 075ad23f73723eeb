import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { chooseDevice, main } from '../../../../src-engine/node/train-cli';
import { RunStore } from '../../../../src-engine/node/run-store';
import { checkGraph } from '../../../../src-engine/core/analysis/checked';
import { GpuError } from '../../../../src-engine/core/gpu/context';
import { startedAs } from '../../../../src-engine/node/cli-script';

/** The train command's `--lr`, `--device` and `--resume` (issue #46), and how its script starts. */
const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const IRIS = join(ROOT, 'examples', 'iris-mlp.json');
const SWIFTSHADER_ICD = '/usr/lib/chromium/vk_swiftshader_icd.json';

async function cli(args: string[]) {
  let out = '';
  let err = '';
  const code = await main(args, (s) => (out += s), (s) => (err += s));
  const lines = code === 0 && args.includes('--json') ? out.trim().split('\n').map((l) => JSON.parse(l) as Record<string, unknown> & { type: string }) : [];
  return { code, out, err, lines };
}

describe('train CLI: --lr, --device, --resume', () => {
  it('--lr replaces the optimizer\'s learning rate (the progress events and the recorded settings say so)', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'nw-cli-lr-'));
    const r = await cli([IRIS, '--epochs', '1', '--threads', '1', '--lr', '0.25', '--runs', runs, '--json']);
    expect(r.code).toBe(0);
    const progress = r.lines.filter((l) => l.type === 'progress');
    expect(progress.length).toBeGreaterThan(0);
    for (const p of progress) expect(p.lr).toBe(0.25);
    expect(new RunStore(runs).list()[0].settings.training.optimizer).toMatchObject({ kind: 'adam', lr: 0.25 });
  });

  it.each([
    [['--lr', '0'], '--lr must be a number > 0'],
    [['--device', 'tpu'], '--device must be one of auto, cpu, gpu'],
    [['--resume', '20250101-000000-abcd'], '--resume continues a stored run with its own design'],
  ])('%j → usage error, exit 2', async (flags, message) => {
    const r = await cli([IRIS, ...flags]);
    expect(r.code).toBe(2);
    expect(r.err).toContain(message);
  });

  it('--device gpu is refused as the app refuses it: E_GPU_UNAVAILABLE with its message when there is no adapter', async () => {
    const checked = checkGraph(JSON.parse(execFileSync('cat', [IRIS], { encoding: 'utf8' }))).graph!;
    const none = () => Promise.reject(new GpuError('E_GPU_UNAVAILABLE', 'No WebGPU adapter: Dawn found no usable Vulkan, Metal or D3D12 driver.'));
    await expect(chooseDevice(checked, 'gpu', 1, none)).rejects.toMatchObject({ code: 'E_GPU_UNAVAILABLE', message: expect.stringContaining('No WebGPU adapter') });
    // auto falls back to the CPU silently, as in the app.
    const auto = await chooseDevice(checked, 'auto', 1, none);
    expect(auto.gpu).toBeNull();
    expect(auto.description).toMatch(/^CPU/);
    auto.dispose();
  });

  it.skipIf(!existsSync(SWIFTSHADER_ICD))('--device gpu trains on Dawn\'s adapter (SwiftShader here), as `npm run train` starts it', () => {
    const out = execFileSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src-engine/node/train-cli.ts'), IRIS, '--epochs', '1', '--device', 'gpu'], {
      encoding: 'utf8',
      env: { ...process.env, VK_ICD_FILENAMES: SWIFTSHADER_ICD },
    });
    expect(out).toMatch(/^backend: WebGPU · .*SwiftShader/im);
    expect(out).toMatch(/test \(epoch 1 weights\): loss \d/);
  });

  it('--resume RUN goes on from the stored run\'s last checkpoint: the same losses as one run straight through, recorded naming its parent', async () => {
    const runs = mkdtempSync(join(tmpdir(), 'nw-cli-resume-'));
    const straight = await cli([IRIS, '--epochs', '3', '--threads', '1', '--json']);
    const first = await cli([IRIS, '--epochs', '2', '--threads', '1', '--runs', runs, '--json']);
    const [parent] = new RunStore(runs).list();
    const resumed = await cli(['--resume', parent.id, '--runs', runs, '--epochs', '1', '--threads', '1', '--json']);
    expect([straight.code, first.code, resumed.code]).toEqual([0, 0, 0]);
    const epochs = (r: typeof straight) => r.lines.filter((l) => l.type === 'epoch').map((l) => [l.epoch, (l.train as { loss: number }).loss]);
    expect(epochs(resumed)).toEqual([epochs(straight)[2]]);
    expect(resumed.lines.at(-1)).toMatchObject({ type: 'done', test: straight.lines.at(-1)?.test });
    const child = new RunStore(runs).list().find((m) => m.id !== parent.id)!;
    expect(child).toMatchObject({ name: parent.name, status: 'done', resumedFrom: { runId: parent.id, epoch: 2 } });
    // Already trained all its epochs, and no --epochs: nothing to resume.
    const again = await cli(['--resume', parent.id, '--runs', runs]);
    expect(again.code).toBe(2);
    expect(again.err).toContain('error E_RUN_NOTHING_TO_RESUME');
  });

  it('a CLI module starts itself only when run as its own script, never inside the bundled netwright command', () => {
    expect(startedAs('train-cli', '/repo/src-engine/node/train-cli.ts')).toBe(true);
    expect(startedAs('train-cli', 'C:\\repo\\src-engine\\node\\train-cli.ts')).toBe(true);
    expect(startedAs('train-cli', '/usr/lib/node_modules/netwright/out/main/netwright.js')).toBe(false);
    expect(startedAs('train-cli', '/usr/bin/netwright')).toBe(false);
    expect(startedAs('export-cli', '/repo/src-engine/node/train-cli.ts')).toBe(false);
  });
});
