/**
 * CPU milliseconds this test process has used so far (user + system, every thread of the fork).
 *
 * For "takes no time" and "never hangs" bounds: `npm test` runs the unit files at niceness 10
 * beside the e2e suite and the typecheck, where work that needs 0.4 s of CPU can wait longer than
 * a second for a core, so a wall-clock bound fails on load rather than on the code. What such a
 * bound guards against — a super-linear parse, a read of /dev/zero, an allocation of gigabytes —
 * spends its time computing, which CPU time counts (a GC helper thread only makes it stricter).
 * The unit files run in forks (vitest.config.ts, `pool: 'forks'`), so this is the test's own.
 */
export function cpuMs(): number {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1000;
}
