/**
 * The web demo's script (`netwright-demo.js`, core/export/web-demo.ts): the engine's inference
 * (src-engine/app/web-demo/runtime.ts) and the page's script (src-renderer/demo/page.ts) in one
 * browser file, no module loading, so that the page runs from `file://`. Run from the sources, it
 * is bundled with esbuild (a development dependency, through Vite), once per process; the built
 * app reads the copy its build wrote (`out/main/netwright-demo.js`).
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';

/** This file, and the repository root when it runs from the sources (src-engine/node). */
const HERE = fileURLToPath(import.meta.url);
const ROOT = join(dirname(HERE), '..', '..');

/** The bundle's entry points, from the root, in the order they run. */
export const WEB_DEMO_ENTRIES = ['src-engine/app/web-demo/runtime.ts', 'src-renderer/demo/page.ts'] as const;

/** The prebuilt script's name: the build writes it into out/main beside the engine (electron.vite.config.ts). */
export const PREBUILT_WEB_DEMO = 'netwright-demo.js';

let built: string | undefined;

/** The demo script bundled from the sources under `root` (esbuild, minified, one IIFE). */
export function bundleWebDemoRuntime(root = ROOT): string {
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof Esbuild;
  const result = esbuild.buildSync({
    stdin: { contents: WEB_DEMO_ENTRIES.map((e) => `import './${e}';`).join('\n'), resolveDir: root, sourcefile: 'netwright-demo.ts', loader: 'ts' },
    bundle: true,
    write: false,
    format: 'iife',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    // Licence comments of bundled code, if any, kept at the end of the file.
    legalComments: 'eof',
    logLevel: 'silent',
  });
  return `/* Netwright web demo: the engine's inference and the page's script. */\n${result.outputFiles[0].text}`;
}

/**
 * The demo script: bundled now from the sources when this module runs from them (never a build's
 * copy, which may be older than the sources), else the one the build left beside the engine's
 * bundle (out/main, or the folder above a chunk's); cached for the process. Undefined when there
 * is neither (a build without it).
 */
export function webDemoRuntime(): string | undefined {
  if (built !== undefined) return built;
  if (HERE.endsWith('.ts')) return (built = bundleWebDemoRuntime());
  const prebuilt = [join(dirname(HERE), PREBUILT_WEB_DEMO), join(dirname(HERE), '..', PREBUILT_WEB_DEMO)].find((p) => existsSync(p));
  return prebuilt === undefined ? undefined : (built = readFileSync(prebuilt, 'utf8'));
}
