/** A CLI's `main` run in this process, what it printed gathered: its exit code, stdout and stderr. */
export async function runCli(main: (argv: string[], out: (s: string) => void, err: (s: string) => void) => Promise<number>, argv: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const code = await main(argv, (s) => (out += s), (s) => (err += s));
  return { code, out, err };
}
