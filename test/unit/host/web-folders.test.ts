/**
 * Issue #57: `netwright web --workspace` (and `--data-dir`) naming a file or a device is refused
 * with a coded message, exit 2, before a server starts; it once started, and the first save or
 * scan found out.
 */
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runWeb } from '../../../src-main/web/run';
import { runCli } from '../engine/node/cli-run';

const web = (argv: string[]) => runCli((a, out, err) => runWeb(a, { rendererDir: '', engineEntry: '' }, out, err), argv);

describe('netwright web: its folders are folders', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nw-web-folders-'));
  const file = join(dir, 'notes.txt');
  writeFileSync(file, 'not a folder');

  it.each([
    ['--workspace', file],
    ['--workspace', join(file, 'below')],
    ['--data-dir', file],
    ...(existsSync('/dev/null') ? [['--workspace', '/dev/null']] : []),
  ])('%s %s: CLI_NOT_A_FOLDER, exit 2', async (flag, path) => {
    const r = await web([flag, path, '--port', '1']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(new RegExp(`^error CLI_NOT_A_FOLDER: ${flag} .* is not a folder\\.\\n  help: Name a folder, not a file or device`));
    expect(r.out).toBe('');
  });
});
