/**
 * How a command-line tool's module starts when run as a script (`npm run train`, i.e.
 * `tsx src-engine/node/train-cli.ts`), and only then: bundled into the `netwright` command
 * (src-main/cli/netwright.ts), the module is a part of another script and must not start itself.
 */
import type { ErrorCode } from '../base/errors';

/** Whether this process was started as `<name>.ts`/`.js` (e.g. `train-cli`): by the file's name, not `import.meta.url`, which a bundle shares. */
export function startedAs(name: string, argv1: string | undefined = process.argv[1]): boolean {
  return argv1 !== undefined && argv1.replace(/\\/g, '/').split('/').pop()?.replace(/\.[cm]?[jt]s$/, '') === name;
}

/** Run `main` on the process's arguments and exit with its code; an escaped error is printed under `internalCode` (exit 1). */
export function runScript(main: (argv: string[]) => Promise<number>, internalCode: ErrorCode): void {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (e: unknown) => {
      process.stderr.write(`error ${internalCode}: ${(e as Error).stack ?? String(e)}\n`);
      process.exit(1);
    },
  );
}
