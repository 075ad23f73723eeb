/**
 * The Electron security lint reads electronegativity's SARIF report (its CSV writer races its own
 * header against the rows, and CI once saw the first finding cut short). A reviewed finding is
 * matched by check, file and the flagged source line, read from the file at the reported line; an
 * unreviewed one, or the same check on another line, stays open.
 */
import { describe, expect, it } from 'vitest';
// @ts-expect-error: a plain .mjs script, no declarations
import { findingsFromSarif, openFindings } from '../../../scripts/electronegativity.mjs';

interface Finding {
  issue: string;
  file: string;
  location: string;
  sample: string;
}

const result = (ruleId: string, uri: string, startLine: number, startColumn: number, charLength: number) => ({
  ruleId,
  message: { text: `${ruleId} description` },
  locations: [{ physicalLocation: { artifactLocation: { uri }, region: { startLine, startColumn, charLength } } }],
});

const MAIN = ['', "      preload: path.join(here, '../preload/preload.cjs'),", '      if (isAllowedExternal(url)) void shell.openExternal(url);', '      shell.openExternal(url);'].join('\n');
const read = (file: string): string => {
  if (file !== 'electron/main.ts') throw new Error(`unexpected read of ${file}`);
  return MAIN;
};

describe('electronegativity report', () => {
  it('reads each finding with the flagged source line; the reviewed ones are not open', () => {
    const sarif = { runs: [{ results: [result('CSP_GLOBAL_CHECK', 'electron/main.ts', 235, 16, 0), result('PRELOAD_JS_CHECK', 'electron/main.ts', 2, 7, 51), result('OPEN_EXTERNAL_JS_CHECK', 'electron/main.ts', 3, 40, 57)] }] };
    const findings = findingsFromSarif(sarif, read) as Finding[];
    expect(findings.map((f) => [f.issue, f.location, f.sample])).toEqual([
      ['CSP_GLOBAL_CHECK', '235:15', 'N/A'],
      ['PRELOAD_JS_CHECK', '2:6', "preload: path.join(here, '../preload/preload.cjs'),"],
      ['OPEN_EXTERNAL_JS_CHECK', '3:39', 'if (isAllowedExternal(url)) void shell.openExternal(url);'],
    ]);
    expect(openFindings(findings)).toEqual([]);
  });

  it('an unguarded openExternal, or one in another file, stays open', () => {
    const sarif = { runs: [{ results: [result('OPEN_EXTERNAL_JS_CHECK', 'electron/main.ts', 4, 7, 24), result('OPEN_EXTERNAL_JS_CHECK', 'host/other.ts', 3, 40, 57)] }] };
    const findings = findingsFromSarif(sarif, (f: string) => (f === 'host/other.ts' ? MAIN : read(f))) as Finding[];
    expect((openFindings(findings) as Finding[]).map((f) => `${f.file}:${f.location}`)).toEqual(['electron/main.ts:4:6', 'host/other.ts:3:39']);
  });

  it('a report without results is an error, not a pass', () => {
    expect(() => findingsFromSarif({ runs: [] }, read)).toThrow(/no runs\[0\]\.results/);
  });
});
