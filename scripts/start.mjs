// `npm start`: build and launch the desktop app. Electron downloads its binary on first use;
// where that cannot happen (no network), say so and point at web mode instead of a stack trace.
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { electronBinary } from '../test/e2e/targets.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
if (!electronBinary(root)) {
  console.log('Netwright: fetching the Electron runtime (first start only)…');
  const r = spawnSync(process.execPath, [path.join(root, 'node_modules/electron/install.js')], { stdio: 'inherit', cwd: root });
  if (r.status !== 0 || !electronBinary(root)) {
    console.error(
      '\nNetwright could not get the Electron runtime (no network, or ELECTRON_SKIP_BINARY_DOWNLOAD is set).\n' +
        'Connect to the internet and run `npm start` again, or use Netwright in your browser: `npm run web`.',
    );
    process.exit(1);
  }
}
const bin = path.join(root, 'node_modules/.bin/electron-vite');
const r = spawnSync(bin, ['preview', ...process.argv.slice(2)], { stdio: 'inherit', cwd: root });
process.exit(r.status ?? 1);
