/**
 * `npm run web`: serve Netwright to a browser on this machine, the engine in a Node child
 * (options: src-main/web/run.ts, `webUsage`). Built to out/main/web.js beside the engine.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runWeb } from './run';

const here = path.dirname(fileURLToPath(import.meta.url));
void runWeb(process.argv.slice(2), { rendererDir: path.join(here, '../renderer'), engineEntry: path.join(here, 'engine.js') }).then((code) => process.exit(code));
