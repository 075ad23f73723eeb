/**
 * Issue #60: `--device auto` says what it chose and why, once, on stderr, and Dawn's own messages
 * (`Warning: vkCreateInstance: Found no drivers!`, a source path of the machine that built
 * dawn.node) stay off it: the adapter is looked for in a child process whose stderr goes to a log.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { checkGraph } from '../../../../src-engine/core/analysis/checked';
import { GpuError } from '../../../../src-engine/core/gpu/context';
import { nodeGpuAcquirer } from '../../../../src-engine/node/gpu/device';
import { chooseDevice } from '../../../../src-engine/node/train-cli';

const ROOT = join(import.meta.dirname, '..', '..', '..', '..');
const IRIS = join(ROOT, 'examples', 'iris-mlp.json');

describe('--device auto', () => {
  it('prints one `device:` line on stderr and none of Dawn\'s messages, as `npm run train` starts it', () => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', join(ROOT, 'src-engine/node/train-cli.ts'), IRIS, '--epochs', '1', '--threads', '1', '--device', 'auto'], { encoding: 'utf8', env: { ...process.env, NETWRIGHT_GPU_DEBUG: '' } });
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stderr.trim().split('\n');
    // A machine with a GPU says which; this one (no Vulkan driver) says why not.
    expect(lines).toEqual([expect.stringMatching(/^device: (gpu \(.+\)|cpu \(.+\))$/)]);
    expect(r.stderr).not.toMatch(/^Warning: |^\s+at \S+ \(.*dawn|XDG_RUNTIME_DIR/m);
    const log = /Dawn's messages: (\S+)\)$/.exec(lines[0])?.[1];
    if (log) expect(readFileSync(log, 'utf8')).toMatch(/^Warning: /m);
    expect(r.stdout).toMatch(/^backend: /m);
  });

  it('the CPU line names why: no adapter (what Dawn said), a model the GPU cannot run; the GPU line names the adapter', async () => {
    const checked = checkGraph(JSON.parse(readFileSync(IRIS, 'utf8'))).graph!;
    const said: string[] = [];
    const none = nodeGpuAcquirer({}, async () => ({ adapter: null, reason: 'Dawn found no usable Vulkan, Metal or D3D12 driver (vkCreateInstance: Found no drivers!)' }));
    const auto = await chooseDevice(checked, 'auto', 1, none, (s) => said.push(s));
    expect(auto.gpu).toBeNull();
    auto.dispose();
    expect(said).toEqual(['device: cpu (no GPU adapter found: Dawn found no usable Vulkan, Metal or D3D12 driver (vkCreateInstance: Found no drivers!))\n']);
    // Forced, the same probe refuses with the app's code; a software adapter is not taken by auto.
    await expect(none(true)).rejects.toMatchObject({ code: 'E_GPU_UNAVAILABLE', message: expect.stringMatching(/^No GPU adapter found: /) });
    const software = nodeGpuAcquirer({}, async () => ({ adapter: { vendor: 'google', architecture: '', device: '', description: 'SwiftShader Device', isFallback: true } }));
    await expect(software(false)).rejects.toBeInstanceOf(GpuError);
    const quiet = await chooseDevice(checked, 'cpu', 1, none, (s) => said.push(s));
    quiet.dispose();
    expect(said).toHaveLength(1);
  });
});
