import { chmodSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { FuseState, FuseV1Options } from '@electron/fuses';
import { describe, expect, it } from 'vitest';
import { afterPack, packagedBinary } from '../../../src-main/build/after-pack';
import { NETWRIGHT_FUSES, fuseMismatches } from '../../../src-main/build/fuses';
import { DOCS_ENTRY } from '../../../src-main/electron/app-menu';
import { OPENABLE } from '../../../src-main/host/open-files';

/**
 * The desktop app's packaging (issue #46), as far as it runs without Electron's binary: the
 * electron-builder configuration, and its afterPack hook on a stand-in of a packed app whose
 * "Electron binary" holds a fuse wire as Electron 45 ships it.
 */
const root = path.resolve(import.meta.dirname, '../../..');
const config = JSON.parse(readFileSync(path.join(root, 'electron-builder.json'), 'utf8'));
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));

/** Electron's fuse sentinel, then the wire: version 1, its length, one byte a fuse ('1' on, '0' off: Electron 45's stock states). */
const SENTINEL = 'dL7pKGdnNz796PbbjQWNKmHXBZaB9tsX';
const STOCK = '101100011';

function standInBinary(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  const wire = Buffer.concat([Buffer.from(SENTINEL), Buffer.from([1, STOCK.length]), Buffer.from(STOCK)]);
  writeFileSync(file, Buffer.concat([Buffer.alloc(4096, 0x90), wire, Buffer.alloc(4096, 0x90)]));
  chmodSync(file, 0o755);
}

describe('electron-builder configuration', () => {
  it('builds AppImage and deb, dmg and NSIS from electron-vite\'s out/, with the fuses hook, and npm run dist runs it', () => {
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.files).toEqual(expect.arrayContaining(['out/main/**/*', 'out/preload/**/*', 'out/renderer/**/*']));
    // app.asar only (the OnlyLoadAppFromAsar and asar-integrity fuses need it).
    expect(config.asar).toBe(true);
    expect(config.afterPack).toBe('./src-main/build/after-pack.ts');
    expect(pkg.main).toBe('out/main/main.js');
    // The installers' icon (resources/icon.png, the app's icon.svg at 1024 px): electron-builder makes .icns and .ico from a PNG of at least 512 px.
    const icon = readFileSync(path.join(root, config.directories.buildResources, 'icon.png'));
    expect([icon.readUInt32BE(16), icon.readUInt32BE(20)]).toEqual([1024, 1024]);
    expect(pkg.scripts.dist).toMatch(/electron-vite build && node --import tsx node_modules\/electron-builder\/cli\.js --config electron-builder\.json/);
  });

  it('passes electron-builder\'s own schema check (a misspelt key would not)', async () => {
    // electron-builder's configuration validator (app-builder-lib, which it runs before a build).
    const require = createRequire(import.meta.url);
    const { validateConfiguration } = require('app-builder-lib/out/util/config/config') as { validateConfiguration(c: unknown, log: unknown): Promise<void> };
    const { DebugLogger } = require('builder-util') as { DebugLogger: new (enabled: boolean) => unknown };
    await expect(validateConfiguration(structuredClone(config), new DebugLogger(false))).resolves.toBeUndefined();
    await expect(validateConfiguration({ ...structuredClone(config), linxu: {} }, new DebugLogger(false))).rejects.toThrow(/does not match the API schema/);
  });

  it('associates the files the app opens (open-files.ts): projects and ONNX models', () => {
    expect(config.fileAssociations.map((a: { ext: string }) => `.${a.ext}`)).toEqual(OPENABLE.map((o) => o.suffix));
    for (const a of config.fileAssociations) expect(a).toMatchObject({ name: expect.any(String), mimeType: expect.stringMatching(/^application\//) });
  });
});

describe('the docs the installed app ships', () => {
  /** A file under docs/ that extraResources' filter copies (electron-builder's globs: `*` stops at a `/`). */
  const docs = config.extraResources.find((r: { from: string }) => r.from === 'docs') as { to: string; filter: string[] };
  const glob = (g: string) => new RegExp(`^${g.split('*').map((p) => p.replace(/[.+?^${}()|[\]\\]/g, '\\$&')).join('[^/]*')}$`);
  const shipped = (file: string) => docs.filter.some((g) => glob(g).test(file));
  const files = (dir: string): string[] =>
    readdirSync(path.join(root, 'docs', dir), { withFileTypes: true }).flatMap((d) => (d.isDirectory() ? files(path.posix.join(dir, d.name)) : [path.posix.join(dir, d.name)]));

  it('Help ▸ Documentation opens the user guide, and the guide comes with every page and picture it links', () => {
    expect(docs.to).toBe('docs');
    expect(DOCS_ENTRY).toBe('guide/README.md');
    expect(shipped(DOCS_ENTRY)).toBe(true);
    const guide = files('guide').filter((f) => f.endsWith('.md'));
    expect(guide.length).toBeGreaterThanOrEqual(8);
    const linked = guide.flatMap((page) =>
      [...readFileSync(path.join(root, 'docs', page), 'utf8').matchAll(/\]\(([^)#\s]+)(?:#[^)]*)?\)/g)]
        .map((m) => m[1])
        .filter((t) => !/^[a-z]+:/.test(t))
        .map((t) => path.posix.normalize(path.posix.join(path.posix.dirname(page), t)))
        .filter((t) => !t.startsWith('..') && /\.(md|png)$/.test(t)),
    );
    expect(linked).toEqual(expect.arrayContaining(['guide/img/design.png', 'guide/design.md', 'trainer.md']));
    expect([...guide, ...linked].filter((f) => !shipped(f))).toEqual([]);
    // Nothing else: the dated notes stay with the repository.
    expect(files('notes').filter(shipped)).toEqual([]);
  });
});

describe('afterPack: the fuses on the packed binary', () => {
  it.each([
    ['linux', 'netwright-app'],
    ['win32', 'Netwright.exe'],
    ['darwin', 'Netwright.app/Contents/Frameworks/Electron Framework.framework/Electron Framework'],
  ])('%s: finds the binary where electron-builder puts it, flips every fuse, and `npm run fuses -- --check` agrees', async (platform, where) => {
    const appOutDir = mkdtempSync(path.join(tmpdir(), `nw-afterpack-${platform}-`));
    standInBinary(path.join(appOutDir, where));
    const binary = packagedBinary({ platform, appOutDir, productFilename: 'Netwright', linuxExecutableName: config.executableName });
    // Stock Electron: RunAsNode on, NODE_OPTIONS on, asar integrity off… (the check fails).
    expect(await fuseMismatches(binary)).toContain('RunAsNode: ENABLE, wanted DISABLE');
    await afterPack({ appOutDir, electronPlatformName: platform, packager: { appInfo: { productFilename: 'Netwright' }, ...(platform === 'linux' ? { executableName: config.executableName } : {}) } });
    expect(await fuseMismatches(binary)).toEqual([]);
    const wire = readFileSync(path.join(appOutDir, where)).toString('latin1');
    const flipped = wire.slice(wire.indexOf(SENTINEL) + SENTINEL.length + 2, wire.indexOf(SENTINEL) + SENTINEL.length + 2 + STOCK.length);
    expect(flipped[FuseV1Options.RunAsNode]).toBe(String.fromCharCode(FuseState.DISABLE));
    expect(flipped[FuseV1Options.OnlyLoadAppFromAsar]).toBe(String.fromCharCode(NETWRIGHT_FUSES[FuseV1Options.OnlyLoadAppFromAsar] ? FuseState.ENABLE : FuseState.DISABLE));
  });

  it('a binary without a fuse wire fails the build', async () => {
    const appOutDir = mkdtempSync(path.join(tmpdir(), 'nw-afterpack-bad-'));
    writeFileSync(path.join(appOutDir, 'netwright-app'), 'not electron');
    await expect(afterPack({ appOutDir, electronPlatformName: 'linux', packager: { appInfo: { productFilename: 'Netwright' }, executableName: 'netwright-app' } })).rejects.toThrow(/sentinel/);
  });
});
