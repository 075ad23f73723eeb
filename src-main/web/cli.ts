/**
 * `npm run web`: serve Netwright to a browser on this machine, the engine in a Node child.
 * Options: `--port N` (default: a free port), `--host ADDR` (default 127.0.0.1),
 * `--workspace DIR` (where projects are opened and saved; default ~/Netwright), `--data-dir DIR`
 * (a folder of your data the app may read and train on besides the workspace's `data/`; docs/data.md).
 */
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { startWebServer } from './server';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

const here = path.dirname(fileURLToPath(import.meta.url));
const port = Number(arg('port') ?? process.env.NETWRIGHT_PORT ?? 0);
if (!Number.isInteger(port) || port < 0 || port > 65535) {
  console.error(`--port must be a number from 0 to 65535 (got ${arg('port')}).`);
  process.exit(2);
}

startWebServer({
  rendererDir: path.join(here, '../renderer'),
  engineEntry: path.join(here, 'engine.js'),
  port,
  host: arg('host') ?? '127.0.0.1',
  workspaceDir: path.resolve(arg('workspace') ?? process.env.NETWRIGHT_WORKSPACE ?? path.join(os.homedir(), 'Netwright')),
  ...(arg('data-dir') ? { dataDir: path.resolve(arg('data-dir')!) } : {}),
})
  .then((server) => {
    console.log(`Netwright is running in web mode. Open this address in your browser:\n  ${server.url}\nProjects are saved in ${server.workspaceDir}.${arg('data-dir') ? `\nYour data folder: ${path.resolve(arg('data-dir')!)} (Train → Add data…).` : ''}`);
    const shutdown = () => void server.close().then(() => process.exit(0));
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  })
  .catch((err: Error) => {
    console.error(`Netwright web mode could not start: ${err.message}`);
    process.exit(1);
  });
