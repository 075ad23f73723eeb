import path from 'node:path';
import { ESLint } from 'eslint';

const root = path.resolve(__dirname, '../../..');
const eslint = new ESLint({ cwd: root });

/**
 * The `no-restricted-imports` messages the project's real ESLint config gives a probe file at
 * `file` (relative to the repository) that imports `specifier`.
 */
export async function restricted(file: string, specifier: string): Promise<string[]> {
  const [r] = await eslint.lintText(`import type { X } from '${specifier}';\nexport type Y = X;\n`, { filePath: path.join(root, file) });
  return r.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
}

/** The `rule` messages the project's real ESLint config gives `source` as a file at `file` (relative to the repository). */
export async function lintMessages(file: string, source: string, rule: string): Promise<string[]> {
  const [r] = await eslint.lintText(source, { filePath: path.join(root, file) });
  return r.messages.filter((m) => m.ruleId === rule).map((m) => m.message);
}
