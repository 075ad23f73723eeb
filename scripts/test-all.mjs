// `npm test`: typecheck, lint, unit tests, build, end-to-end tests — and, with --with-accuracy
// (CI), the long accuracy runs. Ends with one line summing every suite: `Total: N passed, N failed`.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reports = path.join(root, '.test-reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const withAccuracy = process.argv.includes('--with-accuracy');
const bin = (name) => path.join(root, 'node_modules/.bin', name);

/** Run a command, echoing its output; resolve with its exit code and output. */
function run(cmd, args) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, FORCE_COLOR: '0' } });
    let out = '';
    child.stdout.on('data', (d) => (process.stdout.write(d), (out += d)));
    child.stderr.on('data', (d) => (process.stderr.write(d), (out += d)));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

function vitestCounts(file) {
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return { passed: r.numPassedTests, failed: r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0) + (r.testResults ?? []).filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length };
}

const results = [];
async function step(name, cmd, args, count) {
  console.log(`\n━━ ${name} ━━`);
  const { code, out } = await run(cmd, args);
  const c = count?.(out) ?? { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
  if (code !== 0 && c.failed === 0) c.failed = 1; // a crashed runner is a failure, whatever it counted
  results.push({ name, code, ...c });
  return code;
}

await step('typecheck', bin('tsc'), ['-b']);
await step('lint', bin('eslint'), ['.', '--max-warnings=0']);
await step('electron security lint', process.execPath, ['scripts/electronegativity.mjs']);
await step('unit tests', bin('vitest'), ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(reports, 'unit.json')}`], () => vitestCounts(path.join(reports, 'unit.json')));
const built = await step('build', bin('electron-vite'), ['build']);
if (built === 0) {
  await step('e2e tests', process.execPath, ['test/e2e/run.mjs'], (out) => {
    const pass = /ℹ pass (\d+)/.exec(out);
    const fail = /ℹ fail (\d+)/.exec(out);
    return pass ? { passed: Number(pass[1]), failed: Number(fail?.[1] ?? 0) } : undefined;
  });
} else {
  results.push({ name: 'e2e tests', code: 1, passed: 0, failed: 1 });
}
if (withAccuracy) {
  await step('accuracy runs', bin('vitest'), ['run', '--config', 'vitest.accuracy.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(reports, 'accuracy.json')}`], () =>
    vitestCounts(path.join(reports, 'accuracy.json')),
  );
}

console.log('\n━━ summary ━━');
for (const r of results) console.log(`${r.code === 0 ? 'ok  ' : 'FAIL'} ${r.name.padEnd(16)} ${r.passed} passed, ${r.failed} failed`);
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`Total: ${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
