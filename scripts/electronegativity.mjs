#!/usr/bin/env node
/**
 * The Electron part of `npm run lint`: @doyensec/electronegativity over src-main, failing on any
 * finding that is not one of the reviewed ones below (each is explained in docs/security.md,
 * "Electron"). A reviewed finding is matched by check, file and source line, so a *new*
 * openExternal or preload elsewhere fails the lint until someone reviews it.
 *
 * The Electron version comes from package.json, so the tool does not need the network to guess it.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

/** Reviewed findings: check id, file (relative to src-main), the flagged source (`N/A` where the tool gives none), and why it is fine. */
export const REVIEWED = [
  { issue: 'CSP_GLOBAL_CHECK', file: 'electron/main.ts', sample: 'N/A', why: 'The CSP is a shared constant (src-main/host/security.ts) the tool cannot read; it is set on every app:// response and tested in test/unit/host.' },
  { issue: 'PRELOAD_JS_CHECK', file: 'electron/main.ts', sample: "preload: path.join(here, '../preload/preload.cjs'),", why: 'The sandboxed preload exposes only the typed PreloadBridge (src-contracts/host.ts); every channel it uses is sender-checked in main.' },
  { issue: 'PRELOAD_JS_CHECK', file: 'electron/gpu-window.ts', sample: 'preload: this.options.preload,', why: 'The hidden GPU window’s sandboxed preload (gpu-preload.ts) exposes nothing: it only passes the engine’s MessagePort to its page; IPC from that window is refused.' },
  { issue: 'OPEN_EXTERNAL_JS_CHECK', file: 'electron/main.ts', sample: 'if (isAllowedExternal(url)) void shell.openExternal(url);', why: 'Guarded by the https host allow-list isAllowedExternal (src-main/host/electron-policy.ts).' },
];

/**
 * The findings in the tool's SARIF report, as check id, file (relative to src-main), location and
 * the flagged source line (`N/A` where the tool flags none). We read SARIF, not the tool's CSV: its
 * CSV writer starts the header and the rows as two unawaited writes to one file, and the header
 * sometimes lands over the first row (seen in CI as a truncated CSP finding); the SARIF report is
 * one write. SARIF carries no sample, so the flagged line is read from the source file.
 */
export function findingsFromSarif(sarif, readSource) {
  const results = sarif?.runs?.[0]?.results;
  if (!Array.isArray(results)) throw new Error('electronegativity: the SARIF report has no runs[0].results');
  return results.map((r) => {
    const loc = r.locations?.[0]?.physicalLocation ?? {};
    const file = loc.artifactLocation?.uri === 'file:///' ? 'N/A' : (loc.artifactLocation?.uri ?? 'N/A');
    const region = loc.region ?? {};
    const line = region.startLine ?? 0;
    const sample = file === 'N/A' || !region.charLength ? 'N/A' : (readSource(file).split('\n')[line - 1] ?? '').trim();
    return { issue: r.ruleId, file, location: `${line}:${(region.startColumn ?? 1) - 1}`, sample, description: r.message?.text ?? '' };
  });
}

/** The findings not on the reviewed list (matched by check, file and flagged source). */
export function openFindings(findings) {
  return findings.filter((f) => !REVIEWED.some((a) => a.issue === f.issue && a.file === f.file && a.sample === f.sample));
}

function main() {
  const electron = JSON.parse(readFileSync(path.join(root, 'node_modules/electron/package.json'), 'utf8')).version;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'electronegativity-'));
  const report = path.join(dir, 'findings.sarif');
  const srcMain = path.join(root, 'src-main');
  try {
    const bin = path.join(root, 'node_modules/@doyensec/electronegativity/dist/index.js');
    const r = spawnSync(process.execPath, [bin, '-i', srcMain, '-e', electron, '-r', '-v', 'false', '-o', report], { encoding: 'utf8' });
    if (r.status !== 0) {
      process.stderr.write(r.stdout + r.stderr);
      console.error(`electronegativity failed (exit ${r.status})`);
      return 1;
    }
    const text = readFileSync(report, 'utf8');
    const findings = findingsFromSarif(JSON.parse(text), (file) => readFileSync(path.join(srcMain, file), 'utf8'));
    const open = openFindings(findings);
    for (const f of open) console.error(`electronegativity: ${f.issue} src-main/${f.file}:${f.location}  ${f.sample}  (${f.description})`);
    // What the tool wrote, when something is open: a finding to review, or output we misread.
    if (open.length) console.error(`--- the tool's report ---\n${text}`);
    console.log(`electronegativity (Electron ${electron}): ${findings.length} finding(s), ${findings.length - open.length} reviewed, ${open.length} open`);
    return open.length === 0 ? 0 : 1;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run only as a script: the unit test imports findingsFromSarif, openFindings and REVIEWED.
if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) process.exitCode = main();
