/** Whether a Python has some modules installed, for the tests that compare with scikit-learn and the like. */
import { spawnSync } from 'node:child_process';

/**
 * Whether `python` finds every module of `modules` (found, not imported: importing scikit-learn
 * alone costs ~0.75 s of CPU, a lookup ~0.05 s; one that is installed but fails to import fails
 * the tests that use it instead of skipping them).
 */
export function pythonHas(python: string, modules: readonly string[]): boolean {
  const script = `import importlib.util as u, sys; sys.exit(0 if all(u.find_spec(m) for m in ${JSON.stringify(modules)}) else 1)`;
  return spawnSync(python, ['-c', script], { encoding: 'utf8' }).status === 0;
}
