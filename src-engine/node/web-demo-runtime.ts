/**
 * The web demo's script (`netwright-demo.js`, core/export/web-demo.ts): the engine's inference
 * (src-engine/app/web-demo/runtime.ts) and the page's script (src-renderer/demo/page.ts) in one
 * browser file, no module loading, so that the page runs from `file://`. A build that ships it
 * prebuilt (`out/demo/netwright-demo.js`) is read; otherwise it is bundled from the sources with
 * esbuild (a development dependency, through Vite), once per process.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type * as Esbuild from 'esbuild';

/** The repository (or package) root: two folders above this file's (src-engine/node, out/main). */
const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

/** The bundle's entry points, from the root, in the order they run. */
export const WEB_DEMO_ENTRIES = ['src-engine/app/web-demo/runtime.ts', 'src-renderer/demo/page.ts'] as const;

/** Where a build puts the prebuilt script. */
export const PREBUILT_WEB_DEMO = join(ROOT, 'out', 'demo', 'netwright-demo.js');

let built: string | undefined;

/** The demo script bundled from the sources (esbuild, minified, one IIFE). */
export function bundleWebDemoRuntime(): string {
  const require = createRequire(import.meta.url);
  const esbuild = require('esbuild') as typeof Esbuild;
  const result = esbuild.buildSync({
    stdin: { contents: WEB_DEMO_ENTRIES.map((e) => `import './${e}';`).join('\n'), resolveDir: ROOT, sourcefile: 'netwright-demo.ts', loader: 'ts' },
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
 * The demo script: the prebuilt one where the build left it, else bundled now (cached for the
 * process). Undefined when neither is possible (an install without the sources or esbuild).
 */
export function webDemoRuntime(): string | undefined {
  if (built !== undefined) return built;
  if (existsSync(PREBUILT_WEB_DEMO)) return (built = readFileSync(PREBUILT_WEB_DEMO, 'utf8'));
  if (!WEB_DEMO_ENTRIES.every((e) => existsSync(join(ROOT, e)))) return undefined;
  return (built = bundleWebDemoRuntime());
}
