// `npm test`: typecheck, lint, unit tests, build, end-to-end tests — and, with --with-accuracy
// (CI), the long accuracy runs. Ends with each part's wall time, the ten slowest tests (from the vitest
// JSON reports and the e2e JUnit report), every failed test with its message and one line summing every suite: `Total: N passed, N failed`.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { setPriority, tmpdir } from 'node:os';
import path from 'node:path';
import { stripVTControlCharacters } from 'node:util';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const reports = path.join(root, '.test-reports');
rmSync(reports, { recursive: true, force: true });
mkdirSync(reports, { recursive: true });
const withAccuracy = process.argv.includes('--with-accuracy');
const bin = (name) => path.join(root, 'node_modules/.bin', name);

/**
 * Every part's temp folder: one of this run's own under the system's, given to every process it
 * starts (TMPDIR: Node's `os.tmpdir()`, Python's `tempfile`, Chromium) and removed when the run
 * ends. The tests make hundreds of folders there (imported resnet18s, exported projects, fork
 * servers' scratch, browser profiles: ~2 GB a run with the accuracy runs), not all of which a
 * test removes; CI ran out of disk on a machine that had run the suite many times (stop 91).
 */
const scratch = mkdtempSync(path.join(tmpdir(), 'netwright-test-'));
// Open to all as the system's is (sticky, like /tmp): munged, started by the Slurm test, refuses a
// socket under a folder others cannot enter, and mkdtemp makes it the owner's alone.
chmodSync(scratch, 0o1777);
/** The bytes under a folder (what a run left in its temp folder, printed with the summary). */
function bytesUnder(dir) {
  let n = 0;
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, e.name);
    try {
      if (e.isDirectory()) n += bytesUnder(p);
      else if (e.isFile()) n += statSync(p).size;
    } catch {
      // gone meanwhile
    }
  }
  return n;
}
const removeScratch = () => rmSync(scratch, { recursive: true, force: true, maxRetries: 3 });
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => (removeScratch(), process.exit(130)));

/**
 * Run a command, echoing its output as it comes (or, `quiet`, not); resolve with its exit code and
 * output. `nice`: the process's niceness (its children inherit it: set before it starts any).
 */
function run(cmd, args, quiet = false, nice = 0) {
  return new Promise((resolve) => {
    // E2E_SCREENSHOTS=0: the e2e suite's screenshots (to look at, asserting nothing) are written by
    // `npm run test:e2e`, not here (88 of them, ~0.4 s each on the suite's longest path).
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { E2E_SCREENSHOTS: '0', ...process.env, FORCE_COLOR: '0', TMPDIR: scratch, TMP: scratch, TEMP: scratch } });
    if (nice && child.pid) {
      try {
        setPriority(child.pid, nice);
      } catch {
        // not permitted here: it runs at the default priority
      }
    }
    let out = '';
    child.stdout.on('data', (d) => (quiet || process.stdout.write(d), (out += d)));
    child.stderr.on('data', (d) => (quiet || process.stderr.write(d), (out += d)));
    child.on('close', (code) => resolve({ code: code ?? 1, out }));
  });
}

function vitestCounts(file) {
  if (!existsSync(file)) return undefined;
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return { passed: r.numPassedTests, failed: r.numFailedTests + (r.numRuntimeErrorTestSuites ?? 0) + (r.testResults ?? []).filter((s) => s.status === 'failed' && s.assertionResults.length === 0).length };
}

/** Every test's duration (seconds) in a vitest JSON report; `part` names the report. */
function vitestDurations(file, part) {
  if (!existsSync(file)) return [];
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return (r.testResults ?? []).flatMap((s) =>
    (s.assertionResults ?? []).filter((t) => typeof t.duration === 'number').map((t) => ({ part, file: path.relative(root, s.name), name: t.fullName ?? t.title, seconds: t.duration / 1000 })),
  );
}

/** An XML attribute's text as written (the five entities and numeric references). */
const unescape = (t) => t.replace(/&(lt|gt|quot|apos|amp|#(\d+));/g, (_, e, n) => (n ? String.fromCodePoint(Number(n)) : { lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' }[e]));

/** Every test's duration (seconds) in the JUnit report node:test writes for the e2e tests. */
function junitDurations(file, part) {
  if (!existsSync(file)) return [];
  return [...readFileSync(file, 'utf8').matchAll(/<testcase\b[^>]*?\bname="([^"]*)"[^>]*?\btime="([\d.]+)"/g)].map((m) => ({ part, file: '', name: unescape(m[1]), seconds: Number(m[2]) }));
}

const results = [];
/** Run one part; `together`: its output is printed whole when it ends (parts run side by side). */
async function step(name, cmd, args, count, together = false, nice = 0) {
  if (!together) console.log(`\n━━ ${name} ━━`);
  const started = performance.now();
  const { code, out } = await run(cmd, args, together, nice);
  const seconds = (performance.now() - started) / 1000;
  if (together) console.log(`\n━━ ${name} ━━\n${out.trimEnd()}`);
  const c = count?.(out) ?? { passed: code === 0 ? 1 : 0, failed: code === 0 ? 0 : 1 };
  if (code !== 0 && c.failed === 0) c.failed = 1; // a crashed runner is a failure, whatever it counted
  results.push({ name, code, seconds, ...c });
  return code;
}

// The unit tests start at once, at a lower priority (niceness 10; the children they start inherit
// it), and take whatever the other parts leave of the cores. The build (16 s alone) starts at once
// too, at the default priority, and the e2e suite the moment it is built: it is the longest part
// that cannot be spread over both cores (one browser, one engine, waits on the UI), so it must not
// wait for the checks (the typecheck alone takes about 40 s), which it does not need. The checks
// run beside it at niceness 5: the e2e suite keeps about 0.8 of a core busy and waits on the UI
// with deadlines, which a core shared at equal priority could miss; the checks and the unit tests
// have no deadline a slower core would miss. One after another they took 281 + 215 s on 2 cores;
// side by side, see issue #33's note.
// With --with-accuracy (CI), the long accuracy runs start at once too, at niceness 15: they train
// on whatever the other parts leave of the cores (the e2e suite waits on the UI, the unit tests on
// Python and SwiftShader: about a third of 2 cores stays idle), and have the machine to themselves
// when the others end. Their output is printed whole when they end.
const accuracy = withAccuracy
  ? step(
      'accuracy runs',
      bin('vitest'),
      ['run', '--config', 'vitest.accuracy.config.ts', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(reports, 'accuracy.json')}`],
      () => vitestCounts(path.join(reports, 'accuracy.json')),
      true,
      15,
    )
  : undefined;
const unit = step(
  'unit tests',
  bin('vitest'),
  ['run', '--reporter=default', '--reporter=json', `--outputFile.json=${path.join(reports, 'unit.json')}`],
  () => vitestCounts(path.join(reports, 'unit.json')),
  false,
  10,
);
/**
 * ESLint's cache: a file unchanged since the last lint (by its contents, not its time: a checkout
 * touches every file) under the same configuration is not linted again. Sound here because every
 * rule reads one file (no type-aware rule: eslint.config.js), so a file's findings depend only on
 * its text and the configuration; the cache file is named by the lockfile's hash, so a new ESLint
 * or plugin version starts an empty one. A clean clone (CI) lints everything. Measured (2 cores,
 * quiet): `eslint .` 55 s of CPU, 3 s with a warm cache.
 */
const LINT_CACHE = [
  '--cache',
  '--cache-strategy',
  'content',
  '--cache-location',
  path.join(root, 'node_modules', '.cache', 'eslint', `${createHash('sha256').update(readFileSync(path.join(root, 'package-lock.json'))).digest('hex').slice(0, 16)}`),
];
const checks = Promise.all([
  // TypeScript 7 (native; `typescript-native`): the same checks as 5.9's `tsc -b` in ~20 s of CPU instead of ~80.
  step('typecheck', process.execPath, [path.join(root, 'node_modules/typescript-native/bin/tsc'), '-b'], undefined, true, 5),
  step('lint', bin('eslint'), ['.', '--max-warnings=0', ...LINT_CACHE], undefined, true, 5),
  step('electron security lint', process.execPath, ['scripts/electronegativity.mjs'], undefined, true, 5),
]);
const built = await step('build', bin('electron-vite'), ['build'], undefined, true);
const e2e =
  built === 0
    ? step(
        'e2e tests',
        process.execPath,
        ['test/e2e/run.mjs', `--junit=${path.join(reports, 'e2e.xml')}`],
        (out) => {
          const pass = /ℹ pass (\d+)/.exec(out);
          const fail = /ℹ fail (\d+)/.exec(out);
          return pass ? { passed: Number(pass[1]), failed: Number(fail?.[1] ?? 0) } : undefined;
        },
        true,
      )
    : Promise.resolve(results.push({ name: 'e2e tests', code: 1, passed: 0, failed: 1 }));
await Promise.all([unit, checks, e2e, accuracy]);

/** Every failed test in a vitest JSON report, with the first line of its message. */
function vitestFailures(file, part) {
  if (!existsSync(file)) return [];
  const r = JSON.parse(readFileSync(file, 'utf8'));
  return (r.testResults ?? []).flatMap((s) => {
    const f = path.relative(root, s.name);
    const tests = (s.assertionResults ?? []).filter((t) => t.status === 'failed').map((t) => ({ part, what: `${f} > ${t.fullName ?? t.title}`, why: (t.failureMessages ?? [])[0] ?? '' }));
    // A file that failed outside any test (an import error, a hook) has no failed test to name.
    return tests.length === 0 && s.status === 'failed' ? [{ part, what: f, why: s.message ?? '' }] : tests;
  });
}

/** Every failed test in the e2e JUnit report, with the first line of its message. */
function junitFailures(file, part) {
  if (!existsSync(file)) return [];
  const xml = readFileSync(file, 'utf8');
  // node:test writes `<failure type="…" message="…">` (the message is not the first attribute) and
  // leaves `>` unescaped inside attributes (a tag ends at a `>` outside quotes) but escapes quotes
  // twice (`&amp;quot;`): unescaped twice.
  const attr = (tag, name) => unescape(unescape(new RegExp(`\\s${name}="([^"]*)"`).exec(tag)?.[1] ?? ''));
  return [...xml.matchAll(/<testcase\b((?:[^>"]|"[^"]*")*)>\s*<failure\b((?:[^>"]|"[^"]*")*)>/g)].map((m) => ({
    part,
    what: attr(m[1], 'name'),
    why: attr(m[2], 'message'),
  }));
}

const failures = [
  ...vitestFailures(path.join(reports, 'unit.json'), 'unit'),
  ...junitFailures(path.join(reports, 'e2e.xml'), 'e2e'),
  ...vitestFailures(path.join(reports, 'accuracy.json'), 'accuracy'),
];

const slowest = [
  ...vitestDurations(path.join(reports, 'unit.json'), 'unit'),
  ...junitDurations(path.join(reports, 'e2e.xml'), 'e2e'),
  ...vitestDurations(path.join(reports, 'accuracy.json'), 'accuracy'),
]
  .sort((a, b) => b.seconds - a.seconds)
  .slice(0, 10);
if (slowest.length > 0) {
  console.log('\n━━ ten slowest tests ━━');
  for (const t of slowest) {
    const what = `${t.file ? `${t.file} > ` : ''}${t.name}`;
    console.log(`${t.seconds.toFixed(1).padStart(7)} s  ${t.part.padEnd(8)} ${what.length > 160 ? `${what.slice(0, 159)}…` : what}`);
  }
}

if (failures.length > 0) {
  // Printed last but one, so that a log's tail (all a CI page may show) names what failed and why.
  console.log('\n━━ failed tests ━━');
  for (const t of failures) {
    const why = (stripVTControlCharacters(t.why).split('\n').find((l) => l.trim() !== '') ?? '').trim();
    // A long first line keeps its end too: a Playwright call log (folded into one line by the JUnit
    // report) names what stood in the way ("<div class=modal-backdrop> intercepts pointer events") last.
    const shown = why.length > 300 ? `${why.slice(0, 170)} … ${why.slice(-130)}` : why;
    console.log(`${t.part.padEnd(8)} ${t.what.length > 160 ? `${t.what.slice(0, 159)}…` : t.what}\n         ${shown}`);
  }
}

let left = 0;
try {
  left = bytesUnder(scratch);
} catch {
  // already gone
}
removeScratch();
console.log(`\nThe tests' temp folder ${scratch}: ${(left / 2 ** 20).toFixed(0)} MiB left in it, removed.`);
console.log('\n━━ summary ━━');
for (const r of results) console.log(`${r.code === 0 ? 'ok  ' : 'FAIL'} ${r.name.padEnd(22)} ${`${r.passed} passed, ${r.failed} failed`.padEnd(24)} ${r.seconds.toFixed(0).padStart(5)} s`);
const passed = results.reduce((a, r) => a + r.passed, 0);
const failed = results.reduce((a, r) => a + r.failed, 0);
console.log(`Total: ${passed} passed, ${failed} failed`);
process.exit(results.every((r) => r.code === 0) ? 0 : 1);
