import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import { resolve } from 'node:path';
import type { Plugin } from 'vite';
import { contentSecurityPolicy } from './src-main/host/security';
import { bundleWebDemoRuntime, PREBUILT_WEB_DEMO } from './src-engine/node/web-demo-runtime';

/**
 * Put the CSP into the built index.html too (file:// loads get no response headers). Browsers
 * ignore `frame-ancestors` in a <meta> policy, so that directive travels only as a header. The
 * meta policy knows no port: it allows `connect-src 'self'` only, which covers web mode's engine
 * socket on the page's own origin (CSP 3 matches ws: to an http: 'self'); each host's header
 * narrows the rest.
 */
const META_POLICY = contentSecurityPolicy()
  .split('; ')
  .filter((d) => !d.startsWith('frame-ancestors'))
  .join('; ');

function cspMetaTag(): Plugin {
  return {
    name: 'netwright-csp',
    apply: 'build',
    transformIndexHtml: (html) =>
      html.replace('<meta charset="UTF-8" />', `<meta charset="UTF-8" />\n    <meta http-equiv="Content-Security-Policy" content="${META_POLICY}" />`),
  };
}

/** The web demo's script (Export ▸ Web page…), written beside the engine's bundle, where src-engine/node/web-demo-runtime.ts reads it. */
function webDemoScript(): Plugin {
  return {
    name: 'netwright-web-demo',
    apply: 'build',
    generateBundle() {
      this.emitFile({ type: 'asset', fileName: PREBUILT_WEB_DEMO, source: bundleWebDemoRuntime(__dirname) });
    },
  };
}

export default defineConfig({
  main: {
    plugins: [webDemoScript()],
    build: {
      outDir: 'out/main',
      rollupOptions: {
        input: {
          main: resolve(__dirname, 'src-main/electron/main.ts'),
          engine: resolve(__dirname, 'src-engine/node/main.ts'),
          web: resolve(__dirname, 'src-main/web/cli.ts'),
          // The `netwright` command (package.json bin → bin/netwright.js): Node only, no Electron.
          netwright: resolve(__dirname, 'src-main/cli/netwright.ts'),
        },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      rollupOptions: {
        input: { preload: resolve(__dirname, 'src-main/electron/preload.ts'), 'gpu-preload': resolve(__dirname, 'src-main/electron/gpu-preload.ts') },
        // Sandboxed preloads must be CommonJS.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: 'src-renderer',
    plugins: [react(), cspMetaTag()],
    build: {
      outDir: 'out/renderer',
      // Minified: the first screen parses ~0.8 MB of script instead of ~1.7 MB (React 19 ships unminified).
      minify: true,
      // index: the app; gpu: Electron's hidden GPU window, whose worker owns the WebGPU device (docs/webgpu-backend.md).
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html'), gpu: resolve(__dirname, 'src-renderer/gpu.html') } },
    },
    worker: { format: 'es' },
  },
});
