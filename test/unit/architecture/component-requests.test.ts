import { describe, expect, it } from 'vitest';
import { lintMessages } from './lint-probe';

/**
 * Components send no engine requests (#45): what the engine is asked, and how, is the run
 * controller's (state/run-controller.ts) or a small client module's (training/*-client.ts). Each
 * case lints a probe file with the project's real ESLint config.
 */
const probe = (call: string) => `import type { RpcClient } from '../../../../src-engine/protocol';\nexport const f = (client: RpcClient | undefined) => ${call};\n`;

describe('components send no engine requests', () => {
  it.each([
    "client!.request('runs.list', {})",
    "client?.request('runs.delete', { id: 'x' })",
    "useEngine.getState().requestUnlessCrashed(client!, 'dataset.preview', { dataset: { name: 'moons' }, samples: 8 })",
  ])('%s in a component is refused', async (call) => {
    const msgs = await lintMessages('src-renderer/src/components/training/__probe__.ts', probe(call), 'no-restricted-syntax');
    expect(msgs).toEqual([expect.stringMatching(/run controller/)]);
  });

  it('the same call in a client module is allowed', async () => {
    expect(await lintMessages('src-renderer/src/training/__probe__.ts', probe("client!.request('runs.list', {})").replace('../../../../', '../../../'), 'no-restricted-syntax')).toEqual([]);
  });
});
