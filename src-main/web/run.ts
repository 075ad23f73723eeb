/**
 * Web mode's command line (`npm run web`, `netwright web`): serve Netwright to a browser on this
 * machine, the engine in a Node child.
 */
import { statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { commandLine, decimalNumber, parseCommandLine, usageErrorText, wantsHelp } from '../../src-engine/node/cli-script';
import { cliErrorText } from '../../src-engine/base/errors';
import { startWebServer } from './server';

/** `netwright web --help` (or `npm run web -- --help`): the usage, naming the command as it was invoked. */
export function webUsage(): string {
  return `usage: ${commandLine('web', '[--port N] [--host ADDR] [--workspace DIR] [--data-dir DIR]')}
  --port N         the port (default: a free one; or NETWRIGHT_PORT)
  --host ADDR      the address to listen on (default 127.0.0.1)
  --workspace DIR  where projects are opened and saved (default ~/Netwright; or NETWRIGHT_WORKSPACE)
  --data-dir DIR   a folder of your data the app may read and train on besides the workspace's data/ (docs/data.md)`;
}

/** The built app the server serves: the renderer folder and the engine's entry. */
export interface WebBuild {
  rendererDir: string;
  engineEntry: string;
}

/**
 * Start the web host from `argv` and print its address. Resolves with an exit code only when it
 * could not start (2: bad arguments, 1: the server failed); while serving it stays pending, and
 * SIGINT/SIGTERM close the server and exit 0.
 */
export async function runWeb(argv: string[], build: WebBuild, out: (s: string) => void = (s) => process.stdout.write(s), err: (s: string) => void = (s) => process.stderr.write(s)): Promise<number> {
  let values: { port?: string; host?: string; workspace?: string; 'data-dir'?: string };
  if (wantsHelp(argv)) return (out(`${webUsage()}\n`), 0);
  try {
    ({ values } = parseCommandLine({ args: argv, options: { port: { type: 'string' }, host: { type: 'string' }, workspace: { type: 'string' }, 'data-dir': { type: 'string' } } }));
  } catch (e) {
    err(usageErrorText((e as Error).message, webUsage()));
    return 2;
  }
  const portText = values.port ?? process.env.NETWRIGHT_PORT ?? '0';
  const port = decimalNumber(portText);
  if (!(Number.isInteger(port) && port >= 0 && port <= 65535)) {
    err(usageErrorText(`${values.port !== undefined ? '--port' : 'NETWRIGHT_PORT'} must be a whole number from 0 to 65535 (got ${JSON.stringify(portText)}).`, webUsage()));
    return 2;
  }
  const dataDir = values['data-dir'] !== undefined ? path.resolve(values['data-dir']) : undefined;
  const workspaceDir = path.resolve(values.workspace ?? process.env.NETWRIGHT_WORKSPACE ?? path.join(os.homedir(), 'Netwright'));
  // A file (or /dev/null) as either folder: refused here, not found out by the first save or scan.
  for (const [flag, dir] of [['--workspace', workspaceDir], ['--data-dir', dataDir]] as const) {
    if (dir !== undefined && notAFolder(dir)) {
      err(cliErrorText('CLI_NOT_A_FOLDER', `${flag} ${dir} is not a folder.`));
      return 2;
    }
  }
  try {
    const server = await startWebServer({
      ...build,
      port,
      host: values.host ?? '127.0.0.1',
      workspaceDir,
      ...(dataDir ? { dataDir } : {}),
    });
    out(`Netwright is running in web mode. Open this address in your browser:\n  ${server.url}\nProjects are saved in ${server.workspaceDir}.${dataDir ? `\nYour data folder: ${dataDir} (Train → Add data…).` : ''}\n`);
    const shutdown = () => void server.close().then(() => process.exit(0));
    process.on('SIGINT', shutdown);
    process.on('SIGTERM', shutdown);
  } catch (e) {
    err(`Netwright web mode could not start: ${(e as Error).message}\n`);
    return 1;
  }
  return new Promise<number>(() => {});
}

/** Whether `dir` is there but is not a folder (a link to one is one); a missing workspace is made when first saved to. */
function notAFolder(dir: string): boolean {
  try {
    return !statSync(dir).isDirectory();
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'ENOTDIR';
  }
}
