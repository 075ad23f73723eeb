import path from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';

/**
 * Folder = runtime, enforced by the compiler: compile a probe file under each runtime's real
 * tsconfig options and check that forbidden imports and globals are errors.
 */
const root = path.resolve(__dirname, '../../..');

function diagnosticsFor(tsconfig: string, fileName: string, source: string): string[] {
  const parsed = ts.getParsedCommandLineOfConfigFile(path.join(root, tsconfig), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const file = path.join(root, fileName);
  const options = { ...parsed.options, noEmit: true, composite: false, emitDeclarationOnly: false, declaration: false };
  const host = ts.createCompilerHost(options);
  const read = host.readFile.bind(host);
  host.readFile = (f) => (path.resolve(f) === file ? source : read(f));
  const exists = host.fileExists.bind(host);
  host.fileExists = (f) => path.resolve(f) === file || exists(f);
  const globals = parsed.fileNames.filter((f) => f.endsWith('.d.ts'));
  const program = ts.createProgram([file, ...globals], options, host);
  return ts.getPreEmitDiagnostics(program, program.getSourceFile(file)).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('runtime boundaries are compile errors', () => {
  it('engine core: no DOM, no Node, no Electron, no React', () => {
    const errs = diagnosticsFor(
      'tsconfig.engine.json',
      'src-engine/__probe__.ts',
      `import { app } from 'electron';\nimport { readFileSync } from 'node:fs';\nimport { useState } from 'react';\nexport const a = [app, readFileSync, useState, document.title, process.pid];\n`,
    );
    expect(errs.join('\n')).toMatch(/electron|no exported member 'app'/i);
    expect(errs.some((e) => /useState/.test(e))).toBe(true);
    expect(errs.some((e) => /node:fs|Cannot find module 'node:fs'/.test(e))).toBe(true);
    expect(errs.some((e) => /'document'/.test(e))).toBe(true);
    expect(errs.some((e) => /'process'/.test(e))).toBe(true);
  });

  it('engine core: the universal globals it may use still compile', () => {
    const errs = diagnosticsFor('tsconfig.engine.json', 'src-engine/__probe__.ts', `export const t = performance.now() + Number(setTimeout(() => {}, 1));\n`);
    expect(errs).toEqual([]);
  });

  it('renderer: no Node, no Electron', () => {
    const errs = diagnosticsFor(
      'tsconfig.web.json',
      'src-renderer/src/__probe__.ts',
      `import { ipcRenderer } from 'electron';\nimport fs from 'node:fs';\nexport const a = [ipcRenderer, fs, process.env, document.title];\n`,
    );
    expect(errs.some((e) => /ipcRenderer/.test(e))).toBe(true);
    expect(errs.some((e) => /node:fs/.test(e))).toBe(true);
    expect(errs.some((e) => /'process'/.test(e))).toBe(true);
    expect(errs.some((e) => /'document'/.test(e))).toBe(false);
  });
});
