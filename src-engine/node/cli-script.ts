/**
 * How a command-line tool's module starts when run as a script (`npm run train`, i.e.
 * `tsx src-engine/node/train-cli.ts`), and only then: bundled into the `netwright` command
 * (src-main/cli/netwright.ts), the module is a part of another script and must not start itself.
 * Also how messages name a command: as the user invoked it (`commandLine`).
 */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { cliErrorJson, cliErrorText, type ErrorCode, type ThrownCode } from '../base/errors';

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

/**
 * The environment variable the `netwright` command sets (src-main/cli/netwright.ts) so that every
 * message naming a command names it as the user typed it; children it starts (web mode's engine)
 * inherit it.
 */
export const INVOKED_AS_ENV = 'NETWRIGHT_INVOKED_AS';

/**
 * A command line as the user would type it here: `netwright train model.json` under the installed
 * command, `npm run train -- model.json` from a checkout (`npm run train` without arguments).
 *
 * @example commandLine('train', '--resume RUN --runs runs') // 'netwright train --resume RUN --runs runs'
 */
export function commandLine(command: string, args = '', env: NodeJS.ProcessEnv = process.env): string {
  if (env[INVOKED_AS_ENV] === 'netwright') return args ? `netwright ${command} ${args}` : `netwright ${command}`;
  return args ? `npm run ${command} -- ${args}` : `npm run ${command}`;
}

/** The words before a command's options as the user would type them here: `netwright web`, or `npm run web --` (the app's UI appends `--workspace FOLDER`). */
export function commandPrefix(command: string, env: NodeJS.ProcessEnv = process.env): string {
  return commandLine(command, '-', env).slice(0, -2);
}

/** Whether `argv` asks for the usage (`--help`, `-h`): the CLIs answer it before parsing the rest. */
export function wantsHelp(argv: readonly string[]): boolean {
  return argv.includes('--help') || argv.includes('-h');
}

/**
 * A command line's arguments read by parseArgs, with a negative number as an option's value:
 * `--seed -1` gives --seed the text "-1" (parseArgs takes "-1" for an option and refuses the line:
 * "argument is ambiguous"), so that the option's own check says what it takes. A value that does
 * not start as a number (`--out -x`) is left to parseArgs.
 */
export function parseCommandLine<T extends ParseArgsConfig & { args: string[] }>(config: T): ReturnType<typeof parseArgs<T>> {
  const args: string[] = [];
  for (let i = 0; i < config.args.length; i++) {
    const arg = config.args[i];
    const next = config.args[i + 1];
    if (arg === '--') {
      args.push(...config.args.slice(i));
      break;
    }
    if (/^--[^=]+$/.test(arg) && config.options?.[arg.slice(2)]?.type === 'string' && next !== undefined && /^-\.?\d/.test(next)) {
      args.push(`${arg}=${next}`);
      i++;
    } else args.push(arg);
  }
  return parseArgs({ ...config, args });
}

/**
 * A number as a command line writes it: decimal digits, with an optional sign, fraction and
 * exponent (`3`, `-1`, `0.5`, `3e-4`); NaN for anything else. Number() also reads `0x10` (16),
 * `0b11`, `0o7`, `Infinity`, an empty or blank text (0) and one padded with blanks.
 */
export function decimalNumber(text: string): number {
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(text) ? Number(text) : NaN;
}

/** A usage error as the CLIs print it: coded CLI_USAGE, then the usage. */
export function usageErrorText(message: string, usage: string): string {
  return `${cliErrorText('CLI_USAGE', message)}${usage}\n`;
}

/**
 * A CLI's start, shared by the train, evaluate and predict commands: `--help` answered with `usage` (exit 0), else `argv` parsed (a usage error printed,
 * as one JSON line under `--json`, and exit code 2 returned), and `fail`, which prints a coded
 * error (JSON under `--json`) and returns the exit code it is given.
 */
export function startCli<A extends { json: boolean }>(argv: string[], parse: (argv: string[]) => A, usage: string, out: (s: string) => void, err: (s: string) => void): number | { args: A; fail: (code: ErrorCode | ThrownCode, message: string, exit: number) => number } {
  if (wantsHelp(argv)) {
    out(`${usage}\n`);
    return 0;
  }
  let args: A;
  try {
    args = parse(argv);
  } catch (e) {
    // Under --json every line is JSON, a usage error included.
    if (argv.includes('--json')) out(cliErrorJson('CLI_USAGE', (e as Error).message, { usage }));
    else err(usageErrorText((e as Error).message, usage));
    return 2;
  }
  const fail = (code: ErrorCode | ThrownCode, message: string, exit: number): number => {
    if (args.json) out(cliErrorJson(code, message));
    else err(cliErrorText(code, message));
    return exit;
  };
  return { args, fail };
}
