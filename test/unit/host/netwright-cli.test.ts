import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { dispatch, helpText, netwrightCommands, type Command } from '../../../src-main/cli/commands';
import { ENGINE_VERSION } from '../../../src-engine/base/version';
import { INVOKED_AS_ENV, commandLine, commandPrefix } from '../../../src-engine/node/cli-script';
import { main as evaluateCli } from '../../../src-engine/node/evaluate-cli';
import { main as exportCli } from '../../../src-engine/node/export-cli';
import { main as importCli } from '../../../src-engine/node/import-cli';
import { main as quantizeCli } from '../../../src-engine/node/quantize-cli';
import { main as predictCli } from '../../../src-engine/node/predict-cli';
import { main as trainCli } from '../../../src-engine/node/train-cli';
import { runWeb } from '../../../src-main/web/run';

/** The `netwright` command (issue #46): package.json's bin, its subcommands, --version and --help. */
const root = path.resolve(import.meta.dirname, '../../..');

function io() {
  const o = { out: '', err: '' };
  return { o, io: { out: (s: string) => void (o.out += s), err: (s: string) => void (o.err += s), version: ENGINE_VERSION, docsDir: '/pkg/docs' } };
}

const fake = (name: string, run = vi.fn(async () => 0)): Command => ({ name, summary: `does ${name}`, usage: async () => `usage: netwright ${name} X`, run });

describe('netwright', () => {
  it('package.json installs it as `netwright`, shipping the built app, the examples and the docs', () => {
    const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
    expect(pkg.bin).toEqual({ netwright: 'bin/netwright.js' });
    expect(readFileSync(path.join(root, 'bin/netwright.js'), 'utf8')).toMatch(/^#!\/usr\/bin\/env node\n[\s\S]*import '\.\.\/out\/main\/netwright\.js';/);
    expect(pkg.files).toEqual(expect.arrayContaining(['bin/', 'out/', 'examples/']));
    expect(pkg.scripts.prepack).toMatch(/electron-vite build/);
  });

  it('has web, train, evaluate, predict, export, quantize, import and runs', () => {
    expect(netwrightCommands({ rendererDir: '', engineEntry: '' }).map((c) => c.name)).toEqual(['web', 'train', 'evaluate', 'predict', 'export', 'quantize', 'import', 'runs']);
  });

  // Issue #60: `netwright export --help` printed 'usage: npm run export', `npm run train -- --help` 'Unknown option'.
  it('every command answers --help with its usage in the words it was invoked with: `netwright <cmd>`, or `npm run <cmd> --`', async () => {
    const commands = netwrightCommands({ rendererDir: '', engineEntry: '' });
    vi.stubEnv(INVOKED_AS_ENV, 'netwright');
    try {
      for (const c of commands) {
        const r = io();
        expect(await dispatch([c.name, '--help'], commands, r.io), c.name).toBe(0);
        expect(r.o.out).toMatch(new RegExp(`^usage: netwright ${c.name} `));
        expect(r.o.out).not.toMatch(/npm run/);
      }
    } finally {
      vi.unstubAllEnvs();
    }
    // Run as their npm scripts (`npm run train -- --help`): each CLI's own main answers it.
    vi.stubEnv(INVOKED_AS_ENV, '');
    try {
      const mains = { train: trainCli, evaluate: evaluateCli, predict: predictCli, export: exportCli, import: importCli, quantize: quantizeCli, web: (argv: string[], out: (s: string) => void, err: (s: string) => void) => runWeb(argv, { rendererDir: '', engineEntry: '' }, out, err) };
      for (const [name, main] of Object.entries(mains)) {
        let out = '';
        expect(await main(['--help'], (s) => void (out += s), () => undefined), name).toBe(0);
        expect(out).toMatch(new RegExp(`^usage: npm run ${name} -- `));
      }
    } finally {
      vi.unstubAllEnvs();
    }
  });

  it('messages that name a command name it as invoked', () => {
    expect(commandLine('train', 'm.json --data FOLDER', { [INVOKED_AS_ENV]: 'netwright' })).toBe('netwright train m.json --data FOLDER');
    expect(commandLine('train', 'm.json --data FOLDER', {})).toBe('npm run train -- m.json --data FOLDER');
    expect(commandLine('web', '', { [INVOKED_AS_ENV]: 'netwright' })).toBe('netwright web');
    expect(commandLine('web', '', {})).toBe('npm run web');
    // The web host tells the app how it was started (files' `workspace`), for the hints naming its options.
    expect(commandPrefix('web', { [INVOKED_AS_ENV]: 'netwright' })).toBe('netwright web');
    expect(commandPrefix('web', {})).toBe('npm run web --');
    // The built entry sets it before anything runs (web mode's engine child inherits it).
    expect(readFileSync(path.join(root, 'src-main/cli/netwright.ts'), 'utf8')).toMatch(/process\.env\[INVOKED_AS_ENV\] = 'netwright';/);
  });

  it('--version prints the version; --help lists the commands and where the docs are', async () => {
    const v = io();
    expect(await dispatch(['--version'], [], v.io)).toBe(0);
    expect(v.o.out).toBe(`${ENGINE_VERSION}\n`);
    const h = io();
    expect(await dispatch(['--help'], [fake('train')], h.io)).toBe(0);
    expect(h.o.out).toBe(helpText([fake('train')], h.io));
    expect(h.o.out).toMatch(/^ {2}train {2}does train$/m);
    expect(h.o.out).toContain('Docs: /pkg/docs');
  });

  it('runs a subcommand with the arguments after its name and returns its exit code', async () => {
    const run = vi.fn(async () => 3);
    const r = io();
    expect(await dispatch(['train', 'examples/iris-mlp.json', '--epochs', '3'], [fake('web'), fake('train', run)], r.io)).toBe(3);
    expect(run).toHaveBeenCalledWith(['examples/iris-mlp.json', '--epochs', '3']);
  });

  it('`netwright train --help` and `netwright help train` print that command\'s usage without running it', async () => {
    const run = vi.fn(async () => 0);
    for (const argv of [['train', '--help'], ['help', 'train']]) {
      const r = io();
      expect(await dispatch(argv, [fake('train', run)], r.io)).toBe(0);
      expect(r.o.out).toBe('usage: netwright train X\n');
    }
    expect(run).not.toHaveBeenCalled();
  });

  it('no command, or an unknown one: the help, exit 2', async () => {
    const none = io();
    expect(await dispatch([], [fake('train')], none.io)).toBe(2);
    const bad = io();
    expect(await dispatch(['trian'], [fake('train')], bad.io)).toBe(2);
    expect(bad.o.err).toMatch(/^netwright: "trian" is not a command\./);
  });
});
