// Runs the e2e suite (node:test) on the available target; fails loudly when there is none.
// `--junit=PATH` also writes a JUnit report there (per-test durations; npm test lists the slowest).
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { ROOT } from './harness.mjs';
import { chooseTarget } from './targets.mjs';

try {
  const target = chooseTarget(ROOT);
  console.log(`e2e: running on ${target.kind} (${target.executable})`);
} catch (err) {
  console.error(`e2e: ${err.message}`);
  process.exit(1);
}
if (!existsSync(path.join(ROOT, 'out/main/web.js')) || !existsSync(path.join(ROOT, 'out/renderer/index.html'))) {
  console.error('e2e: the app is not built. Run `npm run build` first (npm test does).');
  process.exit(1);
}
const files = readdirSync(path.join(ROOT, 'test/e2e')).filter((f) => f.endsWith('.e2e.mjs')).map((f) => path.join('test/e2e', f));
const junit = process.argv.find((a) => a.startsWith('--junit='))?.slice('--junit='.length);
const reporters = ['--test-reporter=spec', ...(junit ? ['--test-reporter-destination=stdout', '--test-reporter=junit', `--test-reporter-destination=${junit}`] : [])];
const r = spawnSync(process.execPath, ['--test', '--test-concurrency=1', ...reporters, ...files], { cwd: ROOT, stdio: 'inherit' });
process.exit(r.status ?? 1);
