import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ERRORS, cliErrorJson, cliErrorText, explainCode, nextAction, thrownCode, type ErrorCode } from '../../../src-engine/base/errors';
import type { ExportErrorCode } from '../../../src-engine/core/export/bundle';
import type { ModelErrorCode } from '../../../src-engine/core/export/model';
import type { OnnxCode } from '../../../src-engine/core/export/onnx/errors';
import type { DataErrorCode } from '../../../src-engine/core/data/types';
import type { GpuErrorCode } from '../../../src-engine/core/gpu/context';
import type { TrainErrorCode } from '../../../src-engine/core/train/types';
import { ErrorCodes } from '../../../src-engine/protocol';
import { LimitCodes } from '../../../src-engine/protocol/limits';

/**
 * One table of error codes (src-engine/base/errors.ts): every code the sources give is in it, with
 * a title, the user's next action and a docs section that exists.
 */
const root = path.resolve(__dirname, '../../..');
const PREFIXES = ['E', 'W', 'DATA', 'CLI', 'TRAIN', 'OPTIM', 'SCHEDULE', 'EARLY_STOP', 'INIT', 'PROBE', 'RUN', 'SETTING', 'HEALTH', 'GAN'];
const CODE = `(?:${PREFIXES.join('|')})_[A-Z0-9_]*[A-Z0-9]`;
/** A code in quotes or backticks (`'E_CYCLE'`, `` `DATA_NAN` `` in a comment), or printed as `error CODE:`. */
const LITERAL = new RegExp(`(?<!startsWith\\()['"\`](${CODE})['"\`]|\\berror (${CODE}):`, 'g');

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((d) => {
    const p = path.join(dir, d.name);
    if (d.isDirectory()) return d.name === 'generated' || d.name === 'node_modules' ? [] : sources(p);
    return /\.(ts|tsx|mjs|js)$/.test(d.name) && !d.name.endsWith('.d.ts') ? [p] : [];
  });
}

const files = readdirSync(root)
  .filter((d) => d.startsWith('src-'))
  .flatMap((d) => sources(path.join(root, d)));
const texts = files.map((f) => readFileSync(f, 'utf8'));
/** Constants that look like codes (`TRAIN_PACES`, `DATA_LIMITS`): declared names, not codes. */
const declared = new Set(texts.flatMap((t) => [...t.matchAll(new RegExp(`\\b(?:const|let|function|class|type|interface|enum) (${CODE})\\b`, 'g'))].map((m) => m[1])));

/** Every code literal in src-*, with the first file that gives it. */
function codeLiterals(): Map<string, string> {
  const found = new Map<string, string>();
  texts.forEach((t, i) => {
    for (const m of t.matchAll(LITERAL)) {
      const code = m[1] ?? m[2];
      if (!declared.has(code) && !found.has(code)) found.set(code, path.relative(root, files[i]));
    }
  });
  return found;
}

/** The error classes' own code unions are the table's codes: a member outside it fails `tsc -b`. */
type ClassCodes = DataErrorCode | TrainErrorCode | ModelErrorCode | ExportErrorCode | GpuErrorCode | OnnxCode;
const classCodesAreTableCodes = (code: ClassCodes): ErrorCode => code;

describe('the error table', () => {
  it('holds every code literal in src-*', () => {
    const found = codeLiterals();
    expect(found.size).toBeGreaterThan(200);
    const missing = [...found].filter(([code]) => !Object.hasOwn(ERRORS, code)).map(([code, file]) => `${code} (${file})`);
    expect(missing).toEqual([]);
  });

  it('holds the protocol’s named codes', () => {
    for (const code of [...Object.values(ErrorCodes), ...Object.values(LimitCodes)]) expect(Object.hasOwn(ERRORS, code), code).toBe(true);
  });

  it('is sorted, and every entry has a title, an action and a docs section that exists', () => {
    const codes = Object.keys(ERRORS);
    expect(codes).toEqual([...codes].sort());
    const slug = (h: string) => h.trim().toLowerCase().replace(/[^\w\- ]/g, '').replace(/ /g, '-');
    const anchors = new Map<string, Set<string>>();
    for (const [code, e] of Object.entries(ERRORS)) {
      expect(e.title.length, code).toBeGreaterThan(3);
      expect(e.action, code).toMatch(/^[A-Z].*\.$/);
      const [file, anchor] = e.docs.split('#');
      const doc = path.join(root, 'docs', file);
      expect(existsSync(doc), `${code}: docs/${file}`).toBe(true);
      if (!anchors.has(file)) anchors.set(file, new Set([...readFileSync(doc, 'utf8').matchAll(/^#+\s+(.*)$/gm)].map((m) => slug(m[1]))));
      if (anchor !== undefined) expect(anchors.get(file)!.has(anchor), `${code}: docs/${e.docs}`).toBe(true);
    }
  });

  it('gives the CLI its next action and docs', () => {
    expect(nextAction('CLI_NO_FILE')).toBe('Check the path.');
    expect(cliErrorText('CLI_NO_FILE', 'net.json: no such file.')).toBe('error CLI_NO_FILE: net.json: no such file.\n  help: Check the path. (docs/trainer.md#quick-start)\n');
    expect(cliErrorText('ENOENT', 'gone')).toBe('error ENOENT: gone\n');
    expect(JSON.parse(cliErrorJson('DATA_NAN', 'x', { usage: 'u' }))).toEqual({ type: 'error', code: 'DATA_NAN', message: 'x', usage: 'u', action: ERRORS.DATA_NAN.action, docs: `docs/${ERRORS.DATA_NAN.docs}` });
    expect(thrownCode(Object.assign(new Error(), { code: 'ENOENT' }), 'E_IMPORT')).toBe('ENOENT');
    expect(thrownCode(new Error(), 'E_IMPORT')).toBe('E_IMPORT');
    expect(classCodesAreTableCodes('DATA_NAN')).toBe('DATA_NAN');
  });

  it('explains a code where the UI shows it (the tooltip of Problems and notices)', () => {
    expect(explainCode('E_CYCLE')).toBe('The graph has a cycle. Remove one of the connections the message lists. (docs/ir.md#diagnostic-codes)');
    expect(explainCode('ENOENT')).toBeUndefined();
    expect(explainCode(undefined)).toBeUndefined();
  });

  it('rejects an unknown code at compile time', () => {
    const file = path.join(root, 'src-engine/__error_probe__.ts');
    const source = `import type { ErrorCode } from './base/errors';\nexport const ok: ErrorCode = 'E_CYCLE';\nexport const typo: ErrorCode = 'E_CYCEL';\n`;
    const options: ts.CompilerOptions = { strict: true, noEmit: true, lib: ['lib.es5.d.ts'], target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, moduleResolution: ts.ModuleResolutionKind.Bundler, skipLibCheck: true, types: [] };
    const host = ts.createCompilerHost(options);
    const read = host.readFile.bind(host);
    host.readFile = (f) => (path.resolve(f) === file ? source : read(f));
    const exists = host.fileExists.bind(host);
    host.fileExists = (f) => path.resolve(f) === file || exists(f);
    const program = ts.createProgram([file], options, host);
    const errs = ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => `${d.start}: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`);
    expect(errs).toHaveLength(1);
    expect(errs[0]).toMatch(/"E_CYCEL"/);
  });
});
