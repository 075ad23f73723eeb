/**
 * `netwright`, the command installed with the package (package.json `bin` → bin/netwright.js →
 * out/main/netwright.js): `web`, `train`, `evaluate`, `predict`, `export`, `import`, `--version`, `--help`
 * (commands.ts), `runs`. Runs on Node alone: Electron is needed neither for the CLIs nor for web mode.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENGINE_VERSION } from '../../src-engine/base/version';
import { INVOKED_AS_ENV } from '../../src-engine/node/cli-script';
import { dispatch, netwrightCommands } from './commands';

// Every message that names a command names it `netwright <command>` (cli-script.ts `commandLine`),
// in web mode's engine child too, which inherits it.
process.env[INVOKED_AS_ENV] = 'netwright';

// This file is a built entry (out/main/netwright.js), so its own URL locates the built app beside it.
const here = path.dirname(fileURLToPath(import.meta.url));
const commands = netwrightCommands({ rendererDir: path.join(here, '../renderer'), engineEntry: path.join(here, 'engine.js') });

dispatch(process.argv.slice(2), commands, { out: (s) => process.stdout.write(s), err: (s) => process.stderr.write(s), version: ENGINE_VERSION, docsDir: path.join(here, '../../docs') }).then(
  (code) => process.exit(code),
  (e: unknown) => {
    process.stderr.write(`error E_CLI_INTERNAL: ${(e as Error).stack ?? String(e)}\n`);
    process.exit(1);
  },
);
